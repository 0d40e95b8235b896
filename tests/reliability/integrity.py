"""Concurrent read-modify-write writers on one profile record, through the API.

Each writer repeatedly GETs the record and POSTs a new value carrying the version it read (the
backend's optimistic locking: a stale version is a 409). Readers GET concurrently. Afterwards:

- no two acknowledged writes share a version, and the acknowledged versions are exactly the
  versions the record went through (initial+1 ... final): every applied write was acknowledged to
  its writer and every acknowledged write was applied, on top of the one its writer had read;
- the final record is the acknowledged write with the highest version;
- every (version, name) a reader saw is the one the writer of that version was told it wrote.

A write answered by anything but 200 or 409 is reported as an error.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from local.client import Session


@dataclass
class WriteReport:
    path: str
    writers: int
    rounds: int
    initial_version: int = 0
    final_version: int = 0
    final_name: str = ""
    acks: dict[int, list[str]] = field(default_factory=dict)  # version -> names acknowledged at it
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)
    reads: list[tuple[int, str]] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return sum(len(names) for names in self.acks.values()) + self.conflicts

    def problems(self) -> list[str]:
        found = [f"version {v} acknowledged {len(n)} times: {n}" for v, n in self.acks.items() if len(n) > 1]
        applied = set(range(self.initial_version + 1, self.final_version + 1))
        if set(self.acks) != applied:
            lost = sorted(applied - set(self.acks))
            phantom = sorted(set(self.acks) - applied)
            found.append(f"applied but not acknowledged: {lost}; acknowledged but not applied: {phantom}")
        if self.acks and self.acks.get(self.final_version, [""])[0] != self.final_name:
            found.append(
                f"final record {self.final_version}/{self.final_name} is not the last acknowledged write"
            )
        for version, name in self.reads:
            if version > self.initial_version and self.acks.get(version, [None])[0] != name:
                found.append(
                    f"a reader saw version {version} as {name!r}, acknowledged as {self.acks.get(version)}"
                )
        return found + self.errors

    def figures(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "writers": self.writers,
            "rounds": self.rounds,
            "writes": self.writes,
            "acknowledged": sum(len(n) for n in self.acks.values()),
            "conflicts_409": self.conflicts,
            "reads": len(self.reads),
            "lost_writes": len(self.problems()),
            "versions": f"{self.initial_version} -> {self.final_version}",
        }


def _profile(session: Session, path: str) -> dict[str, Any]:
    response = session.request("GET", path)
    if response.status_code != 200:
        raise AssertionError(f"GET {path}: {response.status_code} {response.text[:200]}")
    profile: dict[str, Any] | None = response.json()["profile"]
    if profile is None:
        raise AssertionError(f"GET {path}: no profile to start from")
    return profile


def concurrent_writers(
    session: Session, path: str, writers: int, rounds: int, readers: int = 2
) -> WriteReport:
    report = WriteReport(path, writers, rounds)
    seed = session.request("POST", path, {"name": "seed", "surname": "Record", "email": "seed@example.com"})
    if seed.status_code != 200:
        raise AssertionError(f"seeding {path}: {seed.status_code} {seed.text[:200]}")
    report.initial_version = int(seed.json()["profile"]["version"])
    lock = threading.Lock()
    done = threading.Event()

    def write(writer: int) -> None:
        try:
            for round_ in range(rounds):
                current = _profile(session, path)
                name = f"w{writer}r{round_}"
                body = {
                    "name": name,
                    "surname": "Writer",
                    "email": "w@example.com",
                    "version": current["version"],
                }
                response = session.request("POST", path, body)
                with lock:
                    if response.status_code == 200:
                        version = int(response.json()["profile"]["version"])
                        report.acks.setdefault(version, []).append(name)
                    elif response.status_code == 409:
                        report.conflicts += 1
                    else:
                        report.errors.append(f"POST {path}: {response.status_code} {response.text[:200]}")
        except Exception as exc:  # a thread's failure is a finding, not a lost traceback
            with lock:
                report.errors.append(f"writer {writer}: {type(exc).__name__}: {exc}"[:300])

    def read() -> None:
        try:
            while not done.is_set():
                profile = _profile(session, path)
                with lock:
                    report.reads.append((int(profile["version"]), str(profile["name"])))
        except Exception as exc:
            with lock:
                report.errors.append(f"reader: {type(exc).__name__}: {exc}"[:300])

    writer_threads = [threading.Thread(target=write, args=(n,), daemon=True) for n in range(writers)]
    reader_threads = [threading.Thread(target=read, daemon=True) for _ in range(readers)]
    for thread in writer_threads + reader_threads:
        thread.start()
    for thread in writer_threads:
        thread.join(300)
    done.set()
    for thread in reader_threads:
        thread.join(60)
    final = _profile(session, path)
    report.final_version, report.final_name = int(final["version"]), str(final["name"])
    return report

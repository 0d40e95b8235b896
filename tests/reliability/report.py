"""Render docs/reliability.md from the figures of one run (see tests/reliability/__main__.py).

Everything below the title comes from the run: the lines the passing tests recorded and the run's
facts. The prose here only says what each table means; no figure is written by hand.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tests.reliability.budgets import FUZZ_CASES
from tests.reliability.figures import total

FUZZ_FLOOR = 20_000


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(header: list[str], rows: list[list[Any]], right: set[int] | None = None) -> list[str]:
    right = right or set()
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines.extend("| " + " | ".join(_n(cell) for cell in row) + " |" for row in rows)
    return lines


def _outcomes(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items()))


def _fuzz(lines: list[dict[str, Any]]) -> list[str]:
    fuzz = [line for line in lines if line["kind"] == "fuzz"]
    cases = total(fuzz, "fuzz", "cases")
    out = [
        "## Fuzzing",
        "",
        f"**{cases:,} generated cases** in {len(fuzz)} targets (hypothesis; the count is of cases that",
        "actually ran, taken inside each test). Every case is checked against the invariants below; a",
        "single violation fails the run, so every row held for all of its cases.",
        "",
    ]
    rows = [[line["name"], line["cases"], _outcomes(line.get("outcomes", {}))] for line in fuzz]
    out += _table(["target", "cases", "answers"], rows, right={1})
    out += [
        "",
        "Invariants (tests/functional/functions/test_fuzz_authorizer.py, test_fuzz_backend.py):",
        "",
        '- authorizer: a policy or exactly `Exception("Unauthorized")`, nothing else (no 500); never',
        "  Allow without a token signed by the pool's key with valid claims and a group policy; an Allow",
        "  is exactly the effective group's stored policy, `principalId` = `sub`, only Resources under",
        "  the requested API and stage; one decision log line per call and no token material in it;",
        "  tokens valid by construction are allowed;",
        "- backends: a documented status, never a 5xx; a refused request leaves the table identical",
        "  (snapshot before and after); a write touches only the caller's own item and stores what it",
        "  answered; other callers' records never change; bodies valid by construction are accepted.",
        "",
    ]
    return out


def _faults(lines: list[dict[str, Any]]) -> list[str]:
    faults = [line for line in lines if line["kind"] == "fault"]
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in faults:
        grouped[line["name"].split(":")[0]].append(line)
    rows = []
    for name, group in grouped.items():
        first = group[0]
        label = (
            name
            if len(group) == 1
            else f"{name} ({len(group)} kinds: " + ", ".join(g["name"].split(": ", 1)[1] for g in group) + ")"
        )
        calls = sum(int(g.get("decisions", g.get("requests", 0))) for g in group)
        attempts = sorted(
            {g.get("attempts_during_fault") for g in group if g.get("attempts_during_fault") is not None}
        )
        reasons = sorted({str(g.get("log_reason") or g.get("log_error") or "") for g in group} - {""})
        rows.append(
            [
                label,
                calls,
                sum(int(g.get("wrong_allows", g.get("wrong_2xx", 0))) for g in group),
                "-" if not attempts else "/".join(str(a) for a in attempts),
                first.get("outcome", ""),
                ", ".join(f"`{r}`" for r in reasons) or "-",
                first.get("recovery", "-"),
            ]
        )
    out = [
        "## Faults",
        "",
        f"**{len(faults)} fault scenarios**, each injected at an edge of the code under test: a JWKS",
        "server on loopback that fails, hangs past the fetch timeout, answers garbage, resets",
        "connections, goes down or rotates keys; an HTTP proxy in front of moto that answers DynamoDB's",
        "throttling, 5xx and ResourceNotFound errors, hangs past the read timeout or resets; the",
        "emulator itself stopped and restarted under a running gateway. The functions are configured only",
        'through their documented environment. "attempts" are requests the fault server received (or',
        "connections it was offered) while the fault lasted: one decision or request unless the row says",
        "otherwise. Each test also fails if the fail-closed answer, the bound on attempts, the log line",
        "or the recovery goes away.",
        "",
    ]
    out += _table(
        [
            "fault",
            "calls",
            "wrong 2xx / Allow",
            "attempts",
            "answer during the fault",
            "log says",
            "recovery",
        ],
        rows,
        right={1, 2},
    )
    out.append("")
    return out


def _load(lines: list[dict[str, Any]]) -> list[str]:
    out = ["## Load", ""]
    for line in (line for line in lines if line["kind"] == "load"):
        out += [
            f"{line['threads']} client threads through the local gateway (loopback), every demo user x",
            f"every route ({line['cells']} cells: the three auth modes, the matrix's probe requests),",
            "round-robin until the request or time budget ran out; every answer compared with the oracle.",
            "",
        ]
        out += _table(
            [
                "requests",
                "seconds",
                "req/s",
                "wrong decisions",
                "wrong Allows",
                "5xx",
                "client errors",
                "p50",
                "p99",
                "policy-table reads",
            ],
            [
                [
                    line["requests"],
                    line["seconds"],
                    line["requests_per_second"],
                    line["wrong_decisions"],
                    line["wrong_allows"],
                    line["server_errors"],
                    line["client_errors"],
                    f"{line['p50_ms']} ms",
                    f"{line['p99_ms']} ms",
                    line["policy_table_reads"],
                ]
            ],
            right=set(range(10)),
        )
        out += [
            "",
            f"Answers by status: {_outcomes(line['statuses'])}.",
            f"Requests by mode: {_outcomes(line['modes'])}.",
            "Policy-table reads are the read requests for that table that reached the emulator's DynamoDB",
            "during the run (the authorizer's policy cache and API Gateway's result cache absorb the rest).",
            "Latencies are on a shared development machine with the emulator and the gateway in one",
            "process: they describe this run, not a deployment.",
            "",
        ]
    return out


def _integrity(lines: list[dict[str, Any]]) -> list[str]:
    integrity = [line for line in lines if line["kind"] == "integrity"]
    writers = [line for line in integrity if "writers" in line]
    others = [line for line in integrity if "writers" not in line]
    out = [
        "## Data integrity",
        "",
        "Concurrent read-modify-write writers on one record (optimistic locking with `version`), with",
        "readers alongside. A write is lost if it was applied but not acknowledged, acknowledged but not",
        "applied, or acknowledged at a version another write also got; a reader must only ever see",
        "what a writer was told it wrote.",
        "",
    ]
    out += _table(
        ["record", "writers x rounds", "writes", "200", "409", "reads", "versions", "lost writes"],
        [
            [
                w["path"],
                f"{w['writers']} x {w['rounds']}",
                w["writes"],
                w["acknowledged"],
                w["conflicts_409"],
                w["reads"],
                w["versions"],
                w["lost_writes"],
            ]
            for w in writers
        ],
        right={2, 3, 4, 5, 7},
    )
    out += ["", "Cross-user reads and writes (every pair of demo users who may call the route):", ""]
    out += _table(
        [
            "mode",
            "body naming the victim (400, nothing written)",
            "headers naming the victim (own record only)",
            "lost writes",
        ],
        [
            [
                o["name"],
                o.get("refused_body_attempts", 0),
                o.get("header_spoofs_kept_to_own_record", "-"),
                o.get("lost_writes", 0),
            ]
            for o in others
        ],
        right={1, 2, 3},
    )
    out.append("")
    return out


def render(lines: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    fuzz_cases = total(lines, "fuzz", "cases")
    if fuzz_cases < FUZZ_FLOOR:
        raise ValueError(f"only {fuzz_cases} fuzz cases ran; the report promises at least {FUZZ_FLOOR}")
    faults = [line for line in lines if line["kind"] == "fault"]
    load = [line for line in lines if line["kind"] == "load"]
    integrity = [line for line in lines if line["kind"] == "integrity"]
    fault_allows = sum(int(line.get("wrong_allows", line.get("wrong_2xx", 0))) for line in faults)
    load_requests = sum(int(line["requests"]) for line in load)
    load_wrong = sum(int(line["wrong_decisions"]) for line in load)
    load_allows = sum(int(line["wrong_allows"]) for line in load)
    load_5xx = sum(int(line["server_errors"]) for line in load)
    writes, lost = total(integrity, "integrity", "writes"), total(integrity, "integrity", "lost_writes")
    runs = "; ".join(f"{r['title']} {r['seconds']:.0f} s" for r in facts["runs"])
    out = [
        "# Reliability figures",
        "",
        "<!-- Generated by `make reliability` (python -m tests.reliability). Do not edit: rerun it. -->",
        "",
        f"Run {facts['date']} at commit {facts['commit']} on {facts['machine']}; hypothesis seed",
        f"{facts['seed']} (replay: `python -m tests.reliability --seed {facts['seed']}`); {runs}.",
        'This file is written only when every test of the run passed: each "held" below is a test',
        "that would have failed otherwise.",
        "",
        "| what | tried | held |",
        "|---|---:|---|",
        f"| fuzzing | {fuzz_cases:,} cases | 0 wrong Allows, 0 unhandled errors, "
        "0 writes on refused requests |",
        f"| faults | {len(faults)} scenarios | {fault_allows} wrong Allows / 2xx; fail-closed or correct "
        "answers, bounded attempts, a logged reason, recovery |",
        f"| load | {load_requests:,} requests | {load_wrong} wrong decisions ({load_allows} wrong Allows), "
        f"{load_5xx} 5xx |",
        f"| integrity | {writes:,} writes | {lost} lost writes |",
        "",
        f"`make test` runs the same tests at a bounded size: {sum(FUZZ_CASES['ci'].values()):,} fuzz cases",
        f"(derandomized: the same ones each run; at least {FUZZ_FLOOR:,}), every fault, a short load run",
        "and the integrity tests; its pytest runs end with a line summing what actually ran.",
        "",
    ]
    out += _fuzz(lines) + _faults(lines) + _load(lines) + _integrity(lines)
    out += [
        "## Rerun",
        "",
        "`make reliability` reruns all of it and rewrites this file; tests/reliability/README.md says",
        "what each test does and where the faults are injected.",
        "",
    ]
    return "\n".join(out)

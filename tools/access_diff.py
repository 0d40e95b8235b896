"""`make access-diff BASE=<ref>`: what a change does to who may call what, in the product's words.

A pull request that widens a template shows a JSON diff and a Terraform plan of IAM documents;
neither says "after this change pet-veterinarian may DELETE /news". This module says it. For each
side (the git ref BASE, and the working tree) and each environment it computes

- the static matrix: the policy templates and the access model through the IAM evaluator
  (`tools/matrix.py` over `tools/iam_policy.py`), for the contract's kinds of user plus one user
  per group the contract does not speak for yet, every route and every verb of an ANY route;
- the contract's cells (`tests/contract/access.yaml`, through `tools/contract.py`);

and prints only the cells that change, one line per caller, call and change, with the environments
it holds in: `▲ WIDENS  pet-veterinarian  DELETE /news  deny_403 → allow  (local, dev, staging, prod)`.
A cell that becomes allow is a widening, marked `▲ WIDENS`; one that stops being allow narrows
(`▼ narrows`); anything else (a new or removed caller or call that is denied, 401 ↔ 403) is `·`.
A matrix change the contract does not make, or the reverse, is listed as a disagreement (`✗`).

Both sides are evaluated with the working tree's code: BASE contributes only its files (templates,
access model, environment settings, contract), extracted with `git archive` into a temporary
directory. A section BASE's files do not have yet is read as empty (and said so in the notes), so an
older BASE still compares. The report is a review aid, not a gate: `make test` fails on a matrix
and a contract that disagree.
"""

from __future__ import annotations

import argparse
import json
import io
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools import config, render
from tools import contract as contract_module
from tools.config import ENVIRONMENTS, HTTP_METHODS, REPO_ROOT, AccessModel, ConfigError, EnvConfig
from tools.matrix import ALLOW, FORBIDDEN, UNAUTHORIZED, Principal, expected_status, user_pool_role_mapping

ABSENT = "—"  # no such cell on that side: the caller or the call does not exist there
API_ID = render.VALIDATION_API_ID
#: The verbs of an ANY route, as the contract promises them (HEAD and OPTIONS are not part of it).
ANY_METHODS = tuple(m for m in HTTP_METHODS if m not in ("HEAD", "OPTIONS", "ANY"))
WORDS = {ALLOW: "allow", UNAUTHORIZED: "deny_401", FORBIDDEN: "deny_403"}
MARKS = {"widens": "▲ WIDENS ", "narrows": "▼ narrows", "changes": "· changes"}
HEAD_CODE = "tools/matrix.py over tools/iam_policy.py"

Cell = tuple[str, str, str]  # (caller, METHOD, /path)
Cells = dict[Cell, str]  # -> allow | deny_401 | deny_403


class AccessDiffError(Exception):
    """A side cannot be read or evaluated; the message names the side and the file."""


def input_paths() -> tuple[Path, ...]:
    """What the diff reads, relative to the repository (the files CI watches, too)."""
    return tuple(
        p.relative_to(REPO_ROOT)
        for p in (config.TEMPLATES_DIR, config.ENVS_DIR, contract_module.CONTRACT_FILE)
    )


# --- the contract, through a thin adapter -------------------------------------------------------
# tools/contract.py is being split into a package (issue 22); the diff uses it only here, so the
# split changes these imports and nothing else. Only the sections that define cells are parsed, so a
# section added or dropped elsewhere in the file (at BASE or in the working tree) does not matter.

CELL_SECTIONS = ("version", "role_mapping_default", "routes", "users")


def read_contract(path: Path, label: str) -> tuple[contract_module.Contract | None, list[str]]:
    """The contract at `path`, or None when that copy has none (or no routes or users yet)."""
    if not path.is_file():
        return None, [f"{label}: no {path.name}: no contract cells"]
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise AccessDiffError(f"{label}: {path.name} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise AccessDiffError(f"{label}: {path.name} must hold a YAML mapping")
    missing = [key for key in ("routes", "users") if not raw.get(key)]
    if missing:
        return None, [f"{label}: the contract has no {' or '.join(missing)}: no contract cells"]
    reduced = {key: raw[key] for key in CELL_SECTIONS if key in raw}
    try:
        return contract_module.parse(reduced, source=f"{label}:{path.name}"), []
    except contract_module.ContractError as exc:
        raise AccessDiffError(f"{label}: the contract cannot be read with the current code: {exc}") from exc


def contract_callers(promise: contract_module.Contract, cfg: EnvConfig) -> list[Principal]:
    return [user.principal(cfg) for user in promise.users(promise.default_mapping).values()]


def contract_cells(promise: contract_module.Contract, cfg: EnvConfig) -> Cells:
    outcome_words = {value: word for word, value in contract_module.OUTCOMES.items()}
    return {
        (user, method, promise.routes[route].path): outcome_words[outcome]
        for (user, route, method), outcome in promise.cells(user_pool_role_mapping(cfg)).items()
    }


def single_group_users(promise: contract_module.Contract) -> set[str]:
    """Groups the contract has a user of its own for (the contract's convention: one per group)."""
    users = promise.users(promise.default_mapping).values()
    return {u.groups[0] for u in users if len(u.groups) == 1 and not u.external}


# --- one side -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    label: str
    matrix: dict[str, Cells]  # environment -> cells
    contract: dict[str, Cells]
    notes: tuple[str, ...] = ()


def callers(promise: contract_module.Contract | None, cfg: EnvConfig) -> list[Principal]:
    """The contract's kinds of user, plus a user named after each group the contract has no user
    of its own for: a new group shows up before (or without) its contract entry."""
    found = contract_callers(promise, cfg) if promise else []
    covered = single_group_users(promise) if promise else set()
    names = {p.name for p in found}
    for group in cfg.groups_by_precedence():
        if group.name not in covered:
            name = group.name if group.name not in names else f"{group.name} (group)"
            found.append(Principal(name, (group.name,)))
    return found


def matrix_cells(cfg: EnvConfig, principals: Sequence[Principal], policies: Mapping[str, Any]) -> Cells:
    return {
        (p.name, method, route.path): WORDS[
            expected_status(cfg, p, route, policies, API_ID, method=method)
        ]
        for p in principals
        for route in cfg.routes.values()
        for method in (ANY_METHODS if route.method == "ANY" else (route.method,))
    }


def _model(root: Path, label: str, notes: list[str]) -> AccessModel:
    path = config.model_path(root)
    raw = config.read_json(path) if path.is_file() else {}
    for key in sorted(set(raw) - config.MODEL_KEYS):
        notes.append(f"{label}: the access model's `{key}` is unknown to the current code: ignored")
        raw.pop(key)
    for key in sorted(config.MODEL_KEYS - set(raw)):
        notes.append(f"{label}: the access model has no `{key}`: read as empty")
        raw[key] = {"resource_server": ""} if key == "oauth" else {}
    return config.parse_access_model(raw, source=f"{label}:{path.name}")


def _settings(root: Path, env: str, label: str, model: AccessModel, notes: list[str]) -> EnvConfig | None:
    path = config.settings_path(env, root)
    if not path.is_file():
        notes.append(f"{label}: no settings for {env}: no cells there")
        return None
    raw = config.read_json(path)
    allowed = config.SETTINGS_KEYS | (config.LOCAL_SETTINGS_KEYS if env == "local" else frozenset())
    for key in sorted(set(raw) - allowed - config.MODEL_KEYS):
        notes.append(f"{label}: {env} setting `{key}` is unknown to the current code: ignored")
        raw.pop(key)
    return config.parse(raw, source=f"{label}:{env}/{path.name}", access=model)


def evaluate(root: Path, label: str) -> Side:
    """The matrix and the contract of the copy of the repository's access files at `root`."""
    notes: list[str] = []
    try:
        model = _model(root, label, notes)
        promise, contract_notes = read_contract(root / input_paths()[2], label)
        notes += contract_notes
        templates = root / input_paths()[0]
        matrix: dict[str, Cells] = {}
        promised: dict[str, Cells] = {}
        for env in ENVIRONMENTS:
            cfg = _settings(root, env, label, model, notes)
            if cfg is None:
                continue
            policies = {
                group: json.loads(render.render_group(cfg, group, API_ID, templates_dir=templates))
                for group in cfg.groups
            }
            matrix[env] = matrix_cells(cfg, callers(promise, cfg), policies)
            promised[env] = contract_cells(promise, cfg) if promise else {}
    except (ConfigError, render.TemplateError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, AccessDiffError):
            raise
        raise AccessDiffError(f"{label}: cannot evaluate: {exc}") from exc
    return Side(label, matrix, promised, tuple(notes))


# --- BASE: a git ref's files in a temporary directory -----------------------------------------------


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AccessDiffError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout.strip()


def extract(ref: str, repo: Path, into: Path) -> str:
    """Write `ref`'s copy of the files the diff reads under `into`; return the commit's short id."""
    try:
        commit = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except AccessDiffError:
        raise AccessDiffError(
            f"{ref!r} is not a commit of {repo} (fetch it first, e.g. `git fetch origin main`)"
        ) from None
    listed = _git(repo, "ls-tree", "-r", "-z", "--name-only", commit, "--", *map(str, input_paths()))
    files = [name for name in listed.split("\0") if name]
    if files:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", commit, "--", *files],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into, filter="data")
    return _git(repo, "rev-parse", "--short", commit)


def head_label(repo: Path) -> str:
    try:
        return f"working tree (HEAD {_git(repo, 'rev-parse', '--short', 'HEAD')})"
    except AccessDiffError:
        return "working tree"


# --- the diff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One caller's call whose outcome moves from `before` to `after`."""

    caller: str
    method: str
    path: str
    before: str
    after: str

    @property
    def kind(self) -> str:
        if self.after == "allow" != self.before:
            return "widens"
        if self.before == "allow" != self.after:
            return "narrows"
        return "changes"

    def line(self, environments: Sequence[str]) -> str:
        return (
            f"{MARKS[self.kind]}  {self.caller}  {self.method} {self.path}  "
            f"{self.before} → {self.after}  ({', '.join(environments)})"
        )


@dataclass(frozen=True)
class Disagreement:
    """One side (matrix or contract) moves a cell and the other does not move it the same way."""

    moved: str  # "matrix" or "contract"
    change: Change
    other_before: str
    other_after: str

    def line(self, environments: Sequence[str]) -> str:
        other = "contract" if self.moved == "matrix" else "matrix"
        state = (
            self.other_after
            if self.other_before == self.other_after
            else f"{self.other_before} → {self.other_after}"
        )
        return f"✗ {self.moved:<8}  {self.change.line(environments)}  {other}: {state}"


def _order(change: Change) -> tuple[int, str, str, int, str, str]:
    verbs = list(HTTP_METHODS)
    method = verbs.index(change.method) if change.method in verbs else len(verbs)
    kind = list(MARKS).index(change.kind)
    return (kind, change.caller, change.path, method, change.before, change.after)


@dataclass(frozen=True)
class Report:
    base: str
    head: str
    changes: dict[Change, tuple[str, ...]]  # -> the environments it holds in
    disagreements: dict[Disagreement, tuple[str, ...]]
    compared: int  # cells compared on each side, over every environment
    notes: tuple[str, ...] = ()

    def change_lines(self) -> list[str]:
        ordered = sorted(self.changes, key=_order)
        return [change.line(self.changes[change]) for change in ordered]

    def disagreement_lines(self) -> list[str]:
        ordered = sorted(self.disagreements, key=lambda d: (d.moved != "matrix", _order(d.change)))
        return [d.line(self.disagreements[d]) for d in ordered]

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)

    def summary(self) -> str:
        if not self.changes and not self.disagreements:
            return (
                f"no access change: the matrix and the contract are the same on both sides "
                f"({self.compared} cells in {len(ENVIRONMENTS)} environments)"
            )
        widen, narrow, other = self.count("widens"), self.count("narrows"), self.count("changes")
        agree = (
            f"{len(self.disagreements)} disagreement{'s' if len(self.disagreements) != 1 else ''} "
            "with the contract"
            if self.disagreements
            else "the contract makes the same changes"
        )
        return f"{widen} widen{'s' if widen == 1 else ''}, {narrow} narrow{'s' if narrow == 1 else ''}, {other} other; {agree}"


def _grouped(found: Iterable[tuple[Any, str]]) -> dict[Any, tuple[str, ...]]:
    envs: dict[Any, list[str]] = {}
    for item, env in found:
        envs.setdefault(item, []).append(env)
    return {item: tuple(e for e in ENVIRONMENTS if e in names) for item, names in envs.items()}


def diff(base: Side, head: Side) -> Report:
    changes: list[tuple[Change, str]] = []
    disagreements: list[tuple[Disagreement, str]] = []
    compared = 0
    for env in ENVIRONMENTS:
        m0, m1 = base.matrix.get(env, {}), head.matrix.get(env, {})
        c0, c1 = base.contract.get(env, {}), head.contract.get(env, {})
        keys = set(m0) | set(m1) | set(c0) | set(c1)
        compared += len(keys)
        for key in keys:
            matrix = (m0.get(key, ABSENT), m1.get(key, ABSENT))
            promise = (c0.get(key, ABSENT), c1.get(key, ABSENT))
            if matrix[0] != matrix[1]:
                changes.append((Change(*key, *matrix), env))
            for moved, mine, other in (("matrix", matrix, promise), ("contract", promise, matrix)):
                if mine[0] != mine[1] and mine != other:
                    disagreements.append((Disagreement(moved, Change(*key, *mine), *other), env))
    notes = tuple(dict.fromkeys((*base.notes, *head.notes)))
    return Report(base.label, head.label, _grouped(changes), _grouped(disagreements), compared, notes)


def compare(base_ref: str, repo: Path = REPO_ROOT) -> Report:
    """BASE's files (from git) against the working tree at `repo`, both with the current code."""
    with tempfile.TemporaryDirectory(prefix="access-diff-") as tmp:
        commit = extract(base_ref, repo, Path(tmp))
        base = evaluate(Path(tmp), f"{base_ref} ({commit})" if not commit.startswith(base_ref) else commit)
    return diff(base, evaluate(repo, head_label(repo)))


# --- output --------------------------------------------------------------------------------------


def to_text(report: Report) -> str:
    lines = [
        f"access diff: {report.base} → {report.head}",
        f"both sides evaluated with the working tree's code ({HEAD_CODE}); "
        f"environments: {', '.join(ENVIRONMENTS)}",
        report.summary(),
    ]
    if report.changes:
        lines += ["", "matrix changes (templates + access model, through the IAM evaluator):"]
        lines += [f"  {line}" for line in report.change_lines()]
    if report.disagreements:
        lines += ["", "disagreements between the matrix and the contract (make test fails until they agree):"]
        lines += [f"  {line}" for line in report.disagreement_lines()]
    if report.notes:
        lines += ["", "notes:", *(f"  {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def to_markdown(report: Report) -> str:
    widen = report.count("widens")
    if widen:
        title = f"▲ {widen} change{'s' if widen != 1 else ''} widen{'' if widen != 1 else 's'} access"
    elif report.changes or report.disagreements:
        title = "access changes, none widens"
    else:
        title = "no access change"
    parts = [f"### Access review: {title}", ""]
    if widen:
        parts += [
            "> [!WARNING]",
            f"> **This change widens access**: {widen} caller × call line{'s' if widen != 1 else ''} "
            "below move{} to `allow` (`▲ WIDENS`). A security owner should approve it.".format(
                "" if widen != 1 else "s"
            ),
            "",
        ]
    if report.disagreements:
        parts += [
            "> [!CAUTION]",
            "> The matrix and the contract disagree (`✗`): `make test` fails until they do not.",
            "",
        ]
    parts += ["```text", to_text(report).rstrip("\n"), "```", ""]
    return "\n".join(parts)


def error_markdown(message: str) -> str:
    return f"### Access review: could not be computed\n\n```text\n{message}\n```\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.access_diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git ref to compare the working tree with")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help="repository (and working tree)")
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown here")
    parser.add_argument("--summary", type=Path, help="append the Markdown to this file (GITHUB_STEP_SUMMARY)")
    args = parser.parse_args(argv)
    try:
        report = compare(args.base, args.repo)
        text, markdown, status = to_text(report), to_markdown(report), 0
    except AccessDiffError as exc:
        text, markdown, status = f"access-diff: error: {exc}\n", error_markdown(str(exc)), 2
    (sys.stdout if status == 0 else sys.stderr).write(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown, encoding="utf-8")
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(markdown)
    return status


if __name__ == "__main__":
    sys.exit(main())

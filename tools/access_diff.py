"""`make access-diff BASE=<ref>`: what a change does to who may call what, in the product's words.

A pull request that widens a template shows a JSON diff and a Terraform plan of IAM documents;
neither says "after this change pet-veterinarian may DELETE /news". This module says it. For each
side (the git ref BASE, and the working tree) and each environment it computes

- the static matrix: the policy templates and the access model through the IAM evaluator
  (`tools/matrix.py` over `tools/iam_policy.py`), every route and every verb of an ANY route, for
  one set of callers on both sides (the kinds of user of either side's contract, plus a user of
  each group no contract speaks for yet), so a caller's cell moves only when what decides it does;
- the contract's cells (`tests/contract/access.yaml`, through `tools/contract.py`);

and prints only the cells that change, one line per caller, call and change, with the environments
it holds in: `▲ WIDENS  pet-veterinarian  DELETE /news  deny_403 → allow  (local, dev, staging, prod)`.
A cell that becomes allow is a widening, marked `▲ WIDENS`; one that stops being allow narrows
(`▼ narrows`); anything else (a new or removed caller or call that is denied, 401 ↔ 403) is `·`.
A matrix change the contract does not make, or the reverse, is listed as a disagreement (`✗`): any
change after which the matrix and the contract answer a cell differently.

Both sides are evaluated with the working tree's code: BASE contributes only its files (templates,
access model, environment settings, contract), extracted with `git archive` into a temporary
directory. A section BASE's files do not have yet is read as empty (and said so in the notes), so an
older BASE still compares. The report is a review aid, not a gate: `make test` fails on a matrix
and a contract that disagree.
"""

from __future__ import annotations

import argparse
import io
import json
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
from tools.config import ENVIRONMENTS, HTTP_METHODS, REPO_ROOT, AccessModel, ConfigError, EnvConfig
from tools.contract import CONTRACT_FILE, OUTCOMES, SECTIONS, Contract, ContractError
from tools.contract import parse as parse_contract
from tools.matrix import (
    ALLOW,
    FORBIDDEN,
    UNAUTHORIZED,
    Principal,
    expected_status,
    external_group,
    user_pool_role_mapping,
)

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
    return tuple(p.relative_to(REPO_ROOT) for p in (config.TEMPLATES_DIR, config.ENVS_DIR, CONTRACT_FILE))


# --- the contract, through a thin adapter -------------------------------------------------------
# Only the sections the cells come from are read (tools.contract.parse with those SECTIONS), so a
# section added later (or dropped) elsewhere in the file, at BASE or in the working tree, does not
# stop the diff; a cell section BASE does not have yet is read as empty (`None`, as the loader
# passes a missing key).

CELL_SECTIONS = frozenset({"version", "role_mapping_default", "routes", "users", "token_option"})


def read_contract(path: Path, label: str) -> tuple[Contract | None, list[str]]:
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
    sections = [section for section in SECTIONS if section.key in CELL_SECTIONS]
    reduced = {key: value for key, value in raw.items() if key in CELL_SECTIONS}
    try:
        return parse_contract(reduced, source=f"{label}:{path.name}", sections=sections), []
    except ContractError as exc:
        raise AccessDiffError(f"{label}: the contract cannot be read with the current code: {exc}") from exc


def contract_callers(promise: Contract) -> list[Caller]:
    """The contract's kinds of caller (its users: name, groups, external IdP or not)."""
    return [Caller(u.name, u.groups, u.external) for u in promise.users(promise.default_mapping).values()]


def contract_cells(promise: Contract, cfg: EnvConfig) -> Cells:
    outcome_words = {value: word for word, value in OUTCOMES.items()}
    return {
        (user, method, promise.routes[route].path): outcome_words[outcome]
        for (user, route, method), outcome in promise.cells(user_pool_role_mapping(cfg)).items()
    }


# --- one side: a copy of the access files, read and rendered -----------------------------------------


@dataclass(frozen=True)
class Caller:
    """A kind of caller the matrix is computed for (the same set on both sides)."""

    name: str
    groups: tuple[str, ...]
    external: bool = False

    def principal(self, cfg: EnvConfig) -> Principal:
        """tools.matrix's caller in `cfg`; an external IdP user maps to the env's provider group."""
        return Principal(self.name, self.groups, external_group(cfg) if self.external else None)


@dataclass(frozen=True)
class Tree:
    """One side's files, read with the current code: per environment its settings and rendered
    policies, and the contract (None when that side has none)."""

    label: str
    configs: dict[str, EnvConfig]
    policies: dict[str, dict[str, Any]]
    promise: Contract | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Side:
    label: str
    matrix: dict[str, Cells]  # environment -> cells
    contract: dict[str, Cells]
    notes: tuple[str, ...] = ()


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


def load(root: Path, label: str) -> Tree:
    """Read and render the copy of the repository's access files at `root`."""
    notes: list[str] = []
    try:
        model = _model(root, label, notes)
        promise, contract_notes = read_contract(root / input_paths()[2], label)
        notes += contract_notes
        templates = root / input_paths()[0]
        configs: dict[str, EnvConfig] = {}
        policies: dict[str, dict[str, Any]] = {}
        for env in ENVIRONMENTS:
            cfg = _settings(root, env, label, model, notes)
            if cfg is not None:
                configs[env] = cfg
                policies[env] = {
                    group: json.loads(render.render_group(cfg, group, API_ID, templates_dir=templates))
                    for group in cfg.groups
                }
    except (ConfigError, render.TemplateError, KeyError, TypeError, ValueError) as exc:
        raise AccessDiffError(f"{label}: cannot evaluate: {exc}") from exc
    return Tree(label, configs, policies, promise, tuple(notes))


def callers(trees: Sequence[Tree]) -> list[Caller]:
    """The callers both sides are computed for: every kind of user either side's contract has (the
    first tree's definition wins), plus one user named after each group that no contract has a
    user of its own for, so a new group shows up even without its contract entry. The same set on
    both sides: a caller's cells change only when what decides its access changes."""
    found: dict[str, Caller] = {}
    for tree in trees:
        for caller in contract_callers(tree.promise) if tree.promise else []:
            found.setdefault(caller.name, caller)
    covered = {c.groups[0] for c in found.values() if len(c.groups) == 1 and not c.external}
    for tree in trees:
        for cfg in tree.configs.values():
            for group in cfg.groups_by_precedence():
                if group.name not in covered:
                    name = group.name if group.name not in found else f"{group.name} (group)"
                    found[name] = Caller(name, (group.name,))
                    covered.add(group.name)
    return list(found.values())


def matrix_cells(cfg: EnvConfig, principals: Sequence[Principal], policies: Mapping[str, Any]) -> Cells:
    return {
        (p.name, method, route.path): WORDS[expected_status(cfg, p, route, policies, API_ID, method=method)]
        for p in principals
        for route in cfg.routes.values()
        for method in (ANY_METHODS if route.method == "ANY" else (route.method,))
    }


def evaluate(tree: Tree, who: Sequence[Caller]) -> Side:
    """The static matrix (for the callers `who`) and the contract's cells, per environment."""
    matrix = {
        env: matrix_cells(cfg, [c.principal(cfg) for c in who], tree.policies[env])
        for env, cfg in tree.configs.items()
    }
    promised = {
        env: contract_cells(tree.promise, cfg) if tree.promise else {} for env, cfg in tree.configs.items()
    }
    return Side(tree.label, matrix, promised, tree.notes)


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
    """A cell that one side (`moved`: the matrix, or else the contract) changes, and that the
    matrix and the contract then answer differently."""

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
        counts = ", ".join(
            _plural(self.count(kind), noun)
            for kind, noun in (("widens", "widening"), ("narrows", "narrowing"), ("changes", "other change"))
        )
        agree = (
            f"{_plural(len(self.disagreements), 'disagreement')} with the contract"
            if self.disagreements
            else "the contract makes the same changes"
        )
        return f"{counts}; {agree}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


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
            # A change on either side that leaves the two disagreeing. (One that makes them agree,
            # e.g. a contract catching up with the matrix, is not flagged.)
            if (matrix[0] != matrix[1] or promise[0] != promise[1]) and matrix[1] != promise[1]:
                moved, mine, other = (
                    ("matrix", matrix, promise) if matrix[0] != matrix[1] else ("contract", promise, matrix)
                )
                disagreements.append((Disagreement(moved, Change(*key, *mine), *other), env))
    notes = tuple(dict.fromkeys((*base.notes, *head.notes)))
    return Report(base.label, head.label, _grouped(changes), _grouped(disagreements), compared, notes)


def compare(base_ref: str, repo: Path = REPO_ROOT) -> Report:
    """BASE's files (from git) against the working tree at `repo`, both with the current code."""
    with tempfile.TemporaryDirectory(prefix="access-diff-") as tmp:
        commit = extract(base_ref, repo, Path(tmp))
        base = load(Path(tmp), commit if commit.startswith(base_ref) else f"{base_ref} ({commit})")
    head = load(repo, head_label(repo))
    who = callers([head, base])
    return diff(evaluate(base, who), evaluate(head, who))


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
        title = f"▲ {_plural(widen, 'widening')} of access"
    elif report.changes or report.disagreements:
        title = "access changes, none widens"
    else:
        title = "no access change"
    parts = [f"### Access review: {title}", ""]
    if widen:
        parts += [
            "> [!WARNING]",
            f"> **This change widens access.** {_plural(widen, 'line')} marked `▲ WIDENS` below give a "
            "caller a call it did not have, in the environments listed.",
            "",
        ]
    if report.disagreements:
        parts += [
            "> [!CAUTION]",
            "> The matrix and the contract disagree (`✗`): `make test` fails until they agree.",
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

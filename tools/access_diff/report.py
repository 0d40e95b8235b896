"""Two sides compared: the cells that change, the disagreements with the contract, and the report
in the product's words (text for the terminal, Markdown for the job summary and the comment).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tools.access_diff.sides import Side
from tools.config import ENVIRONMENTS, HTTP_METHODS

ABSENT = "—"  # no such cell on that side: the caller or the call does not exist there
MARKS = {"widens": "▲ WIDENS ", "narrows": "▼ narrows", "changes": "· changes"}
HEAD_CODE = "tools/matrix.py over tools/iam_policy.py"


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

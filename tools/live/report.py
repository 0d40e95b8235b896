"""A live run's result: one cell per contract cell (kind of user x route x method), what was created
and removed, and the matrix printed from it (text for a terminal, Markdown for a job summary).

A cell is one of: kept (the live answer keeps the contract), a mismatch (it does not, or the call
could not be made), or not verifiable here (with the reason: no browser for an OAuth-scoped token,
no headless sign-in at the external IdP, writes off for the environment). Nothing a caller stored is
in a report: only statuses and the gateway's own error type.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tools.matrix import ALLOW, NOT_APPLICABLE, Expectation

KEPT, MISMATCH, NOT_VERIFIABLE = "kept", "mismatch", "not verifiable"


@dataclass(frozen=True)
class Cell:
    user: str
    route: str
    method: str
    expected: Expectation
    status: int | None = None  # None: no answer (not sent, or the client failed)
    matched: bool = False
    note: str = ""  # how the call was made, or why it failed
    skipped: str = ""  # why the cell is not verifiable here

    @property
    def outcome(self) -> str:
        if self.skipped:
            return NOT_VERIFIABLE
        return KEPT if self.matched else MISMATCH

    @property
    def ok(self) -> bool:
        return self.outcome != MISMATCH


@dataclass
class Report:
    environment: str
    run_id: str
    writes: bool
    mapping: str
    routes: dict[str, str]  # route name -> "METHOD /path [auth]"
    users: list[str]
    cells: list[Cell] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)  # what the run made: users, identities, items
    removed: Counter[str] = field(default_factory=Counter)  # the same, plus the records its users stored
    swept: Counter[str] = field(default_factory=Counter)  # leftovers of earlier runs removed
    leftovers: list[str] = field(default_factory=list)  # what the run made and could not remove
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def mismatches(self) -> list[Cell]:
        return [c for c in self.cells if c.outcome == MISMATCH]

    @property
    def not_verifiable(self) -> list[Cell]:
        return [c for c in self.cells if c.outcome == NOT_VERIFIABLE]

    @property
    def passed(self) -> bool:
        return (
            bool(self.cells)
            and not self.mismatches
            and not self.leftovers
            and not self.errors
            and not self.interrupted
        )


def label(expected: Expectation) -> str:
    if expected == NOT_APPLICABLE:
        return "n/a"
    return "2xx" if expected == ALLOW else str(expected)


def _cell_text(cell: Cell) -> str:
    if cell.outcome == NOT_VERIFIABLE:
        return f"--/{label(cell.expected)}"
    if cell.expected == NOT_APPLICABLE and cell.matched:
        return "n/a"  # a machine caller on an iam route: nothing to send
    live = "ERR" if cell.status is None else str(cell.status)
    return f"{live}/{label(cell.expected)}{'' if cell.matched else ' !!'}"


def _rows(report: Report) -> list[tuple[str, str]]:
    return list(dict.fromkeys((c.route, c.method) for c in report.cells))


def _signature(report: Report, route: str, method: str) -> str:
    sig = report.routes.get(route, "")
    return sig if sig.split(" ", 1)[0] == method else f"{method} {sig.split(' ', 1)[-1]}"


def _counts(report: Report) -> str:
    return (
        f"{len(report.cells)} cells: {sum(c.outcome == KEPT for c in report.cells)} kept, "
        f"{len(report.mismatches)} mismatches, {len(report.not_verifiable)} not verifiable here"
    )


def _housekeeping(report: Report) -> list[str]:
    def listed(counter: Counter[str]) -> str:
        return ", ".join(f"{n} {what}" for what, n in sorted(counter.items()) if n) or "nothing"

    lines = [
        f"created: {listed(report.created)}; removed: {listed(report.removed)}; "
        f"left behind: {len(report.leftovers) or 'nothing'}",
        f"earlier runs' leftovers swept: {listed(report.swept)}",
    ]
    lines += [f"LEFT BEHIND: {item}" for item in report.leftovers]
    lines += [f"ERROR: {error}" for error in report.errors]
    if report.interrupted:
        lines.append("INTERRUPTED: the run was stopped before every cell was checked")
    return lines


def _unverifiable_reasons(report: Report) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for cell in report.not_verifiable:
        by_reason.setdefault(cell.skipped, []).append(f"{cell.user} {cell.method} {cell.route}")
    return [f"{len(cells)} cells: {reason}" for reason, cells in by_reason.items()]


def render(report: Report) -> str:
    """The matrix: rows = route x method, columns = kinds of user; `live/promised`, `!!` = mismatch,
    `--` = not verifiable here; then the counts, every mismatch, why cells were not verifiable, and
    what the run created, removed and swept."""
    rows = _rows(report)
    by_key = {(c.user, c.route, c.method): c for c in report.cells}
    row_w = max((len(r) + 2 + len(_signature(report, r, m)) for r, m in rows), default=10)
    col_w = max(12, *(len(u) for u in report.users))
    lines = [
        f"Access contract, live in {report.environment} (run {report.run_id}): live status / promised "
        "(2xx = the handler answered), !! = mismatch, -- = not verifiable here",
        f"identity-pool role mapping: {report.mapping}; writes: "
        + ("on (aimed at items the run wrote itself)" if report.writes else "OFF (reads only)"),
        " " * row_w + " " + " ".join(u.rjust(col_w) for u in report.users),
    ]
    for route, method in rows:
        row = [f"{route}  {_signature(report, route, method)}".ljust(row_w)]
        for user in report.users:
            cell = by_key.get((user, route, method))
            row.append(("" if cell is None else _cell_text(cell)).rjust(col_w))
        lines.append(" ".join(row))
    lines.append(_counts(report))
    lines += [
        f"  !! {c.user} {c.method} {c.route}: got {c.status if c.status is not None else 'no answer'}, "
        f"promised {label(c.expected)}{f' ({c.note})' if c.note else ''}"
        for c in report.mismatches
    ]
    lines += [f"  not verifiable: {reason}" for reason in _unverifiable_reasons(report)]
    notes = dict.fromkeys((c.user, c.note) for c in report.cells if c.matched and c.note)
    lines += [f"  note: {user}: {note}" for user, note in notes]
    lines += _housekeeping(report)
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    """The same for a GitHub job summary."""
    verdict = (
        "keeps the access contract"
        if report.passed
        else f"**does NOT keep the access contract** ({len(report.mismatches)} mismatches)"
        if report.mismatches
        else "**could not be verified completely**"
    )
    icon = "✅" if report.passed else "❌"
    head = ["| route | method |", *(f" {u} |" for u in report.users)]
    lines = [
        f"## {icon} `{report.environment}` {verdict}",
        "",
        f"Run `{report.run_id}`, role mapping {report.mapping}, writes "
        + ("on (aimed at items the run wrote itself)." if report.writes else "**off** (reads only)."),
        _counts(report) + ".",
        "",
        "".join(head),
        "|---|---|" + "---|" * len(report.users),
    ]
    by_key = {(c.user, c.route, c.method): c for c in report.cells}
    for route, method in _rows(report):
        cells = [by_key.get((u, route, method)) for u in report.users]
        shown = ["" if c is None else _cell_text(c).replace("!!", "**!!**") for c in cells]
        lines.append(f"| {route} | {method} | " + " | ".join(shown) + " |")
    if report.mismatches:
        lines += ["", "### Mismatches", ""]
        lines += [
            f"- {c.user} `{c.method}` {c.route}: got {c.status if c.status is not None else 'no answer'}, "
            f"promised {label(c.expected)}{f' ({c.note})' if c.note else ''}"
            for c in report.mismatches
        ]
        lines += ["", 'What to do: docs/deploying.md, "Verifying an environment".']
    reasons = _unverifiable_reasons(report)
    if reasons:
        lines += ["", "### Not verifiable here", "", *(f"- {r}" for r in reasons)]
    lines += ["", "### Housekeeping", "", *(f"- {line}" for line in _housekeeping(report))]
    return "\n".join(lines) + "\n"

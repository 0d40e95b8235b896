"""`make access-diff BASE=<ref>`: what a change does to who may call what, in the product's words.

A pull request that widens a template shows a JSON diff and a Terraform plan of IAM documents;
neither says "after this change pet-veterinarian may DELETE /news". This module says it. For each
side (the git ref BASE, and the working tree) and each environment it computes

- the static matrix: the policy templates and the access model through the IAM evaluator
  (`tools/matrix.py` over `tools/iam_policy.py`), every route and every verb of an ANY route, for
  one set of callers on both sides (the kinds of user and the machine callers of either side's
  contract, plus a user of each group and each machine client no contract speaks for yet), so a
  caller's cell moves only when what decides it does;
- the contract's cells (`tests/contract/access.yaml`, through `tools/contract`);

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

The parts: `sides.py` reads one side (git, the access files, the contract through a thin adapter)
and computes its cells; `report.py` compares two sides and writes the report (text, Markdown);
`cli.py` is `python -m tools.access_diff`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tools.access_diff.report import Report, diff, error_markdown, to_markdown, to_text
from tools.access_diff.sides import (
    AccessDiffError,
    Cells,
    callers,
    evaluate,
    extract,
    head_label,
    input_paths,
    load,
)
from tools.config import REPO_ROOT

__all__ = [
    "AccessDiffError",
    "Report",
    "compare",
    "diff",
    "error_markdown",
    "input_paths",
    "to_markdown",
    "to_text",
]


def compare(base_ref: str, repo: Path = REPO_ROOT) -> Report:
    """BASE's files (from git) against the working tree at `repo`, both with the current code."""
    with tempfile.TemporaryDirectory(prefix="access-diff-") as tmp:
        commit = extract(base_ref, repo, Path(tmp))
        base = load(Path(tmp), commit if commit.startswith(base_ref) else f"{base_ref} ({commit})")
    head = load(repo, head_label(repo))
    who = callers([head, base])
    memo: dict[str, Cells] = {}
    return diff(evaluate(base, who, memo), evaluate(head, who, memo))

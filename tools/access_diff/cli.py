"""`python -m tools.access_diff --base REF`: the command line of `make access-diff`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.access_diff import AccessDiffError, compare, error_markdown, to_markdown, to_text
from tools.config import REPO_ROOT


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.access_diff",
        description="the access-matrix cells that change between a git ref and the working tree",
    )
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

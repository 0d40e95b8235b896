"""The printed matrix of a live run (text and Markdown): every outcome shows, nothing is hidden."""

from __future__ import annotations

from collections import Counter

from tools.live.report import Cell, Report, render, render_markdown
from tools.matrix import ALLOW, FORBIDDEN, UNAUTHORIZED


def _report(given: list[Cell], **changes: object) -> Report:
    report = Report(
        environment="dev",
        run_id="20300101T000000-abcdef",
        writes=False,
        mapping="Rules",
        routes={"news-get": "GET /news [lambda]", "news-delete": "DELETE /news [lambda]"},
        users=["admin", "external"],
        cells=given,
        created=Counter({"users": 1, "identities": 1}),
        removed=Counter({"users": 1, "identities": 1, "records": 2}),
    )
    for key, value in changes.items():
        setattr(report, key, value)
    return report


KEPT = Cell("admin", "news-get", "GET", ALLOW, 200, matched=True)
SKIPPED_WRITE = Cell("admin", "news-delete", "DELETE", ALLOW, skipped="writes are off for this environment")
EXTERNAL = Cell("external", "news-get", "GET", UNAUTHORIZED, skipped="no headless sign-in at the IdP")
DRIFT = Cell(
    "external", "news-delete", "DELETE", UNAUTHORIZED, 403, matched=False, note="AccessDeniedException"
)


def test_a_clean_run_passes_and_says_what_was_not_verifiable() -> None:
    report = _report([KEPT, SKIPPED_WRITE, EXTERNAL])
    assert report.passed
    text = render(report)
    assert "200/2xx" in text
    assert "--/2xx" in text
    assert "--/401" in text
    assert "3 cells: 1 kept, 0 mismatches, 2 not verifiable here" in text
    assert "not verifiable: 1 cells: writes are off for this environment" in text
    assert "not verifiable: 1 cells: no headless sign-in at the IdP" in text
    assert "writes: OFF (reads only)" in text
    assert "left behind: nothing" in text
    assert "✅ `dev` keeps the access contract" in render_markdown(report)


def test_a_mismatch_fails_and_is_named_in_both_renderings() -> None:
    report = _report([KEPT, DRIFT])
    assert not report.passed
    assert report.mismatches == [DRIFT]
    text = render(report)
    assert "403/401 !!" in text
    assert "!! external DELETE news-delete: got 403, promised 401 (AccessDeniedException)" in text
    markdown = render_markdown(report)
    assert "❌ `dev` **does NOT keep the access contract** (1 mismatches)" in markdown
    assert "- external `DELETE` news-delete: got 403, promised 401" in markdown
    assert "docs/deploying.md" in markdown


def test_leftovers_errors_and_interruptions_fail_a_run_without_mismatches() -> None:
    for changes in (
        {"leftovers": ["user fgaverify-x-admin@verify.invalid"]},
        {"errors": ["removing identities: AccessDenied"]},
        {"interrupted": True},
        {"cells": []},
    ):
        report = _report([KEPT], **changes)
        assert not report.passed, changes
        assert "could not be verified completely" in render_markdown(report)
    text = render(_report([KEPT], leftovers=["item pets/fgaverify-x-1"]))
    assert "LEFT BEHIND: item pets/fgaverify-x-1" in text


def test_a_cell_without_an_answer_is_a_mismatch() -> None:
    broken = Cell("admin", "news-get", "GET", FORBIDDEN, None, note="ClientError: sign-in refused")
    report = _report([broken])
    assert report.mismatches == [broken]
    assert "ERR/403 !!" in render(report)

"""`make up`'s promise: the live access matrix it prints (the live-matrix engine, with principals and
items of its own) leaves the demo data exactly as seeded, so the commands the ready line and the
README suggest show that data.

Runs first among the e2e modules (file order), while the shared stack still holds what `start_stack`
seeded; the matrix run here is the one `make up` and `python -m local matrix` do.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from local import matrix
from local.__main__ import example_call, main
from local.demo_data import DEMO_NEWS
from tools.config import REPO_ROOT

pytestmark = pytest.mark.local_only

README = REPO_ROOT / "README.md"
SEEDED_TITLES = {title for title, _body in DEMO_NEWS}


def _records(running: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item of the records table, keyed by (pk, sk)."""
    items: dict[tuple[str, str], dict[str, Any]] = {}
    pages = running.aws("dynamodb").get_paginator("scan")
    for page in pages.paginate(TableName=running.outputs["records_table"], ConsistentRead=True):
        for item in page["Items"]:
            items[(item["pk"]["S"], item["sk"]["S"])] = item
    return items


@pytest.fixture(scope="module")
def matrix_run(stack: dict[str, Any], running: Any) -> dict[str, Any]:
    """The records table before and after one full live-matrix run, and the run's cells."""
    before = _records(running)
    report = matrix.run(stack)
    return {"before": before, "report": report, "after": _records(running)}


@pytest.fixture(scope="module")
def stack_file(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "stack.json"
    path.write_text(json.dumps(stack))
    return path


def test_the_stack_starts_with_the_seeded_news(matrix_run: dict[str, Any]) -> None:
    titles = {item["title"]["S"] for (pk, _sk), item in matrix_run["before"].items() if pk == "news"}
    assert titles == SEEDED_TITLES


def test_the_matrix_sends_its_writes_and_matches(matrix_run: dict[str, Any]) -> None:
    """The probes are real: every cell matches, including allowed writes (2xx from the handler)."""
    report = matrix_run["report"]
    assert report.passed
    assert [c for c in report.cells if not c.ok] == []
    allowed_writes = [c for c in report.cells if c.method != "GET" and c.status == 200]
    assert {c.route for c in allowed_writes} >= {"news-delete", "cup-post", "cip-post", "pets-v1-item"}


def test_the_matrix_leaves_every_record_as_it_was(matrix_run: dict[str, Any]) -> None:
    """News, profiles and pets: the records table after the run equals the one before, item by item."""
    assert matrix_run["after"] == matrix_run["before"]


def _run_cli(argv: list[str], stack_file: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    command, *rest = argv
    code = main([command, "--stack", str(stack_file), *rest])
    return code, capsys.readouterr().out


def test_the_ready_line_example_lists_the_seeded_news(
    stack: dict[str, Any], stack_file: Path, matrix_run: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run_cli(example_call(stack), stack_file, capsys)
    assert code == 0, out
    listed = json.loads(out.split("\n", 1)[1])["news"]
    assert {n["title"] for n in listed} == SEEDED_TITLES


def _readme_calls() -> list[list[str]]:
    """Every `python -m local call ...` command the README shows (argv after `python -m local`)."""
    found = re.findall(r"`python -m local (call [^`]+)`", README.read_text())
    return [shlex.split(command) for command in found]


def test_the_readme_examples_answer_with_the_seeded_data(
    stack_file: Path, matrix_run: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _readme_calls()
    assert any(c[-2:] == ["GET", "/news"] for c in calls), "the README should show reading the news"
    for argv in calls:
        code, out = _run_cli(argv, stack_file, capsys)
        assert code == 0, f"{shlex.join(argv)}: {out}"
        if argv[-2:] == ["GET", "/news"]:
            listed = json.loads(out.split("\n", 1)[1])["news"]
            assert {n["title"] for n in listed} == SEEDED_TITLES, shlex.join(argv)

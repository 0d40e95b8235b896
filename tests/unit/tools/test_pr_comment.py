"""tools/pr_comment.py: one pull-request comment per marker, updated in place, never duplicated.

The GitHub side is a fake holding the pull request's comments; GhApi is checked against a fake
`gh` runner (the command lines it builds and the JSON it sends), so nothing here needs a network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tools import pr_comment
from tools.pr_comment import GhApi, upsert

REPO = "acme/cognito-fine-grained-access"
MARK = "<!-- access-diff -->"


def bot(comment_id: int, body: str) -> dict[str, Any]:
    return {"id": comment_id, "body": body, "user": {"type": "Bot", "login": "github-actions[bot]"}}


def person(comment_id: int, body: str) -> dict[str, Any]:
    return {"id": comment_id, "body": body, "user": {"type": "User", "login": "reviewer"}}


class FakeGitHub:
    """A pull request's comments, and every call made on them."""

    def __init__(self, comments: list[dict[str, Any]]) -> None:
        self.existing = comments
        self.calls: list[tuple[Any, ...]] = []

    def comments(self, repo: str, pr: int) -> list[dict[str, Any]]:
        self.calls.append(("list", repo, pr))
        return list(self.existing)

    def create(self, repo: str, pr: int, body: str) -> int:
        self.calls.append(("create", repo, pr, body))
        return 900

    def update(self, repo: str, comment_id: int, body: str) -> int:
        self.calls.append(("update", repo, comment_id, body))
        return comment_id


def test_the_first_run_creates_the_comment_with_the_marker_first() -> None:
    github = FakeGitHub([person(1, "looks good")])
    assert upsert(github, REPO, 7, "### Access review: no access change\n", "access-diff") == ("created", 900)
    assert github.calls[-1] == ("create", REPO, 7, f"{MARK}\n### Access review: no access change\n")
    assert [c[0] for c in github.calls] == ["list", "create"]


def test_a_later_run_edits_its_own_comment_instead_of_adding_one() -> None:
    github = FakeGitHub([person(1, "looks good"), bot(2, f"{MARK}\n### old report"), person(3, "ok")])
    assert upsert(github, REPO, 7, "### new report", "access-diff") == ("updated", 2)
    assert github.calls[-1] == ("update", REPO, 2, f"{MARK}\n### new report")
    assert not [c for c in github.calls if c[0] == "create"]


@pytest.mark.parametrize(
    "comment",
    [
        person(5, f"{MARK}\nquoting the bot"),  # a person's comment is never overwritten
        bot(6, "<!-- terraform-plan:dev -->\n### Terraform plan"),  # another bot comment
        bot(7, f"The report said:\n{MARK}"),  # the marker must come first
        {"id": 8, "body": None, "user": {"type": "Bot"}},  # an empty body
    ],
)
def test_only_a_bot_comment_that_starts_with_the_marker_counts(comment: dict[str, Any]) -> None:
    github = FakeGitHub([comment])
    assert upsert(github, REPO, 7, "### report", "access-diff")[0] == "created"


def test_if_a_race_left_two_the_oldest_is_updated() -> None:
    github = FakeGitHub([bot(11, f"{MARK}\nfirst"), bot(12, f"{MARK}\nsecond")])
    assert upsert(github, REPO, 7, "### report", "access-diff") == ("updated", 11)


def test_the_marker_is_not_doubled_and_names_are_checked() -> None:
    assert pr_comment.with_marker(f"{MARK}\nbody", "access-diff") == f"{MARK}\nbody"
    for bad in ("", "Access Diff", "x -->", "a" * 65):
        with pytest.raises(pr_comment.CommentError):
            pr_comment.marker(bad)


def test_a_body_over_githubs_limit_is_cut_with_a_note() -> None:
    text = pr_comment.with_marker("x" * (pr_comment.MAX_BODY + 10), "access-diff")
    assert len(text) == pr_comment.MAX_BODY
    assert text.startswith(MARK)
    assert text.endswith(pr_comment.TRUNCATED)


class FakeGh:
    """Records (argv, stdin) and answers like `gh api` would."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.runs: list[tuple[list[str], str | None]] = []

    def __call__(self, argv: Sequence[str], stdin: str | None) -> str:
        self.runs.append((list(argv), stdin))
        return self.answers.pop(0)


def test_gh_lists_every_page_and_reads_one_comment_per_line() -> None:
    lines = [json.dumps(bot(2, f"{MARK}\nline one\nline two")), json.dumps(person(3, "ok"))]
    gh = FakeGh(["\n".join(lines) + "\n"])
    comments = GhApi(run=gh).comments(REPO, 7)
    assert [c["id"] for c in comments] == [2, 3]
    assert comments[0]["body"] == f"{MARK}\nline one\nline two"
    argv, stdin = gh.runs[0]
    assert argv[:4] == ["gh", "api", "--paginate", f"repos/{REPO}/issues/7/comments"]
    assert "@json" in argv[argv.index("--jq") + 1]
    assert stdin is None


def test_gh_sends_the_body_as_json_on_stdin_never_as_an_argument() -> None:
    gh = FakeGh(["900\n", "2\n"])
    api = GhApi(run=gh)
    body = f'{MARK}\n### report with `backticks`, $(no shell) and "quotes"'
    assert api.create(REPO, 7, body) == 900
    assert api.update(REPO, 2, body) == 2
    create, update = (argv for argv, _stdin in gh.runs)
    assert create[:5] == ["gh", "api", "-X", "POST", f"repos/{REPO}/issues/7/comments"]
    assert update[:5] == ["gh", "api", "-X", "PATCH", f"repos/{REPO}/issues/comments/2"]
    for argv, stdin in gh.runs:
        assert argv[argv.index("--input") + 1] == "-"
        assert json.loads(stdin or "") == {"body": body}
        assert not any(body in arg for arg in argv)


def test_the_command_line_refuses_bad_input_before_calling_github(tmp_path: Path) -> None:
    body = tmp_path / "report.md"
    body.write_text("### report")
    github = FakeGitHub([])
    for argv in (
        ["--repo", "not a repo", "--pr", "7"],
        ["--repo", REPO, "--pr", "seven"],
        ["--repo", REPO, "--pr", "0"],
    ):
        assert pr_comment.main([*argv, "--name", "access-diff", "--body-file", str(body)], api=github) == 2
    missing = ["--repo", REPO, "--pr", "7", "--name", "access-diff", "--body-file", str(tmp_path / "none")]
    assert pr_comment.main(missing, api=github) == 2
    assert github.calls == []
    ok = ["--repo", REPO, "--pr", "7", "--name", "access-diff", "--body-file", str(body)]
    assert pr_comment.main(ok, api=github) == 0
    assert github.calls[-1] == ("create", REPO, 7, f"{MARK}\n### report")


def test_a_failing_gh_call_is_an_error_with_its_message() -> None:
    def failing(argv: Sequence[str], stdin: str | None) -> str:
        return pr_comment.run_gh(["false"], stdin)

    with pytest.raises(pr_comment.CommentError, match="false: failed"):
        GhApi(run=failing).create(REPO, 7, "body")

"""Post or update one pull-request comment, found again by a hidden marker (`make access-diff-comment`).

A workflow that comments on every push must not pile comments up. The body starts with a hidden
HTML marker (`<!-- access-diff -->`); a later run finds the comment that starts with it and edits it
instead of adding another. Only a comment a bot wrote counts: a person who quotes the marker does
not get their comment overwritten (nor could the job's token edit it). If a race left two, the
oldest is the one kept up to date.

GitHub is reached through `gh api` with the job's token (GH_TOKEN, `pull-requests: write` on that
job only); the body travels on stdin as JSON, never on the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

#: GitHub refuses a comment body longer than this (characters).
MAX_BODY = 65536
TRUNCATED = "\n\n… (truncated: the whole report is in the job summary)\n"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9:._-]{0,63}$")
REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class CommentError(Exception):
    """Bad input or a failed GitHub call; the message says which."""


def marker(name: str) -> str:
    if not NAME_RE.match(name):
        raise CommentError(f"marker name {name!r}: use lowercase letters, digits and - . _ :")
    return f"<!-- {name} -->"


def with_marker(body: str, name: str) -> str:
    """`body` starting with the marker (once), cut to GitHub's limit if it is longer."""
    mark = marker(name)
    text = body if body.startswith(mark) else f"{mark}\n{body}"
    if len(text) > MAX_BODY:
        text = text[: MAX_BODY - len(TRUNCATED)] + TRUNCATED
    return text


def find_comment(comments: Iterable[Mapping[str, Any]], name: str) -> int | None:
    """The id of the oldest comment a bot wrote whose body starts with the marker."""
    mark = marker(name)
    for comment in comments:
        user = comment.get("user") or {}
        if user.get("type") == "Bot" and str(comment.get("body") or "").startswith(mark):
            return int(comment["id"])
    return None


class GitHub(Protocol):
    def comments(self, repo: str, pr: int) -> list[dict[str, Any]]: ...
    def create(self, repo: str, pr: int, body: str) -> int: ...
    def update(self, repo: str, comment_id: int, body: str) -> int: ...


Runner = Callable[[Sequence[str], str | None], str]  # (argv, stdin) -> stdout


def run_gh(argv: Sequence[str], stdin: str | None) -> str:
    proc = subprocess.run(list(argv), input=stdin, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CommentError(f"{' '.join(argv[:4])}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


class GhApi:
    """The three calls, through the GitHub CLI (`gh api`), in issue-comment terms (a pull request
    is an issue for comments)."""

    def __init__(self, run: Runner = run_gh, gh: str = "gh") -> None:
        self._run = run
        self._gh = gh

    def comments(self, repo: str, pr: int) -> list[dict[str, Any]]:
        # Every page, one comment per line (@json makes each a one-line JSON string, printed raw).
        out = self._run(
            [
                self._gh,
                "api",
                "--paginate",
                f"repos/{repo}/issues/{pr}/comments",
                "--jq",
                ".[] | {id, body, user: {type: .user.type, login: .user.login}} | @json",
            ],
            None,
        )
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def create(self, repo: str, pr: int, body: str) -> int:
        path = f"repos/{repo}/issues/{pr}/comments"
        return self._send("POST", path, body)

    def update(self, repo: str, comment_id: int, body: str) -> int:
        return self._send("PATCH", f"repos/{repo}/issues/comments/{comment_id}", body)

    def _send(self, method: str, path: str, body: str) -> int:
        out = self._run(
            [self._gh, "api", "-X", method, path, "--input", "-", "--jq", ".id"], json.dumps({"body": body})
        )
        return int(out.strip())


def upsert(api: GitHub, repo: str, pr: int, body: str, name: str) -> tuple[str, int]:
    """Edit this pull request's comment with the marker `name`, or create it: (what was done, id)."""
    text = with_marker(body, name)
    existing = find_comment(api.comments(repo, pr), name)
    if existing is None:
        return "created", api.create(repo, pr, text)
    return "updated", api.update(repo, existing, text)


def main(argv: Sequence[str] | None = None, api: GitHub | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pr_comment", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY", ""), help="owner/name")
    parser.add_argument("--pr", default=os.environ.get("PR_NUMBER", ""), help="pull request number")
    parser.add_argument("--name", required=True, help="the marker's name, e.g. access-diff")
    parser.add_argument("--body-file", type=Path, required=True, help="the comment (Markdown)")
    args = parser.parse_args(argv)
    try:
        if not REPO_RE.match(args.repo):
            raise CommentError(f"--repo {args.repo!r}: expected owner/name (GITHUB_REPOSITORY)")
        if not str(args.pr).isdigit() or int(args.pr) < 1:
            raise CommentError(f"--pr {args.pr!r}: expected a pull request number (PR_NUMBER)")
        marker(args.name)
        try:
            body = args.body_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommentError(f"{args.body_file} does not exist: nothing to post") from None
        done, comment_id = upsert(api or GhApi(), args.repo, int(args.pr), body, args.name)
    except CommentError as exc:
        print(f"pr-comment: error: {exc}", file=sys.stderr)
        return 2
    print(f"pr-comment: {done} comment {comment_id} on {args.repo}#{args.pr}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

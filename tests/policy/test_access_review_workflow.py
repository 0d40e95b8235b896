"""The access-review workflow: when it runs, what it may do, and its two steps run for real.

The workflow is checked as the pipeline's other invariants are (tests/policy/test_workflows.py; the
schema and zizmor checks there cover this file too): pull_request only, the paths that feed the diff,
least privilege with the write scope on the one job, no untrusted input expanded into a script.
Then the steps themselves: `make access-diff` writes the job summary, and `make
access-diff-comment` edits the existing comment through a stand-in `gh` on PATH, as the runner's
would be called.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

from tools import access_diff, config
from tools.config import REPO_ROOT
from tools.validate import workflows

WORKFLOW = workflows.WORKFLOWS_DIR / "access-review.yml"


def _workflow() -> dict[str, Any]:
    return workflows.load_workflow(WORKFLOW)


def _job() -> dict[str, Any]:
    jobs = _workflow()["jobs"]
    assert list(jobs) == ["access-diff"]
    job: dict[str, Any] = jobs["access-diff"]
    return job


def _step(run: str) -> dict[str, Any]:
    return next(s for s in _job()["steps"] if str(s.get("run", "")).strip() == run)


def github_glob(pattern: str) -> re.Pattern[str]:
    """A `paths:` filter as GitHub reads it: `**` crosses `/`, `*` does not."""
    regex = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace("\0", ".*")
    return re.compile(f"^{regex}$")


def _tracked(*paths: Path | str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--", *map(str, paths)], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def test_it_runs_on_pull_requests_only_never_pull_request_target() -> None:
    assert set(_workflow()["on"]) == {"pull_request"}
    assert _workflow()["permissions"] == {}


def test_its_paths_cover_every_file_the_diff_reads_and_the_api_module() -> None:
    patterns = [github_glob(p) for p in _workflow()["on"]["pull_request"]["paths"]]
    inputs = [
        name
        for name in _tracked(*access_diff.input_paths())
        if not name.startswith(str(config.ENVS_DIR.relative_to(REPO_ROOT))) or name.endswith("/config.json")
    ]
    watched = [
        *inputs,
        *_tracked("terraform/modules/api", "tools/access_diff", "tools/pr_comment.py", WORKFLOW),
    ]
    assert len(inputs) >= 10
    unwatched = [name for name in watched if not any(p.match(name) for p in patterns)]
    assert unwatched == []
    assert not any(p.match("README.md") or p.match("functions/authorizer/app.py") for p in patterns)


def test_the_job_has_least_privilege_and_the_token_only_where_it_comments() -> None:
    job = _job()
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {"persist-credentials": False, "fetch-depth": 0}
    runs = [str(s.get("run", "")).strip() for s in job["steps"] if "run" in s]
    assert runs == ["make access-diff", "make access-diff-comment"]
    diff_step, comment_step = _step("make access-diff"), _step("make access-diff-comment")
    assert diff_step["env"] == {"BASE": "${{ github.event.pull_request.base.sha }}"}
    assert comment_step["env"] == {
        "GH_TOKEN": "${{ github.token }}",
        "PR_NUMBER": "${{ github.event.pull_request.number }}",
    }
    # The token reaches that one step: no workflow- or job-level env, no other step names it.
    assert "env" not in _workflow()
    assert "env" not in job
    holders = [s for s in job["steps"] if "github.token" in json.dumps(s) or "secrets." in json.dumps(s)]
    assert holders == [comment_step]
    condition = comment_step["if"].replace(" ", "")
    assert "!cancelled()" in condition  # the error report is posted too
    assert "github.event.pull_request.head.repo.full_name==github.repository" in condition  # not forks
    concurrency = _workflow()["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def test_no_expression_is_expanded_inside_a_script() -> None:
    for step in _job()["steps"]:
        assert "${{" not in str(step.get("run", "")), step


# --- the steps, run ------------------------------------------------------------------------------

FAKE_GH = """#!/usr/bin/env bash
# Stands in for the GitHub CLI: logs each call, answers a listing with one earlier bot comment.
printf '%s\\n' "$*" >> "$FAKE_GH_LOG"
if [[ " $* " == *" --paginate "* ]]; then
  printf '%s\\n' '{"id": 42, "body": "<!-- access-diff -->\\\\nold", "user": {"type": "Bot"}}'
else
  cat > "$FAKE_GH_LOG.body"
  echo 42
fi
"""


def _make(target: str, env: dict[str, str], *variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target, *variables],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_steps_write_the_summary_and_edit_the_one_comment(tmp_path: Path) -> None:
    out = tmp_path / "access-diff"
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    diff = _make(
        "access-diff", {"BASE": "HEAD", "GITHUB_STEP_SUMMARY": str(summary)}, f"ACCESS_DIFF_DIR={out}"
    )
    assert diff.returncode == 0, diff.stdout + diff.stderr
    report = (out / "report.md").read_text()
    assert report.startswith("### Access review: ")
    assert summary.read_text() == "earlier step\n" + report  # appended, as GitHub expects

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "gh.log"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH_LOG": str(log),
        "GITHUB_REPOSITORY": "acme/cognito-fine-grained-access",
        "PR_NUMBER": "7",
        "GH_TOKEN": "not-a-token",
    }
    comment = _make("access-diff-comment", env, f"ACCESS_DIFF_DIR={out}")
    assert comment.returncode == 0, comment.stdout + comment.stderr
    assert "updated comment 42 on acme/cognito-fine-grained-access#7" in comment.stdout
    calls = log.read_text().splitlines()
    assert calls[0].startswith("api --paginate repos/acme/cognito-fine-grained-access/issues/7/comments")
    assert calls[1].startswith(
        "api -X PATCH repos/acme/cognito-fine-grained-access/issues/comments/42 --input -"
    )
    assert len(calls) == 2  # listed, then edited: nothing created
    assert json.loads((tmp_path / "gh.log.body").read_text()) == {"body": f"<!-- access-diff -->\n{report}"}


def test_the_comment_step_fails_clearly_without_a_report(tmp_path: Path) -> None:
    env = {"GITHUB_REPOSITORY": "acme/x", "PR_NUMBER": "7", "PATH": os.environ["PATH"]}
    result = _make("access-diff-comment", env, f"ACCESS_DIFF_DIR={tmp_path / 'none'}")
    assert result.returncode != 0
    assert "report.md does not exist: nothing to post" in result.stderr

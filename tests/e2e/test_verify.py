"""`make verify ENV=local` against the shared stack: the real command line, a drift planted behind
Terraform's back, and runs that are interrupted (SIGINT) or killed (SIGKILL) midway.

What each test checks in the emulator itself, not in the run's own report: no user, identity or
record of a run is left, and the demo data (users, news, profiles) are exactly as before.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from local.verify_hooks import local_hooks
from tools import contract
from tools.config import REPO_ROOT
from tools.live.engine import verify
from tools.live.principals import PREFIX

pytestmark = pytest.mark.local_only

RUN_TIMEOUT_SECONDS = 120


def _records(running: Any) -> dict[tuple[str, str], dict[str, Any]]:
    items: dict[tuple[str, str], dict[str, Any]] = {}
    pages = running.aws("dynamodb").get_paginator("scan")
    for page in pages.paginate(TableName=running.outputs["records_table"], ConsistentRead=True):
        for item in page["Items"]:
            items[(item["pk"]["S"], item["sk"]["S"])] = item
    return items


def _users(running: Any) -> set[str]:
    pages = running.aws("cognito-idp").get_paginator("list_users")
    return {
        user["Username"]
        for page in pages.paginate(UserPoolId=running.outputs["user_pool_id"])
        for user in page["Users"]
    }


def _identities(running: Any) -> set[str]:
    listed = running.aws("cognito-identity").list_identities(
        IdentityPoolId=running.outputs["identity_pool_id"], MaxResults=60
    )
    return {i["IdentityId"] for i in listed["Identities"]}


def _idp_users(stack: dict[str, Any]) -> list[str]:
    """The local IdP's users a run made (its administrator listing, by the runs' name prefix)."""
    listed = requests.get(
        f"{stack['emulator_url']}/_local/oidc/users", params={"prefix": f"{PREFIX}-"}, timeout=10
    ).json()
    return [u["username"] for u in listed["users"]]


class Snapshot:
    """What the emulator holds that a run could leave behind or change."""

    def __init__(self, running: Any, stack: dict[str, Any]) -> None:
        self.records = _records(running)
        self.users = _users(running)
        self.identities = _identities(running)
        self.idp_users = _idp_users(stack)


@pytest.fixture
def before(stack: dict[str, Any], running: Any) -> Snapshot:
    return Snapshot(running, stack)


def _assert_nothing_left(before: Snapshot, running: Any, stack: dict[str, Any]) -> None:
    after = Snapshot(running, stack)
    assert after.users == before.users, "users of a run are left (or a demo user is gone)"
    assert after.identities == before.identities, "identities of a run are left"
    assert after.idp_users == before.idp_users == []
    assert after.records == before.records, (
        "records changed: a run left items or touched data it did not create"
    )


@pytest.fixture(scope="module")
def stack_file(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("verify") / "stack.json"
    path.write_text(json.dumps(stack))
    return path


def _command(stack_file: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "local", "verify", "--target", str(stack_file), *extra]


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("GITHUB_STEP_SUMMARY", None)
    return env


def test_make_verify_env_local_checks_every_cell_and_leaves_nothing(
    stack_file: Path, stack: dict[str, Any], running: Any, before: Snapshot, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    proc = subprocess.run(
        [*_command(stack_file), "--summary", str(summary)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
        env=_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    promise = contract.load()
    callers = len(promise.users(promise.default_mapping)) + len(promise.section(contract.MACHINES))
    cells = callers * sum(len(route.methods) for route in promise.routes.values())
    assert f"{cells} cells: {cells} kept, 0 mismatches, 0 not verifiable here" in proc.stdout
    assert "left behind: nothing" in proc.stdout
    for user in stack["users"]:
        assert user["password"] not in proc.stdout + proc.stderr
    assert "keeps the access contract" in summary.read_text()
    _assert_nothing_left(before, running, stack)


@pytest.fixture
def wider_cip_users_role(running: Any, stack: dict[str, Any]) -> Iterator[None]:
    """Behind Terraform's back: the cip-users role also may call /google (both verbs)."""
    iam = running.aws("iam")
    role = stack["group_role_arns"]["cip-users"].rsplit("/", 1)[-1]
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert len(names) == 1
    original = iam.get_role_policy(RoleName=role, PolicyName=names[0])["PolicyDocument"]
    document = original if isinstance(original, dict) else json.loads(original)
    api = f"arn:aws:execute-api:{stack['region']}:{stack['account_id']}:{stack['api_id']}/{stack['stage']}"
    wider = {
        **document,
        "Statement": [
            *document["Statement"],
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{api}/*/google"},
        ],
    }
    iam.put_role_policy(RoleName=role, PolicyName=names[0], PolicyDocument=json.dumps(wider))
    try:
        yield
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=names[0], PolicyDocument=json.dumps(document))


def test_a_drift_behind_terraforms_back_is_reported_cell_by_cell(
    stack: dict[str, Any], running: Any, before: Snapshot, wider_cip_users_role: None
) -> None:
    report = verify(stack, env="local", hooks=local_hooks(stack))
    changed = {(c.user, c.method, c.route, c.status) for c in report.mismatches}
    assert changed == {("cip-users", "GET", "google-get", 200), ("cip-users", "POST", "google-post", 200)}
    assert not report.passed
    assert report.leftovers == []
    _assert_nothing_left(before, running, stack)


@pytest.fixture
def start(stack_file: Path) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    """Starts `make verify ENV=local` as a subprocess; a run still alive when the test ends (it
    failed) is killed, so no test leaves a process behind."""
    started: list[subprocess.Popen[str]] = []

    def run() -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            _command(stack_file), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env()
        )
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _wait_until_created(proc: subprocess.Popen[str]) -> list[str]:
    """Read the run's output until its first principal exists (the run is midway then)."""
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if ": created fgaverify-" in line:
            return seen
    pytest.fail("the run ended before creating anything:\n" + "".join(seen))


def test_an_interrupted_run_removes_what_it_created(
    start: Callable[[], subprocess.Popen[str]], stack: dict[str, Any], running: Any, before: Snapshot
) -> None:
    proc = start()
    seen = _wait_until_created(proc)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=RUN_TIMEOUT_SECONDS)
    output = "".join(seen) + rest
    assert proc.returncode == 130, output
    assert "interrupted: removing what this run created" in output
    assert "INTERRUPTED" in output
    assert "left behind: nothing" in output
    _assert_nothing_left(before, running, stack)
    # and the next run finds nothing to sweep
    report = verify(stack, env="local", hooks=local_hooks(stack), sweep_older_than=timedelta(0))
    assert sum(report.swept.values()) == 0
    assert report.passed


def test_a_killed_run_is_swept_by_the_next_one(
    start: Callable[[], subprocess.Popen[str]], stack: dict[str, Any], running: Any, before: Snapshot
) -> None:
    proc = start()
    _wait_until_created(proc)
    proc.kill()  # SIGKILL: no removal at all
    proc.communicate(timeout=RUN_TIMEOUT_SECONDS)
    left = _users(running) - before.users
    assert left, "a killed run leaves its users (the sweeper has something to do)"

    report = verify(stack, env="local", hooks=local_hooks(stack), sweep_older_than=timedelta(0))

    assert report.passed, [str(c) for c in report.mismatches] + report.errors + report.leftovers
    assert report.swept["users"] >= len(left)
    _assert_nothing_left(before, running, stack)

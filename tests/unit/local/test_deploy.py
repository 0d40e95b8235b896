"""LocalDeployment against a stand-in `terraform` on PATH: the streaming apply counts resources out
of the plan's total (data-source reads aside) and reports errors; init is skipped when nothing it
depends on changed; forget_state drops a previous emulator's state."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from local.deploy import LocalDeployment, TerraformError


def _event(kind: str, **fields: Any) -> str:
    return json.dumps({"@level": "info", "@message": kind, "type": kind, **fields})


def _hook(kind: str, addr: str, rtype: str, action: str) -> str:
    return _event(kind, hook={"resource": {"addr": addr, "resource_type": rtype}, "action": action})


APPLY_EVENTS = [
    _event("version", terraform="1.11.4", ui="1.2"),
    _hook("apply_start", "data.aws_region.current", "aws_region", "read"),
    _hook("apply_complete", "data.aws_region.current", "aws_region", "read"),
    _event("change_summary", changes={"add": 2, "change": 0, "import": 0, "remove": 1, "operation": "plan"}),
    _hook("apply_start", "aws_kms_key.this", "aws_kms_key", "create"),
    _hook("apply_start", "aws_iam_role.a", "aws_iam_role", "create"),
    _hook("apply_complete", "aws_iam_role.a", "aws_iam_role", "create"),
    _hook("apply_start", "aws_iam_role.old", "aws_iam_role", "delete"),
    _hook("apply_complete", "aws_iam_role.old", "aws_iam_role", "delete"),
    _hook("apply_complete", "aws_kms_key.this", "aws_kms_key", "create"),
    _event("change_summary", changes={"add": 2, "change": 0, "import": 0, "remove": 1, "operation": "apply"}),
]
FAILED_EVENTS = [
    _event("change_summary", changes={"add": 1, "change": 0, "import": 0, "remove": 0, "operation": "plan"}),
    _event("diagnostic", diagnostic={"severity": "error", "summary": "creating KMS Key", "detail": "denied"}),
]


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `terraform` that logs its arguments, prints $FAKE_EVENTS for apply and exits $FAKE_EXIT."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "terraform"
    script.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "$FAKE_LOG"\n'
        'case "$*" in\n'
        '  *" apply "*) cat "$FAKE_EVENTS"; exit "${FAKE_EXIT:-0}" ;;\n'
        '  *" output "*) echo \'{"stack": {"value": {"api_id": "abc"}}}\' ;;\n'
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "none.rc"))
    monkeypatch.setenv("TF_PLUGIN_MIRROR", "/nonexistent")
    (tmp_path / "none.rc").write_text("")
    return tmp_path


class Listener:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def planned(self, total: int) -> None:
        self.calls.append(("planned", total, total))

    def applied(self, done: int, total: int) -> None:
        self.calls.append(("applied", done, total))


def _deployment(tmp_path: Path) -> LocalDeployment:
    return LocalDeployment("http://127.0.0.1:1", "https://127.0.0.1/_local/oidc/1", tmp_path / "work")


def test_apply_counts_resources_out_of_the_plan_total(
    fake_terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = fake_terraform / "events.jsonl"
    events.write_text("\n".join(APPLY_EVENTS) + "\nnot json at all\n")
    monkeypatch.setenv("FAKE_EVENTS", str(events))
    deployment, listener = _deployment(fake_terraform), Listener()
    outputs = deployment.apply(listener)
    assert outputs == {"api_id": "abc"}
    assert listener.calls == [("planned", 3, 3), ("applied", 1, 3), ("applied", 2, 3), ("applied", 3, 3)]
    report = deployment.report
    assert (report.planned, report.applied) == (3, 3)
    assert sorted(report.by_type) == ["aws_iam_role", "aws_kms_key"]
    assert len(report.by_type["aws_iam_role"]) == 2
    assert "not json at all" in deployment.log[-2]
    apply_args = (fake_terraform / "calls.log").read_text().splitlines()[0].split()
    assert "-json" in apply_args
    assert any(a.startswith("-parallelism=") for a in apply_args)


def test_a_failed_apply_raises_with_terraform_s_error(
    fake_terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = fake_terraform / "events.jsonl"
    events.write_text("\n".join(FAILED_EVENTS) + "\n")
    monkeypatch.setenv("FAKE_EVENTS", str(events))
    monkeypatch.setenv("FAKE_EXIT", "1")
    with pytest.raises(TerraformError, match="creating KMS Key: denied"):
        _deployment(fake_terraform).apply(Listener())


def test_init_is_skipped_until_an_input_changes(
    fake_terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = _deployment(fake_terraform)
    (deployment.work_dir / "tf-data").mkdir(parents=True)
    assert deployment.init() is True
    assert deployment.init() is False
    assert deployment.init() is False
    rc = fake_terraform / "other.rc"
    rc.write_text("# another provider mirror\n")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    assert deployment.init() is True
    calls = (fake_terraform / "calls.log").read_text().splitlines()
    assert [c.split()[1] for c in calls] == ["init", "init"]


def test_forget_state_drops_the_previous_emulator_s_state(tmp_path: Path) -> None:
    deployment = _deployment(tmp_path)
    deployment.work_dir.mkdir(parents=True)
    deployment.state_path.write_text("{}")
    deployment.state_path.with_name("terraform.tfstate.backup").write_text("{}")
    deployment.forget_state()
    assert list(deployment.work_dir.iterdir()) == []
    deployment.forget_state()  # nothing there: fine

"""What `make verify` is pointed at (tools/live/target.py) and how the command line refuses what it
cannot verify (exit status 2, nothing created)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import config
from tools.live import cli, target

OUTPUT = {
    "environment": "dev",
    "region": "us-east-1",
    "account_id": "111111111111",
    "api_url": "https://abc.execute-api.us-east-1.amazonaws.com/dev",
    "api_id": "abc",
    "stage": "dev",
    "user_pool_id": "us-east-1_X",
    "user_pool_client_id": "web",
    "verification_client_id": "verify",
    "identity_pool_id": "us-east-1:1",
    "records_table": "fga-dev-records",
    "writes": True,
}


def test_the_terraform_output_becomes_a_stack_description() -> None:
    stack = target.normalise(dict(OUTPUT), "dev")
    assert stack["tables"] == {"records": "fga-dev-records"}
    assert "emulator_url" not in stack, "a real environment is reached at AWS"
    assert "pets-v1" in stack["routes"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"verification_client_id": None}, "has no verification client"),
        ({"identity_pool_id": ""}, "lacks ['identity_pool_id']"),
        ({"environment": "staging"}, "is of 'staging', not of 'dev'"),
    ],
)
def test_an_incomplete_or_wrong_description_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(target.TargetError, match=message.replace("[", r"\[").replace("]", r"\]")):
        target.normalise({**OUTPUT, **change}, "dev")


def test_the_pipelines_variable_is_read_and_an_empty_one_is_explained(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(target.TARGET_ENV, json.dumps(OUTPUT))
    assert target.load("dev")["verification_client_id"] == "verify"
    monkeypatch.setenv(target.TARGET_ENV, "")
    with pytest.raises(target.TargetError, match="found no `verification` output"):
        target.load("dev")


def test_the_command_line_refuses_a_missing_description_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--env", "dev", "--target", str(tmp_path / "nothing.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    described = tmp_path / "dev.json"
    described.write_text(json.dumps({**OUTPUT, "verification_client_id": None}))
    assert cli.main(["--env", "dev", "--target", str(described)]) == 2
    assert "has no verification client" in capsys.readouterr().err


def test_an_environment_with_verification_off_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = config.load

    def without_verification(env: str, **kwargs: object) -> config.EnvConfig:
        cfg = original(env)
        raw = {k: v for k, v in cfg.raw.items() if k != "verification"}
        return config.parse(raw, access=cfg.access)

    monkeypatch.setattr(config, "load", without_verification)
    assert cli.main(["--env", "dev"]) == 2
    assert "verification is off for dev" in capsys.readouterr().err

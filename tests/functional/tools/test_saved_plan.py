"""tools.saved_plan against moto's S3: the plan travels through the state bucket, and only the plan the
same run made is ever written back for `terraform apply`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tools import saved_plan

BUCKET = "fga-tfstate-111111111111-us-east-1"
KEY = "fga/dev.tfstate.plans/4242-1.tfplan"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_push_then_pull_round_trips_the_exact_plan(s3: Any, tmp_path: Path) -> None:
    plan = tmp_path / "dev.tfplan"
    plan.write_bytes(b"PK\x03\x04 a saved plan with a secret inside")
    sha = saved_plan.push(s3, plan, BUCKET, KEY)
    assert sha == saved_plan.digest(plan.read_bytes())

    target = tmp_path / "apply" / "dev.tfplan"
    saved_plan.pull(s3, target, BUCKET, KEY, sha)
    assert target.read_bytes() == plan.read_bytes()


def test_a_plan_replaced_by_other_code_is_refused_and_not_written(s3: Any, tmp_path: Path) -> None:
    plan = tmp_path / "dev.tfplan"
    plan.write_bytes(b"the plan this run made")
    sha = saved_plan.push(s3, plan, BUCKET, KEY)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"a plan written by a pull request's plan job")

    target = tmp_path / "apply" / "dev.tfplan"
    with pytest.raises(saved_plan.SavedPlanError, match="not the plan this run made"):
        saved_plan.pull(s3, target, BUCKET, KEY, sha)
    assert not target.exists()


@pytest.mark.parametrize("sha", ["", "abc", "G" * 64])
def test_pull_needs_a_well_formed_digest(s3: Any, tmp_path: Path, sha: str) -> None:
    with pytest.raises(saved_plan.SavedPlanError, match="SHA-256 is missing or malformed"):
        saved_plan.pull(s3, tmp_path / "p.tfplan", BUCKET, KEY, sha)


@pytest.mark.parametrize(
    "key",
    [
        "fga/dev.tfstate",
        "fga/dev.tfplan",
        "../fga/dev.tfstate.plans/1.tfplan",
        "fga/dev.tfstate.plans/a b.tfplan",
    ],
)
def test_keys_outside_the_plans_prefix_are_refused(s3: Any, tmp_path: Path, key: str) -> None:
    plan = tmp_path / "dev.tfplan"
    plan.write_bytes(b"x")
    with pytest.raises(saved_plan.SavedPlanError, match=r"plans/<plan id>\.tfplan"):
        saved_plan.push(s3, plan, BUCKET, key)


def test_cli_push_writes_the_digest_to_the_github_output(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "dev.tfplan"
    plan.write_bytes(b"plan")
    out = tmp_path / "github_output"
    code = saved_plan.main(
        ["push", "--file", str(plan), "--bucket", BUCKET, "--key", KEY, "--github-output", str(out)]
    )
    assert code == 0
    assert out.read_text() == f"sha256={saved_plan.digest(b'plan')}\n"
    assert capsys.readouterr().out.strip() == f"sha256={saved_plan.digest(b'plan')}"


def test_cli_pull_of_a_missing_plan_fails_cleanly(s3: Any, tmp_path: Path) -> None:
    code = saved_plan.main(
        ["pull", "--file", str(tmp_path / "p.tfplan"), "--bucket", BUCKET, "--key", KEY, "--sha256", "0" * 64]
    )
    assert code == 1
    assert not (tmp_path / "p.tfplan").exists()

"""Carry a saved Terraform plan from the pipeline's plan job to its apply job through the state bucket.

A saved plan embeds the prior state, sensitive values included (a confidential app client's secret,
for one), so it must not travel as a GitHub Actions artifact, which anyone who can read the
repository's workflow runs can download. The plan job stores it next to its environment's state,
as `<state key>.plans/<plan id>.tfplan`: the bucket encrypts it with the state's KMS key, logs every
access and expires it after `saved_plan_days` (terraform/bootstrap); only that environment's plan
role may write there, and only its plan and apply roles may read it.

`push` prints (and appends to `$GITHUB_OUTPUT` when given) the plan's SHA-256. `pull` writes the
plan only when its SHA-256 is the one given, i.e. the one the same workflow run's plan job printed:
job outputs cannot be set from another run, so a plan object written by other code (a pull
request's plan job runs with the same role) is refused rather than applied.

    python -m tools.saved_plan push --file build/plan/dev.tfplan --bucket B --key K [--github-output F]
    python -m tools.saved_plan pull --file build/plan/dev.tfplan --bucket B --key K --sha256 HEX
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# <state key>.plans/<plan id>.tfplan, the plan id being "<run id>-<run attempt>" in the pipeline.
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9/_-]*\.tfstate\.plans/[A-Za-z0-9._-]{1,128}\.tfplan$")


class SavedPlanError(RuntimeError):
    """The plan could not be stored or fetched, or is not the one expected; nothing was applied."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_key(key: str) -> None:
    if not KEY_RE.match(key):
        raise SavedPlanError(
            f"key {key!r} is not <state key>.plans/<plan id>.tfplan (e.g. fga/dev.tfstate.plans/123-1.tfplan)"
        )


def push(client: Any, path: Path, bucket: str, key: str) -> str:
    """Store the plan file at s3://bucket/key (bucket-default SSE-KMS); its SHA-256."""
    _check_key(key)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SavedPlanError(f"no saved plan at {path}: run make plan first ({exc.strerror})") from exc
    sha = digest(data)
    try:
        # No SSE header: the bucket default (SSE-KMS with the state key) applies, and the bucket
        # policy refuses any other encryption.
        client.put_object(Bucket=bucket, Key=key, Body=data, Metadata={"sha256": sha})
    except (ClientError, BotoCoreError) as exc:
        raise SavedPlanError(f"could not store the plan at s3://{bucket}/{key}: {exc}") from exc
    return sha


def pull(client: Any, path: Path, bucket: str, key: str, expected_sha256: str) -> None:
    """Fetch s3://bucket/key into `path` only if its SHA-256 is `expected_sha256`."""
    _check_key(key)
    if not SHA256_RE.match(expected_sha256):
        raise SavedPlanError("the expected SHA-256 is missing or malformed: did the plan job store the plan?")
    try:
        data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise SavedPlanError(f"could not fetch the plan s3://{bucket}/{key}: {exc}") from exc
    actual = digest(data)
    if actual != expected_sha256:
        raise SavedPlanError(
            f"s3://{bucket}/{key} is not the plan this run made (sha256 {actual}, expected "
            f"{expected_sha256}): refusing to apply it"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.saved_plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["push", "pull"])
    parser.add_argument("--file", type=Path, required=True, help="the saved plan (build/plan/<env>.tfplan)")
    parser.add_argument("--bucket", required=True, help="the state bucket (TF_STATE_BUCKET)")
    parser.add_argument("--key", required=True, help="<state key>.plans/<plan id>.tfplan")
    parser.add_argument("--region", default=None, help="the state bucket's region (TF_STATE_REGION)")
    parser.add_argument("--sha256", default="", help="pull: the SHA-256 push printed")
    parser.add_argument("--github-output", type=Path, default=None, help="push: append sha256=<hex> here")
    args = parser.parse_args(argv)
    if not args.bucket:
        print("set TF_STATE_BUCKET (an output of terraform/bootstrap)", file=sys.stderr)
        return 2
    client = boto3.client("s3", region_name=args.region or None)
    try:
        if args.action == "push":
            sha = push(client, args.file, args.bucket, args.key)
            print(f"sha256={sha}")
            if args.github_output is not None:
                with args.github_output.open("a", encoding="utf-8") as out:
                    out.write(f"sha256={sha}\n")
        else:
            pull(client, args.file, args.bucket, args.key, args.sha256)
            print(f"fetched s3://{args.bucket}/{args.key} (sha256 {args.sha256})")
    except SavedPlanError as exc:
        print(f"saved plan: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

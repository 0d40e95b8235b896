"""What a live run is pointed at: the deployment's description, in the shape of `.local/stack.json`.

A real environment describes itself in its Terraform output `verification` (terraform/stack,
outputs.tf: ids and URLs, no secret; null when settings.verification is off). Where it comes from:

- the pipeline: the apply job reads it right after `make apply` (`python -m tools.live.target --env
  <env> --github-output $GITHUB_OUTPUT`, through `make verify-target`) and hands it to the verify job,
  which has no access to the state; `make verify` reads it from the FGA_VERIFY_TARGET variable;
- by hand: `--target <file>` (that output saved as JSON, or a stack.json), or, with neither, `terraform
  output -json stack` of terraform/envs/<env> (initialised with the S3 backend, docs/deploying.md).

The local stack's `.local/stack.json` has the same keys plus the emulator's URL, which sends every
AWS call to the emulator instead of AWS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools import config

TARGET_ENV = "FGA_VERIFY_TARGET"
REQUIRED = (
    "environment",
    "region",
    "api_url",
    "user_pool_id",
    "user_pool_client_id",
    "verification_client_id",
    "identity_pool_id",
)


class TargetError(ValueError):
    """The deployment's description is missing or incomplete; the message says what to do."""


def normalise(raw: dict[str, Any], env: str) -> dict[str, Any]:
    """A stack dict (stack.json's keys) from the `verification` output or a stack.json, checked."""
    stack = dict(raw)
    if "records_table" in stack:
        stack.setdefault("tables", {})["records"] = stack.pop("records_table")
    if not stack.get("verification_client_id"):
        raise TargetError(
            f"{env} has no verification client: set verification.enabled in "
            f"terraform/envs/{env}/config.json and apply (docs/deploying.md, 'Verifying an environment')"
        )
    missing = [key for key in REQUIRED if not stack.get(key)]
    if not (stack.get("tables") or {}).get("records"):
        missing.append("records_table")
    if missing:
        raise TargetError(f"the description of {env} lacks {missing}")
    if stack["environment"] != env:
        raise TargetError(f"the description is of {stack['environment']!r}, not of {env!r}")
    stack.setdefault("routes", config.load(env).access.raw["routes"])
    return stack


def _from_terraform(env: str) -> dict[str, Any]:
    directory = config.env_dir(env)
    proc = subprocess.run(
        ["terraform", f"-chdir={directory}", "output", "-json", "stack"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise TargetError(
            f"`terraform output` in {directory.relative_to(config.REPO_ROOT)} failed (initialise it with "
            f"the environment's S3 backend first, docs/deploying.md): {proc.stderr.strip()[:500]}"
        )
    verification = json.loads(proc.stdout).get("verification")
    if not verification:
        return {"environment": env}
    return dict(verification)


def load(env: str, path: Path | None = None) -> dict[str, Any]:
    """The description of `env`: `path`, else $FGA_VERIFY_TARGET, else the env's Terraform output."""
    if path is not None:
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError as exc:
            hint = ": start the local stack with `make up` first" if env == "local" else ""
            raise TargetError(f"{path} does not exist{hint}") from exc
    elif os.environ.get(TARGET_ENV, "").strip():
        raw = json.loads(os.environ[TARGET_ENV])
    elif TARGET_ENV in os.environ:
        raise TargetError(
            f"{TARGET_ENV} is empty: the apply job found no `verification` output "
            f"(verification.enabled is off for {env}, or the apply failed)"
        )
    else:
        raw = _from_terraform(env)
    if not isinstance(raw, dict):
        raise TargetError("the description must be a JSON object")
    return normalise(raw, env)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tools.live.target --env <env> [--github-output FILE]`: print the env's description
    (one line of JSON), or append it to a GitHub step output as `target=<json>`."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--env", required=True, choices=[e for e in config.ENVIRONMENTS if e != "local"])
    parser.add_argument("--github-output", type=Path)
    args = parser.parse_args(argv)
    raw = _from_terraform(args.env)
    line = json.dumps(raw, separators=(",", ":"), sort_keys=True) if raw.get("verification_client_id") else ""
    if args.github_output:
        with args.github_output.open("a") as out:
            out.write(f"target={line}\n")
    else:
        print(line)
    if not line:
        print(f"{args.env}: no verification output (verification.enabled is off)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

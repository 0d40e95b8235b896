"""Apply, re-plan and destroy `terraform/envs/local` against a running emulator.

Each deployment gets its own state file and its own Terraform data directory (TF_DATA_DIR), so
`make up`, the Terraform integration tests and the end-to-end tests can each hold a stack at the same
time without stepping on each other's backend configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.config import ENVS_DIR
from tools.tf import ensure_cli_config

LOCAL_ENV_DIR = ENVS_DIR / "local"


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries its output."""


@dataclass
class LocalDeployment:
    """One applied copy of the local environment, bound to one emulator."""

    emulator_url: str
    local_idp_issuer: str
    work_dir: Path
    env_dir: Path = LOCAL_ENV_DIR
    log: list[str] = field(default_factory=list)
    #: The browser console's origin (local/console): the API's CORS origin and an extra callback
    #: and sign-out URL of the web client. None: config.json's values only.
    console_origin: str | None = None

    @property
    def state_path(self) -> Path:
        return self.work_dir / "terraform.tfstate"

    def _env(self) -> dict[str, str]:
        ensure_cli_config()
        return {
            **os.environ,
            "TF_DATA_DIR": str(self.work_dir / "tf-data"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "TF_VAR_emulator_url": self.emulator_url,
            "TF_VAR_local_idp_issuer": self.local_idp_issuer,
            **({"TF_VAR_console_origin": self.console_origin} if self.console_origin else {}),
        }

    def _run(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["terraform", f"-chdir={self.env_dir}", *args],
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        self.log.append(f"$ terraform {' '.join(args)}\n{proc.stdout}")
        if proc.returncode not in ok_codes:
            raise TerraformError(
                f"terraform {args[0]} failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}"
            )
        return proc

    def init(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._run(
            "init",
            "-input=false",
            "-no-color",
            "-reconfigure",
            "-lockfile=readonly",
            f"-backend-config=path={self.state_path}",
        )

    def apply(self) -> dict[str, Any]:
        """Apply and return the stack outputs (the env root's `stack` output)."""
        self._run("apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")
        return self.outputs()

    def outputs(self) -> dict[str, Any]:
        proc = self._run("output", "-json", "-no-color")
        value: dict[str, Any] = json.loads(proc.stdout)["stack"]["value"]
        return value

    def planned_changes(self) -> list[str]:
        """What a fresh plan would change: resource actions other than no-op/read, and outputs whose
        value differs. Empty means the deployment matches the configuration.

        `-detailed-exitcode` is not used: it reports a change whenever refresh re-reads an output
        (API Gateway reads back [] / {} where the configuration had null), even when the value is
        identical and Terraform itself prints "No changes".
        """
        plan_file = self.work_dir / "second.tfplan"
        self._run("plan", "-input=false", "-no-color", f"-out={plan_file}")
        plan = json.loads(self._run("show", "-json", str(plan_file)).stdout)
        changes = [
            f"{rc['address']}: {'/'.join(rc['change']['actions'])}"
            for rc in plan.get("resource_changes", [])
            if set(rc["change"]["actions"]) - {"no-op", "read"}
        ]
        changes += [
            f"output {name}: value changes"
            for name, oc in plan.get("output_changes", {}).items()
            if oc.get("before") != oc.get("after") or oc.get("after_unknown")
        ]
        return changes

    def last_output(self) -> str:
        return self.log[-1] if self.log else ""

    def destroy(self) -> None:
        self._run("destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")

"""Apply, re-plan and destroy `terraform/envs/local` against a running emulator.

Each deployment gets its own state file and its own Terraform data directory (TF_DATA_DIR), so
`make up`, the Terraform integration tests and the end-to-end tests can each hold a stack at the same
time without stepping on each other's backend configuration.

`init` is skipped when nothing it depends on changed since the last one in the same data directory
(a stamp beside it). `apply` streams Terraform's machine-readable UI (`-json`) so the caller can show
a running count of resources applied out of the plan's total. `forget_state` drops the state a
previous emulator left: a fresh emulator holds nothing it describes, and refreshing those resources
only to find them gone took a good part of a warm `make up`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tools import tf_provider
from tools.config import ENVS_DIR, REPO_ROOT
from tools.tf import GOGC, ensure_cli_config

LOCAL_ENV_DIR = ENVS_DIR / "local"
TERRAFORM_DIR = REPO_ROOT / "terraform"
#: Apply concurrency. The local stack's apply is bound by the AWS provider's own waits (KMS key
#: propagation checks, Lambda functions created one at a time with a fixed 5 s wait each), not by
#: how many operations run at once; 10 is Terraform's default.
APPLY_PARALLELISM = 10


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries its output."""


class ApplyListener(Protocol):
    """Told how a streaming apply advances (local.progress shows it)."""

    def planned(self, total: int) -> None:
        """The plan is made: `total` resource actions to apply."""

    def applied(self, done: int, total: int) -> None:
        """`done` of the `total` planned resource actions are complete."""


@dataclass
class ApplyReport:
    """What one apply did and where its time went (docs/benchmarks.md reports it)."""

    planned: int = 0
    applied: int = 0
    plan_seconds: float = 0.0
    apply_seconds: float = 0.0
    #: resource type -> seconds each of its resources took from apply_start to apply_complete
    by_type: dict[str, list[float]] = field(default_factory=dict)


def _events(lines: Iterator[str], log: list[str]) -> Iterator[dict[str, Any]]:
    """Terraform's `-json` UI messages; anything else is only logged."""
    for line in lines:
        try:
            message = json.loads(line)
        except ValueError:
            log.append(line.rstrip("\n"))
            continue
        if isinstance(message, dict):
            log.append(str(message.get("@message", "")))
            yield message


@dataclass
class LocalDeployment:
    """One applied copy of the local environment, bound to one emulator."""

    emulator_url: str
    local_idp_issuer: str
    work_dir: Path
    env_dir: Path = LOCAL_ENV_DIR
    log: list[str] = field(default_factory=list)
    report: ApplyReport = field(default_factory=ApplyReport)
    #: The browser console's origin (local/console): the API's CORS origin and an extra callback
    #: and sign-out URL of the web client. None: config.json's values only.
    console_origin: str | None = None
    #: One AWS provider process for this deployment's Terraform commands (tools/tf_provider.py),
    #: started by the first command that needs it: each command would otherwise start its own
    #: several times (apply ~4, plan, show, destroy), building the provider's schema each time.
    _provider: contextlib.ExitStack | None = field(default=None, init=False, repr=False)
    _provider_env: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @property
    def state_path(self) -> Path:
        return self.work_dir / "terraform.tfstate"

    def _env(self) -> dict[str, str]:
        ensure_cli_config()
        return {
            "GOGC": GOGC,  # tools/tf.py: the provider starts four times per apply; ~7 s less per apply
            **os.environ,
            "TF_DATA_DIR": str(self.work_dir / "tf-data"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "TF_VAR_emulator_url": self.emulator_url,
            "TF_VAR_local_idp_issuer": self.local_idp_issuer,
            **({"TF_VAR_console_origin": self.console_origin} if self.console_origin else {}),
            **self._provider_env,
        }

    def _share_provider(self) -> None:
        """Start the shared provider once, after `init` installed it (no-op when it runs, or when it
        cannot be shared: Terraform then starts its own, as without it)."""
        if self._provider is not None:
            return
        self._provider = contextlib.ExitStack()
        self._provider_env = self._provider.enter_context(
            tf_provider.shared(
                [self.env_dir],
                self._env(),
                data_dir=self.work_dir / "tf-data",
                # A provider configured twice with a CA bundle fails the second time ("unable to add
                # custom RootCAs HTTPClient"); the emulator is plain http on loopback and needs none.
                drop=("AWS_CA_BUNDLE",),
            )
        )

    @property
    def provider_pid(self) -> int | None:
        """The shared provider's process id while one serves this deployment, else None."""
        value = self._provider_env.get(tf_provider.REATTACH)
        return int(json.loads(value)[tf_provider.ADDRESS]["Pid"]) if value else None

    def close(self) -> None:
        """Stop the shared provider, if one was started (the deployment stays usable: a later
        command starts another)."""
        provider, self._provider, self._provider_env = self._provider, None, {}
        if provider is not None:
            provider.close()

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

    @property
    def _init_stamp_path(self) -> Path:
        return self.work_dir / "tf-data" / "fga-init.stamp"

    def _init_inputs(self) -> str:
        """What a previous `init` in this data directory depends on: the provider lock, every
        module `source`, the CLI configuration (provider mirror) and the backend settings."""
        digest = hashlib.sha256()
        digest.update((self.env_dir / ".terraform.lock.hcl").read_bytes())
        for tf in sorted(TERRAFORM_DIR.rglob("*.tf")):
            if ".terraform" in tf.parts:
                continue
            digest.update(str(tf.relative_to(TERRAFORM_DIR)).encode())
            for line in tf.read_text().splitlines():
                if line.strip().startswith("source"):
                    digest.update(line.encode())
        cli_config = os.environ.get("TF_CLI_CONFIG_FILE", "")
        digest.update(cli_config.encode())
        if cli_config and Path(cli_config).is_file():
            digest.update(Path(cli_config).read_bytes())
        digest.update(f"{self.env_dir}\0{self.state_path}".encode())
        return digest.hexdigest()

    def init(self) -> bool:
        """`terraform init` unless the last one here had the same inputs; True when it ran."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        ensure_cli_config()
        inputs = self._init_inputs()
        stamp = self._init_stamp_path
        if stamp.is_file() and stamp.read_text() == inputs:
            return False
        self._run(
            "init",
            "-input=false",
            "-no-color",
            "-reconfigure",
            "-lockfile=readonly",
            f"-backend-config=path={self.state_path}",
        )
        stamp.write_text(inputs)
        return True

    def forget_state(self) -> None:
        """Drop the state of a previous emulator: everything it lists is gone with that emulator."""
        for path in (self.state_path, self.state_path.with_name(self.state_path.name + ".backup")):
            path.unlink(missing_ok=True)

    def apply(self, listener: ApplyListener | None = None) -> dict[str, Any]:
        """Apply and return the stack outputs (the env root's `stack` output).

        Progress goes to `listener`; `self.report` says what was applied and how long it took.
        """
        args = ["apply", "-auto-approve", "-input=false", "-json", f"-parallelism={APPLY_PARALLELISM}"]
        self._share_provider()
        report = self.report = ApplyReport()
        started = time.monotonic()
        plan_done = started
        running: dict[str, float] = {}
        errors: list[str] = []
        log: list[str] = [f"$ terraform {' '.join(args)}"]
        with subprocess.Popen(
            ["terraform", f"-chdir={self.env_dir}", *args],
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc:
            assert proc.stdout is not None
            for event in _events(iter(proc.stdout.readline, ""), log):
                kind = event.get("type")
                hook = event.get("hook") or {}
                if kind == "change_summary" and event["changes"].get("operation") == "plan":
                    changes = event["changes"]
                    report.planned = int(changes["add"]) + int(changes["change"]) + int(changes["remove"])
                    plan_done = time.monotonic()
                    report.plan_seconds = plan_done - started
                    if listener is not None:
                        listener.planned(report.planned)
                elif kind == "apply_start" and hook.get("action") != "read":
                    running[hook["resource"]["addr"]] = time.monotonic()
                elif kind == "apply_complete" and hook.get("action") != "read":
                    resource = hook["resource"]
                    took = time.monotonic() - running.pop(resource["addr"], time.monotonic())
                    report.by_type.setdefault(resource["resource_type"], []).append(took)
                    report.applied += 1
                    if listener is not None:
                        listener.applied(report.applied, report.planned)
                elif kind == "diagnostic" and event.get("diagnostic", {}).get("severity") == "error":
                    diagnostic = event["diagnostic"]
                    errors.append(f"{diagnostic.get('summary', '')}: {diagnostic.get('detail', '')}")
            returncode = proc.wait()
        report.apply_seconds = time.monotonic() - plan_done
        self.log.append("\n".join(log))
        if returncode != 0:
            detail = "\n".join(errors) or "\n".join(log[-60:])
            raise TerraformError(f"terraform apply failed (exit {returncode}):\n{detail[-6000:]}")
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
        self._share_provider()
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
        self._share_provider()
        self._run("destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")

"""Shared, session-scoped material for the policy tests: renders, Terraform console output, checkov runs.

checkov and Terraform cost seconds per call, so each is run once per session over everything a test
module needs, and the tests assert on the cached results.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools import config, tf, tf_provider

FIXTURES = Path(__file__).parent / "fixtures"


def hcl_string(value: str) -> str:
    """A quoted HCL string for a path or template value (JSON escapes are valid HCL; no `${` here)."""
    assert "${" not in value
    assert "%{" not in value
    return json.dumps(value)


def terraform_templatefile(cases: dict[str, tuple[Path, dict[str, str]]], work_dir: Path) -> dict[str, str]:
    """Render every case with Terraform's own `templatefile` in one `terraform console` call.

    The console prints only its last result and quotes strings HCL-style, so all cases go into one
    object, JSON-encoded and then base64-encoded: the printed value is one quoted base64 string.
    """
    items = []
    for key, (path, variables) in cases.items():
        args = ", ".join(f"{name} = {hcl_string(value)}" for name, value in sorted(variables.items()))
        items.append(f"{hcl_string(key)} = templatefile({hcl_string(str(path))}, {{ {args} }})")
    expression = f"base64encode(jsonencode({{ {', '.join(items)} }}))\n"
    env = dict(os.environ)
    if not Path(env.get("TF_CLI_CONFIG_FILE", "/nonexistent")).is_file():
        env.pop("TF_CLI_CONFIG_FILE", None)  # templatefile needs no provider
    terraform = shutil.which("terraform")
    assert terraform, "terraform is not on PATH"
    proc = subprocess.run(
        [terraform, "console"],
        input=expression,
        cwd=work_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.strip().splitlines()[-1].strip()
    assert printed.startswith('"'), printed
    assert printed.endswith('"'), printed
    result: dict[str, str] = json.loads(base64.b64decode(printed[1:-1]))
    return result


@pytest.fixture(scope="session")
def env_configs() -> list[config.EnvConfig]:
    return [config.load(env) for env in config.ENVIRONMENTS]


@pytest.fixture(scope="session")
def terraform_test_env() -> Iterator[dict[str, str]]:
    """The environment for `terraform test` of mock_provider suites in the stack's and the bootstrap's
    directories (and copies borrowing their `.terraform`): both initialised, and one AWS provider
    process attached for the whole session instead of two per run block (tools/tf_provider.py)."""
    tf.ensure_cli_config()
    directories = [tf.TERRAFORM_DIR / "stack", tf.TERRAFORM_DIR / "bootstrap"]
    for directory in directories:
        init = tf.init(directory)
        assert init.returncode == 0, init.output
    with tf_provider.shared(directories, {"GOGC": tf.GOGC}) as shared:
        yield {**os.environ, "GOGC": tf.TEST_GOGC, **shared}

"""terraform/bootstrap: its `terraform test` suite (mocked provider) and its checkov cleanliness.

The suite asserts the deploy roles' trust (this repository, one GitHub environment each), the state
bucket's protections and the input validations; `make tf-test` covers modules and the stack only.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tools import tf

BOOTSTRAP = tf.TERRAFORM_DIR / "bootstrap"


def test_bootstrap_terraform_test_suite_passes(terraform_test_env: dict[str, str]) -> None:
    proc = subprocess.run(
        ["terraform", "test", "-no-color"],
        cwd=BOOTSTRAP,
        env=terraform_test_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = re.search(r"(\d+) passed, (\d+) failed", proc.stdout)
    assert summary, proc.stdout
    assert int(summary.group(1)) >= 6
    assert summary.group(2) == "0"


def test_lock_file_is_the_committed_multi_platform_one() -> None:
    lock = (BOOTSTRAP / ".terraform.lock.hcl").read_text()
    assert 'version     = "5.100.0"' in lock
    assert 'constraints = ">= 5.100.0, < 6.0.0"' in lock
    assert len(re.findall(r"\"zh:[0-9a-f]{64}\"", lock)) >= 10  # hashes for every platform
    versions = (BOOTSTRAP / "versions.tf").read_text()
    assert 'version = ">= 5.100.0, < 6.0.0"' in versions


def test_no_state_or_plan_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", str(BOOTSTRAP)], cwd=tf.REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [p for p in tracked if Path(p).suffix in (".tfstate", ".tfplan") or ".tfstate." in p]


S3_BACKENDS = [
    *(tf.TERRAFORM_DIR / "envs" / env / "main.tf" for env in ("dev", "staging", "prod")),
    BOOTSTRAP / "backend.tf.example",
]


@pytest.mark.parametrize("path", S3_BACKENDS, ids=lambda p: str(p.relative_to(tf.TERRAFORM_DIR)))
def test_s3_backends_keep_the_buckets_kms_encryption(path: Path) -> None:
    """`encrypt = true` without kms_key_id makes Terraform write the state with SSE-S3 (AES256),
    bypassing the state key; the bucket's default SSE-KMS applies only when the backend sets nothing.
    """
    text = path.read_text()
    backend = re.search(r'backend "s3" \{(?P<body>.*?)\n  \}', text, re.DOTALL)
    assert backend, f"{path}: no s3 backend block"
    settings = [
        line.strip()
        for line in backend.group("body").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert settings == ["use_lockfile = true"], settings

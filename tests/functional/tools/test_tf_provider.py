"""tools/tf_provider.py: one AWS provider process that `terraform test` and `validate` attach to.

The shared process must really be the one Terraform uses (no plugin started per command), must be
gone afterwards, must die with the process that started it, and must not be shared where it would
be the wrong binary: otherwise Terraform launches its own, as without this module.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tools import tf, tf_provider

DATA_TABLE = tf.TERRAFORM_DIR / "modules" / "data_table"
LOCK = (DATA_TABLE / ".terraform.lock.hcl").read_text()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split()[2] != "Z"


def _fake_provider(directory: Path, script: str, version: str = "5.100.0") -> Path:
    """`directory` initialised with a stand-in provider binary (a shell script) and a lock file."""
    plugin = directory / ".terraform/providers/registry.terraform.io/hashicorp/aws" / version / "linux_amd64"
    plugin.mkdir(parents=True)
    binary = plugin / f"terraform-provider-aws_v{version}_x5"
    binary.write_text("#!/bin/sh\n" + textwrap.dedent(script))
    binary.chmod(0o755)
    (directory / ".terraform.lock.hcl").write_text(LOCK.replace('"5.100.0"', f'"{version}"'))
    return binary


def test_terraform_attaches_to_the_shared_provider_and_it_is_stopped_after() -> None:
    tf.ensure_cli_config()
    init = tf.init(DATA_TABLE)
    assert init.returncode == 0, init.output
    with tf_provider.shared([DATA_TABLE]) as env:
        reattach = json.loads(env[tf_provider.REATTACH])
        pid = reattach[tf_provider.ADDRESS]["Pid"]
        assert _alive(pid)
        for _ in range(2):
            proc = subprocess.run(
                ["terraform", "validate", "-no-color"],
                cwd=DATA_TABLE,
                env={**os.environ, **env, "TF_LOG": "debug"},
                capture_output=True,
                text=True,
                check=False,
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
            assert 'overridden as an "unmanaged provider"' in proc.stderr
            assert "starting plugin" not in proc.stderr  # Terraform launched no provider of its own
        assert _alive(pid)  # the same process served both
    assert not _alive(pid)


def test_directories_whose_lock_files_disagree_get_their_own_provider(tmp_path: Path) -> None:
    one, other = tmp_path / "one", tmp_path / "other"
    binary = _fake_provider(one, "echo should not run > started\n")
    _fake_provider(other, "exit 1\n", version="5.99.0")
    with tf_provider.shared([one, other]) as env:
        assert env == {}
    assert not (tmp_path / "started").exists()
    assert binary.exists()


def test_without_an_initialised_directory_nothing_is_shared(tmp_path: Path) -> None:
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK)
    with tf_provider.shared([tmp_path]) as env:
        assert env == {}


def test_a_provider_that_never_offers_to_attach_falls_back_and_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pid_file = tmp_path / "pid"
    _fake_provider(tmp_path, f"echo $$ > {pid_file}\necho 'Provider started.'\nexec sleep 600\n")
    monkeypatch.setattr(tf_provider, "START_TIMEOUT", 1.0)
    with tf_provider.shared([tmp_path]) as env:
        assert env == {}
        pid = int(pid_file.read_text())
    assert not _alive(pid)
    assert "did not start" in capsys.readouterr().err


def test_a_reattach_config_already_set_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_provider(tmp_path, f"echo started > {tmp_path / 'started'}\n")
    monkeypatch.setenv(tf_provider.REATTACH, '{"registry.terraform.io/hashicorp/aws": {}}')
    with tf_provider.shared([tmp_path]) as env:
        assert env == {}
    assert not (tmp_path / "started").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_the_provider_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    config = '{"registry.terraform.io/hashicorp/aws":{"Protocol":"grpc","Pid":1}}'
    _fake_provider(
        tmp_path,
        f"echo $$ > {tmp_path / 'pid'}\ncat <<'EOF'\nTF_REATTACH_PROVIDERS='{config}'\nEOF\nexec sleep 600\n",
    )
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from tools import tf_provider\n"
            f"with tf_provider.shared([Path({str(tmp_path)!r})]) as env:\n"
            "    print(env, flush=True)\n"
            "    time.sleep(600)\n",
        ],
        cwd=tf.REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    assert tf_provider.REATTACH in parent.stdout.readline()
    pid = int((tmp_path / "pid").read_text())
    assert _alive(pid)
    parent.send_signal(signal.SIGKILL)  # no finally, no cleanup: only the kernel can stop it now
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)

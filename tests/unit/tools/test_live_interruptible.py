"""A live run stays interruptible however its process was started (tools/live/engine.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tools.config import REPO_ROOT

CHILD = """
import signal, sys, time
from tools.live.engine import interruptible
print("ready", flush=True)
try:
    with interruptible():
        print("inside", flush=True)
        time.sleep(20)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
sys.exit(0)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_interrupts_a_run_started_with_sigint_ignored(sig: signal.Signals) -> None:
    """A shell's background job (and some CI runners) starts with SIGINT ignored; Python then installs
    no KeyboardInterrupt handler, and a run told to stop would finish instead of cleaning up."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509 - the point
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    assert proc.stdout.readline().strip() == "inside"
    time.sleep(0.05)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "interrupted" in out

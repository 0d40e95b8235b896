"""Choose the interpreter that runs function workers: python3.12 (Lambda's runtime) when one works.

A name on PATH is not proof: the pyenv shim called `python3.12` exists on machines where no 3.12 is
selected and fails when run. So each candidate is run (isolated, no site) and must report 3.12;
the dev interpreter (`sys.executable`) is the last resort whatever its version.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from functools import cache

from local.awslambda.types import RuntimeSetupError

LAMBDA_PYTHON_VERSION = "3.12"
_PROBE_TIMEOUT_SECONDS = 20
_PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"

logger = logging.getLogger(__name__)


def default_candidates() -> tuple[str, ...]:
    """The order the Makefile uses: PATH, pyenv installs (newest first), system paths."""
    pyenv = sorted(
        glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")),
        reverse=True,
    )
    return ("python3.12", *pyenv, "/usr/local/bin/python3.12", "/usr/bin/python3.12")


def probe_version(executable: str) -> str | None:
    """`major.minor` of the interpreter if it runs isolated, else None."""
    path = shutil.which(executable) if os.sep not in executable else executable
    if path is None or not os.access(path, os.X_OK):
        return None
    try:
        done = subprocess.run(
            [path, "-I", "-S", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_SECONDS,
            env={"PATH": os.defpath},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


@cache
def _find(explicit: str | None, candidates: tuple[str, ...]) -> str:
    if explicit is not None:
        version = probe_version(explicit)
        if version is None:
            raise RuntimeSetupError(f"python interpreter {explicit!r} does not run; pass a working one")
        return os.path.abspath(shutil.which(explicit) or explicit)
    for candidate in candidates:
        if probe_version(candidate) == LAMBDA_PYTHON_VERSION:
            return os.path.abspath(shutil.which(candidate) or candidate)
    version = probe_version(sys.executable)
    if version is None:
        raise RuntimeSetupError("no runnable python interpreter found for Lambda workers")
    if version != LAMBDA_PYTHON_VERSION:
        logger.warning(
            json.dumps(
                {
                    "event": "lambda_runtime.interpreter_fallback",
                    "python": sys.executable,
                    "version": version,
                    "reason": f"no python{LAMBDA_PYTHON_VERSION} runs on this machine",
                }
            )
        )
    return sys.executable


def find_python(explicit: str | None = None, candidates: Sequence[str] | None = None) -> str:
    """Absolute path of the worker interpreter; `explicit` must run or RuntimeSetupError is raised.

    Probing costs a process start per candidate, so answers are cached per process.
    """
    return _find(explicit, tuple(candidates) if candidates is not None else default_candidates())


@cache
def lambda_lang(python: str) -> str:
    """LANG for workers: Lambda's `en_US.UTF-8` where this machine has that locale, else `C.UTF-8`.

    With a LANG the C library cannot load, Python coerces the locale and adds LC_CTYPE to the
    worker's environment; choosing an available UTF-8 locale keeps the environment exact.
    """
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-c", "import locale; locale.setlocale(locale.LC_CTYPE, 'en_US.UTF-8')"],
            capture_output=True,
            timeout=_PROBE_TIMEOUT_SECONDS,
            env={"PATH": os.defpath},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "C.UTF-8"
    return "en_US.UTF-8" if done.returncode == 0 else "C.UTF-8"

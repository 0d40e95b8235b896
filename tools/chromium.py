"""Find the Chromium the browser tests drive (tests/browser), or install one where that is possible.

Order: `$CHROMIUM` (an explicit path), a system `chromium` / `chromium-browser` / `google-chrome`
on PATH, then a Chromium that `playwright install chromium` put in Playwright's cache. When none is
found, `python -m tools.chromium --install` installs the distribution's package as root
(`apt-get install -y chromium`, the Debian/Ubuntu name) and otherwise fails with what to install.
The browser tests never skip: without a Chromium they fail with the same message.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ENV_VAR = "CHROMIUM"
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "no Chromium found for the browser tests. Install one of:\n"
    "  - Debian/Ubuntu: sudo apt-get install -y chromium   (make test does this itself when run as root)\n"
    "  - Playwright's build (where its download host is reachable): .venv/bin/playwright install chromium\n"
    f"  - or point {ENV_VAR}=/path/to/chrome at an installed Chrome/Chromium"
)


class ChromiumNotFound(RuntimeError):
    """No usable Chromium; the message says what to install."""


def _playwright_chromium() -> Path | None:
    """The Chromium `playwright install chromium` downloaded, if it did."""
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 (starts a driver process)
    except ImportError:
        return None
    with sync_playwright() as playwright:
        path = Path(playwright.chromium.executable_path)
    return path if path.is_file() else None


def find() -> Path:
    """The Chromium executable to drive, or ChromiumNotFound."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ChromiumNotFound(f"{ENV_VAR}={explicit} is not an executable file")
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    bundled = _playwright_chromium()
    if bundled is not None:
        return bundled
    raise ChromiumNotFound(INSTALL_HINT)


def install() -> Path:
    """Install the distribution's Chromium when running as root with apt-get; then find() again."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ChromiumNotFound(INSTALL_HINT)
    print("==> installing chromium (apt-get install -y chromium)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "chromium"]
    if subprocess.run(command, env=env, check=False).returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update"], env=env, check=False)
        if subprocess.run(command, env=env, check=False).returncode != 0:
            raise ChromiumNotFound("apt-get install chromium failed (see above).\n" + INSTALL_HINT)
    return find()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chromium", description=__doc__)
    parser.add_argument("--install", action="store_true", help="install one when none is found (root + apt)")
    args = parser.parse_args(argv)
    try:
        try:
            path = find()
        except ChromiumNotFound:
            if not args.install:
                raise
            path = install()
    except ChromiumNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

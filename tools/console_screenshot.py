"""Keep the README's console screenshot (docs/console.png) in step with the console it shows.

`make console-screenshot` takes a new screenshot from the browser tests and then runs
`python -m tools.console_screenshot record`, which writes `docs/console.png.sources`: the sha256 of
every file the console is made of (SOURCES: its page, scripts and styles, and the server code that
fills it) and of the png itself, in `sha256sum` format. A unit test runs `stale()`: a console file
changed, added or removed since the screenshot, or a png that is not the recorded one, fails
`make test` with the command that fixes it.

The access model and the contract are left out on purpose: they are the console's data, not the
console; a new route makes the screenshot one row short, not wrong about what the console is.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.config import REPO_ROOT

SCREENSHOT = Path("docs/console.png")
RECORD = Path("docs/console.png.sources")
#: What the screenshot shows, relative to the repository root.
SOURCES = ("local/console/*.py", "local/console/static/*")
FIX = "make console-screenshot"


def sources(root: Path = REPO_ROOT) -> list[Path]:
    """The console's files, relative to `root`, sorted."""
    return sorted({p.relative_to(root) for pattern in SOURCES for p in root.glob(pattern) if p.is_file()})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(root: Path = REPO_ROOT) -> dict[str, str]:
    """path -> sha256 of every console file and of the screenshot, when there is one."""
    files = [*sources(root), *([SCREENSHOT] if (root / SCREENSHOT).is_file() else [])]
    return {str(p): _sha256(root / p) for p in files}


def record(root: Path = REPO_ROOT) -> None:
    """Write RECORD for the screenshot just taken."""
    if not (root / SCREENSHOT).is_file():
        raise FileNotFoundError(f"{SCREENSHOT} does not exist: take it first (`{FIX}`)")
    lines = "".join(f"{digest}  {path}\n" for path, digest in digests(root).items())
    (root / RECORD).write_text(lines)


def _recorded(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (root / RECORD).read_text().splitlines():
        digest, _, path = line.partition("  ")
        found[path] = digest
    return found


def stale(root: Path = REPO_ROOT) -> list[str]:
    """Why the screenshot no longer matches the console (empty: it does)."""
    if not (root / RECORD).is_file():
        return [f"{RECORD} is missing"]
    recorded, current = _recorded(root), digests(root)
    problems = [
        f"{path} changed since the screenshot"
        for path in sorted(recorded.keys() & current.keys())
        if recorded[path] != current[path]
    ]
    problems += [f"{path} is new since the screenshot" for path in sorted(current.keys() - recorded.keys())]
    problems += [f"{path} is gone since the screenshot" for path in sorted(recorded.keys() - current.keys())]
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.console_screenshot", description=__doc__)
    parser.add_argument("command", choices=("record",), help=f"write {RECORD} for the current screenshot")
    parser.parse_args(argv)
    record()
    print(f"==> recorded {len(sources())} console files and {SCREENSHOT} in {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

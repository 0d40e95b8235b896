"""docs/console.png is a screenshot of the console as it is: a console file changed, added or
removed since `make console-screenshot`, or another png, fails the suite (tools/console_screenshot.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tools import console_screenshot
from tools.config import REPO_ROOT


def test_the_screenshot_shows_the_current_console() -> None:
    problems = console_screenshot.stale()
    assert problems == [], f"run `{console_screenshot.FIX}`: " + "; ".join(problems)


def test_the_record_covers_what_draws_the_page() -> None:
    files = {str(p) for p in console_screenshot.sources()}
    assert {
        "local/console/server.py",
        "local/console/expectations.py",
        "local/console/static/index.html",
        "local/console/static/console.js",
        "local/console/static/console.css",
    } <= files
    recorded = (REPO_ROOT / console_screenshot.RECORD).read_text()
    assert f"  {console_screenshot.SCREENSHOT}\n" in recorded


def _copy(tmp_path: Path) -> Path:
    for path in [*console_screenshot.sources(), console_screenshot.SCREENSHOT]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / path, tmp_path / path)
    console_screenshot.record(tmp_path)
    assert console_screenshot.stale(tmp_path) == []
    return tmp_path


def test_a_changed_new_or_removed_console_file_makes_the_screenshot_stale(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    script = root / "local/console/static/console.js"
    script.write_text(script.read_text() + "\n// a change\n")
    (root / "local/console/static/extra.css").write_text("body {}\n")
    (root / "local/console/expectations.py").unlink()
    assert console_screenshot.stale(root) == [
        "local/console/static/console.js changed since the screenshot",
        "local/console/static/extra.css is new since the screenshot",
        "local/console/expectations.py is gone since the screenshot",
    ]
    console_screenshot.record(root)  # what `make console-screenshot` does after the new screenshot
    assert console_screenshot.stale(root) == []


def test_a_png_other_than_the_recorded_one_is_stale_and_a_missing_record_too(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / console_screenshot.SCREENSHOT).write_bytes(b"\x89PNG another picture")
    assert console_screenshot.stale(root) == ["docs/console.png changed since the screenshot"]
    (root / console_screenshot.RECORD).unlink()
    assert console_screenshot.stale(root) == ["docs/console.png.sources is missing"]

"""Finding the Chromium the browser tests drive: explicit path, PATH, Playwright's cache, or a
failure that says what to install (never a silent skip)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tools import chromium


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CHROMIUM, an empty PATH, no Playwright download."""
    monkeypatch.delenv(chromium.ENV_VAR, raising=False)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(chromium, "_playwright_chromium", lambda: None)
    return empty


def test_explicit_path_wins(bare: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _executable(bare / "chromium")
    chosen = _executable(bare.parent / "my-chrome")
    monkeypatch.setenv(chromium.ENV_VAR, str(chosen))
    assert chromium.find() == chosen


def test_explicit_path_that_is_not_executable_is_an_error(
    bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = bare.parent / "not-a-browser"
    plain.write_text("")
    monkeypatch.setenv(chromium.ENV_VAR, str(plain))
    with pytest.raises(chromium.ChromiumNotFound, match="not an executable"):
        chromium.find()


@pytest.mark.parametrize("name", chromium.SYSTEM_NAMES)
def test_system_browser_on_path(bare: Path, name: str) -> None:
    found = _executable(bare / name)
    assert chromium.find() == found


def test_playwright_download_is_the_last_resort(bare: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    downloaded = _executable(bare.parent / "chrome")
    monkeypatch.setattr(chromium, "_playwright_chromium", lambda: downloaded)
    assert chromium.find() == downloaded


def test_nothing_found_says_what_to_install(bare: Path) -> None:
    with pytest.raises(chromium.ChromiumNotFound) as caught:
        chromium.find()
    message = str(caught.value)
    assert "apt-get install -y chromium" in message
    assert "playwright install chromium" in message
    assert chromium.ENV_VAR in message


def test_install_refuses_without_root(bare: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chromium.os, "geteuid", lambda: 1000)
    with pytest.raises(chromium.ChromiumNotFound, match="apt-get install"):
        chromium.install()


def test_main_reports_the_failure_and_exits_1(bare: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert chromium.main([]) == 1
    assert "no Chromium found" in capsys.readouterr().err

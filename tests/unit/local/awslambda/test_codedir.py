"""Unpacking deployment packages: content-addressed, atomic, and refusing zip-slip archives."""

from __future__ import annotations

import base64
import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest

from local.awslambda.codedir import (
    CodeHashMismatchError,
    InvalidZipError,
    code_dir_name,
    extract_code,
)


def zip_of(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def sha_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_extracts_files_with_modes_into_a_named_directory(tmp_path: Path) -> None:
    script = zipfile.ZipInfo("bin/tool")
    script.external_attr = (stat.S_IFREG | 0o755) << 16
    data = zip_of([("app.py", b"X = 1\n"), ("pkg/__init__.py", b""), (script, b"#!/bin/sh\n")])

    code_dir = extract_code(data, tmp_path, "my-func", sha_b64(data))

    assert code_dir == tmp_path / f"my-func-{hashlib.sha256(data).hexdigest()[:16]}"
    assert (code_dir / "app.py").read_bytes() == b"X = 1\n"
    assert (code_dir / "pkg" / "__init__.py").exists()
    assert stat.S_IMODE((code_dir / "bin" / "tool").stat().st_mode) == 0o755
    assert stat.S_IMODE((code_dir / "app.py").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == [code_dir.name]  # no staging leftovers


def test_existing_directory_for_the_same_code_is_reused(tmp_path: Path) -> None:
    data = zip_of([("app.py", b"X = 1\n")])
    first = extract_code(data, tmp_path, "f", sha_b64(data))
    (first / "marker").write_text("kept")

    second = extract_code(data, tmp_path, "f", sha_b64(data))

    assert second == first
    assert (second / "marker").read_text() == "kept"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.py", "'..'"),
        ("a/../../evil.py", "'..'"),
        ("/etc/evil.py", "absolute"),
        ("C:/evil.py", "absolute"),
        ("a\\..\\evil.py", "backslash"),
    ],
)
def test_entries_escaping_the_directory_are_refused_and_nothing_is_written(
    tmp_path: Path, name: str, reason: str
) -> None:
    work = tmp_path / "work"
    data = zip_of([("app.py", b"ok"), (name, b"evil")])

    with pytest.raises(InvalidZipError, match=reason):
        extract_code(data, work, "f", sha_b64(data))

    assert not work.exists() or not any(work.iterdir())
    assert not list(tmp_path.rglob("evil.py"))


def test_symlink_entries_are_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = zip_of([(link, b"/etc/passwd")])

    with pytest.raises(InvalidZipError, match="symbolic link"):
        extract_code(data, tmp_path, "f", sha_b64(data))


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", b"first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("app.py", b"second")
    data = buffer.getvalue()

    with pytest.raises(InvalidZipError, match="duplicate"):
        extract_code(data, tmp_path, "f", sha_b64(data))


def test_unzipped_size_is_capped(tmp_path: Path) -> None:
    data = zip_of([("big.bin", b"\0" * 10_000)])

    with pytest.raises(InvalidZipError, match="more than 4096 bytes"):
        extract_code(data, tmp_path, "f", sha_b64(data), max_bytes=4096)

    assert not any(tmp_path.iterdir())


def test_bytes_must_match_the_configured_code_sha(tmp_path: Path) -> None:
    data = zip_of([("app.py", b"X = 1\n")])

    with pytest.raises(CodeHashMismatchError):
        extract_code(data, tmp_path, "f", sha_b64(b"other code"))


def test_bytes_that_are_not_a_zip_are_refused(tmp_path: Path) -> None:
    data = b"this is not a zip"

    with pytest.raises(InvalidZipError, match="could not unzip"):
        extract_code(data, tmp_path, "f", sha_b64(data))

    assert not any(tmp_path.iterdir())


def test_directory_name_is_one_safe_path_component() -> None:
    name = code_dir_name("../weird/name", sha_b64(b"x"))

    assert "/" not in name
    assert not name.startswith(".")
    assert name.endswith("-" + hashlib.sha256(b"x").hexdigest()[:16])

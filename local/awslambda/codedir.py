"""Unpack a deployment package into a content-addressed code directory, refusing unsafe archives.

The zip comes from whoever ran `terraform apply`, so it is treated as untrusted input: every entry
must stay inside the target directory (no absolute paths, no `..`, no drive letters, no backslashes,
no symlink entries, no duplicates) and the unzipped size is capped at Lambda's own limit. Nothing is
written to the final directory unless the whole archive is valid: entries are extracted into a
temporary sibling which is renamed into place, so a reader never sees a half-extracted tree and a
rejected zip leaves nothing behind.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import stat
import uuid
import zipfile
import zlib
from io import BytesIO
from pathlib import Path, PurePosixPath

# Lambda's quota for a function's unzipped deployment package (250 MB).
MAX_UNZIPPED_BYTES = 262_144_000
MAX_ENTRIES = 100_000
_CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


class InvalidZipError(ValueError):
    """The deployment package is not a zip we can safely unpack; the message says which entry."""


class CodeHashMismatchError(InvalidZipError):
    """The bytes are not the code the configuration names (e.g. re-deployed in between)."""


def sha256_hex(code_sha256_b64: str) -> str:
    """Lambda reports CodeSha256 as base64; directory names use hex."""
    try:
        return base64.b64decode(code_sha256_b64, validate=True).hex()
    except (binascii.Error, ValueError) as exc:
        raise InvalidZipError(f"CodeSha256 {code_sha256_b64!r} is not base64") from exc


def code_dir_name(function_name: str, code_sha256_b64: str) -> str:
    """`<function>-<first 16 hex digits of the code's sha256>`, safe as one path component."""
    safe = _UNSAFE_NAME_CHARS.sub("_", function_name).lstrip(".") or "function"
    return f"{safe}-{sha256_hex(code_sha256_b64)[:16]}"


def _entry_path(name: str) -> PurePosixPath:
    """The relative path of a zip entry, or InvalidZipError if it could land outside the target."""
    if not name or "\x00" in name or "\\" in name:
        raise InvalidZipError(f"zip entry {name!r}: empty name, NUL or backslash")
    path = PurePosixPath(name)
    if path.is_absolute() or _DRIVE.match(name):
        raise InvalidZipError(f"zip entry {name!r}: absolute path")
    if any(part == ".." for part in path.parts):
        raise InvalidZipError(f"zip entry {name!r}: '..' path component")
    if not path.parts:
        raise InvalidZipError(f"zip entry {name!r}: no path")
    return path


def _check_entries(infos: list[zipfile.ZipInfo], max_bytes: int) -> None:
    if len(infos) > MAX_ENTRIES:
        raise InvalidZipError(f"zip has {len(infos)} entries (limit {MAX_ENTRIES})")
    seen: set[PurePosixPath] = set()
    declared = 0
    for info in infos:
        path = _entry_path(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InvalidZipError(f"zip entry {info.filename!r}: symbolic links are not accepted")
        if path in seen:
            raise InvalidZipError(f"zip entry {info.filename!r}: duplicate entry")
        seen.add(path)
        declared += info.file_size
        if declared > max_bytes:
            raise InvalidZipError(f"zip unpacks to more than {max_bytes} bytes")


def _extract_into(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], root: Path, max_bytes: int) -> None:
    real_root = root.resolve()
    written = 0
    for info in infos:
        target = root.joinpath(*_entry_path(info.filename).parts)
        # Defence in depth (names were already checked): the resolved target must stay inside.
        if not target.resolve().is_relative_to(real_root):
            raise InvalidZipError(f"zip entry {info.filename!r} resolves outside the code directory")
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # Header sizes can lie: count the bytes actually inflated.
        with archive.open(info) as src, open(target, "xb") as dst:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise InvalidZipError(f"zip unpacks to more than {max_bytes} bytes")
                dst.write(chunk)
        executable = (info.external_attr >> 16) & 0o111
        target.chmod(0o755 if executable else 0o644)


def extract_code(
    data: bytes,
    work_dir: Path,
    function_name: str,
    code_sha256_b64: str,
    *,
    max_bytes: int = MAX_UNZIPPED_BYTES,
) -> Path:
    """Unpack `data` into `<work_dir>/<function>-<sha prefix>/` and return that directory.

    Content-addressed: if the directory already exists it holds this exact code (it was renamed
    into place only after a complete extraction) and is reused. Raises InvalidZipError when `data`
    does not hash to `code_sha256_b64` or is not a safe zip; nothing is left behind then.
    """
    expected = sha256_hex(code_sha256_b64)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise CodeHashMismatchError(
            f"code bytes hash to {actual[:16]}..., configuration says {expected[:16]}..."
        )
    final = work_dir / code_dir_name(function_name, code_sha256_b64)
    if final.is_dir():
        return final
    work_dir.mkdir(parents=True, exist_ok=True)
    staging = work_dir / f".extract-{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(mode=0o755)
    try:
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                infos = archive.infolist()
                _check_entries(infos, max_bytes)
                _extract_into(archive, infos, staging, max_bytes)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            # RuntimeError: encrypted entries; NotImplementedError: unsupported compression;
            # OSError: an entry that is both a file and a directory (or the disk is full).
            raise InvalidZipError(f"could not unzip the deployment package: {exc}") from exc
        try:
            staging.rename(final)
        except OSError:
            if not final.is_dir():  # someone else's identical extraction won the race otherwise
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final

"""Build one reproducible zip per folder under `functions/` for the Lambda platform.

Why this exists: Terraform only *consumes* the zips (`filename` + `source_code_hash`), so the hash
must change exactly when the code or its pinned dependencies change. The zip is therefore
byte-identical for identical inputs: entries sorted, timestamps fixed at 1980-01-01, modes fixed
(0644 files, 0755 directories), no tests, no requirement files, and no bytecode but its own (below).

Bytecode: a Lambda code directory is read-only, so without `.pyc` files in the zip Python compiles
every module again at each cold start (docs/benchmarks.md has the figures with and without). The
build compiles every shipped `.py` (the function's and the vendored ones) into
`__pycache__/<name>.cpython-312.pyc` beside it, only when the builder's interpreter is the
runtime's (CPython 3.12: same bytecode format and cache tag); any other builder ships the sources
alone and says so (the zip works, its cold start is slower). The pycs are hash-based and
*unchecked* (PEP 552): their header holds a hash of the source instead of its mtime, so their bytes
do not depend on file times, and the interpreter trusts them without reading and hashing the
source at each import, which is safe because a deployed function's files never change (a new
deployment is a new zip). Any `__pycache__` found in the sources is never shipped. The sources stay
in the zip (tracebacks, and the runtime falls back to them if it ever refuses a pyc). Compiler
output can differ between interpreter releases, so the builder's exact Python version is part of
the input digest below.

Dependencies come from the folder's hashed lock (`requirements.txt`) and are vendored for the
*Lambda* platform, never the build machine's: `pip download --only-binary=:all: --platform
manylinux_2_28_<arch> --platform manylinux2014_<arch> --python-version 3.12 --implementation cp
--require-hashes`, then `pip install --no-index --target` from that download cache. boto3 and
botocore are provided by the python3.12 Lambda runtime and are not in the locks, so not vendored.

Contract (the Makefile's `build` target and the local stack rely on it):
    python -m tools.build_lambda --env <env> [--arch x86_64|arm64] [--out build/lambda]
writes `<out>/<arch>/<folder>.zip` (e.g. build/lambda/x86_64/authorizer.zip) and prints each zip's
base64 sha256, the value Terraform's `filebase64sha256()` computes. A build whose inputs are unchanged
is skipped (a stamp file beside the zip records the input digest), so `make test` stays fast; wheels
are cached under `build/cache/` so rebuilding works offline once they were downloaded.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools import config, pyc_compile

REPO_ROOT = config.REPO_ROOT
FUNCTIONS_DIR = REPO_ROOT / "functions"
DEFAULT_OUT = REPO_ROOT / "build" / "lambda"
DEFAULT_CACHE = REPO_ROOT / "build" / "cache"

# Bump when the zip layout or the rules below change, so stale stamps never skip a needed rebuild.
# 3: the zip carries bytecode for the runtime.
BUILDER_VERSION = "3"
# The vendored-site cache's own version (part of its key): bytecode is compiled at zip time from
# the cached site, so that cache did not change with BUILDER_VERSION 3 and stays valid.
SITE_VERSION = "2"
LAMBDA_PYTHON_VERSION = "3.12"
# The interpreter tag of the runtime's pyc files (`sys.implementation.cache_tag` on python3.12).
LAMBDA_CACHE_TAG = "cpython-" + LAMBDA_PYTHON_VERSION.replace(".", "")
# The script that compiles the zip's bytecode in a fresh interpreter (see compile_pycs).
PYC_COMPILER = Path(pyc_compile.__file__)
# Terraform's `architectures` value -> the wheel platform suffix. Lambda's python3.12 runtime runs on
# Amazon Linux 2023 (glibc 2.34), so manylinux_2_28 and older (manylinux2014 = 2_17) wheels load.
PLATFORM_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}
MANYLINUX_TAGS = ("manylinux_2_28", "manylinux2014")
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
DIR_MODE = 0o755
# Never shipped: caches, tests, lock/input files, editor and OS droppings.
EXCLUDED_DIR_NAMES = frozenset(
    {"__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
)
EXCLUDED_FILE_NAMES = frozenset({"requirements.in", "requirements.txt", "conftest.py", ".DS_Store"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")


class BuildError(RuntimeError):
    """The build cannot produce a correct zip; the message says what to fix."""


@dataclass(frozen=True)
class BuildResult:
    name: str
    zip_path: Path
    base64_sha256: str
    rebuilt: bool
    bytecode: str | None = None  # the cache tag the zip's pycs are for; None: sources only


def bytecode_skip_reason() -> str | None:
    """Why this interpreter must not compile the zip's bytecode, or None when it may."""
    tag = sys.implementation.cache_tag
    if tag != LAMBDA_CACHE_TAG:
        return (
            f"the builder runs {tag or sys.implementation.name}, the Lambda runtime loads "
            f"{LAMBDA_CACHE_TAG} bytecode: the zip ships sources only (it works; every cold start "
            f"compiles them). Build with python{LAMBDA_PYTHON_VERSION} to include bytecode."
        )
    return None


def pyc_arcname(arcname: str) -> str:
    """`pkg/mod.py` -> `pkg/__pycache__/mod.cpython-312.pyc` (what importlib looks for)."""
    folder, _, name = arcname.rpartition("/")
    prefix = f"{folder}/" if folder else ""
    return f"{prefix}__pycache__/{name[: -len('.py')]}.{LAMBDA_CACHE_TAG}.pyc"


def compile_pycs(sources: Sequence[tuple[str, Path]]) -> dict[str, bytes]:
    """{arcname: its pyc} for the `.py` files given (those that compile), compiled by
    `tools/pyc_compile.py` in a fresh isolated interpreter with a fixed hash seed, so that the
    bytes never depend on this process's state (that module's docstring says why)."""
    if not sources:
        return {}
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(PYC_COMPILER)],
        input=json.dumps([[arcname, str(path)] for arcname, path in sources]).encode(),
        env={"PYTHONHASHSEED": "0"},
        capture_output=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise BuildError(f"compiling the bytecode failed: {done.stderr.decode(errors='replace')[-2000:]}")
    pycs: dict[str, bytes] = {}
    data, offset = done.stdout, 0
    for arcname, _ in sources:
        (size,) = struct.unpack_from(">I", data, offset)
        offset += 4
        if size != pyc_compile.NO_PYC:
            pycs[arcname] = data[offset : offset + size]
            offset += size
    if offset != len(data):
        raise BuildError(f"the bytecode compiler answered {len(data)} bytes, {offset} expected")
    return pycs


def _bytecode_digest() -> str:
    """What decides the pyc bytes: the compiling interpreter, exactly (or that there are none)."""
    if bytecode_skip_reason() is not None:
        return "bytecode=none"
    return f"bytecode={LAMBDA_CACHE_TAG};magic={importlib.util.MAGIC_NUMBER.hex()};python={sys.version}"


def base64_sha256(path: Path) -> str:
    """The value Terraform's `filebase64sha256(path)` returns."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode("ascii")


def function_dirs(functions_dir: Path = FUNCTIONS_DIR) -> list[Path]:
    """Every folder under functions/ that is a Lambda code base (it has a requirements lock)."""
    if not functions_dir.is_dir():
        raise BuildError(f"{functions_dir} does not exist")
    found = sorted(p for p in functions_dir.iterdir() if p.is_dir() and (p / "requirements.txt").is_file())
    if not found:
        raise BuildError(f"no function folders with a requirements.txt under {functions_dir}")
    return found


def _excluded(rel: Path) -> bool:
    parts = rel.parts
    if any(part in EXCLUDED_DIR_NAMES or part.startswith(".") for part in parts[:-1]):
        return True
    name = parts[-1]
    return (
        name in EXCLUDED_FILE_NAMES
        or name.startswith(".")
        or name.endswith(EXCLUDED_SUFFIXES)
        or (name.startswith("test_") and name.endswith(".py"))
    )


def _walk_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(posix arcname, path) of every shippable regular file under root, symlinks refused."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in EXCLUDED_DIR_NAMES and not d.startswith(".")]
        for filename in filenames:
            path = Path(dirpath) / filename
            rel = path.relative_to(root)
            if _excluded(rel):
                continue
            if path.is_symlink() or not path.is_file():
                raise BuildError(f"{path}: only regular files can be zipped (no symlinks or specials)")
            yield rel.as_posix(), path


def _lock_has_requirements(lock: Path) -> bool:
    for line in lock.read_text().splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "--")):
            return True
    return False


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_digest(function_dir: Path, arch: str) -> str:
    """Digest of everything that determines the zip: sources, lock, target, builder rules."""
    digest = hashlib.sha256()
    digest.update(f"builder={BUILDER_VERSION};arch={arch};python={LAMBDA_PYTHON_VERSION}\n".encode())
    digest.update(f"{_bytecode_digest()}\n".encode())
    digest.update(_sha256_file(Path(__file__)).encode())
    digest.update(_sha256_file(PYC_COMPILER).encode())
    for arcname, path in sorted(_walk_files(function_dir)):
        digest.update(f"{arcname}\0{_sha256_file(path)}\n".encode())
    digest.update(_sha256_file(function_dir / "requirements.txt").encode())
    return digest.hexdigest()


def _pip_platform_args(arch: str) -> list[str]:
    machine = PLATFORM_ARCH[arch]
    args: list[str] = []
    for tag in MANYLINUX_TAGS:
        args += ["--platform", f"{tag}_{machine}"]
    return [
        *args,
        "--only-binary=:all:",
        "--python-version",
        LAMBDA_PYTHON_VERSION,
        "--implementation",
        "cp",
    ]


def _run_pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def site_dir(lock: Path, arch: str, cache_dir: Path) -> Path:
    """Where the vendored site for this lock and target lives: keyed by the lock *and* the pip target
    (platform tags, Python version, SITE_VERSION), so changing the target never reuses old wheels."""
    digest = hashlib.sha256(lock.read_bytes())
    digest.update("\0".join([SITE_VERSION, *_pip_platform_args(arch)]).encode())
    return cache_dir / "site" / arch / f"{lock.parent.name}-{digest.hexdigest()[:16]}"


def _drop_console_scripts(site: Path) -> None:
    """Remove `bin/` and its RECORD lines from a pip `--target` tree.

    Console scripts are useless in Lambda, and pip writes the *build machine's* interpreter path into
    their shebang, so the script's hash in `*.dist-info/RECORD` (which is shipped) changed with the
    python that ran pip (`.venv/bin/python` vs `.venv/bin/python3.12` gave different zips).
    """
    shutil.rmtree(site / "bin", ignore_errors=True)
    for record in site.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith("../../bin/")]
        if kept != lines:
            record.write_text("".join(kept))


def _install_deps(lock: Path, arch: str, cache_dir: Path) -> Path:
    """Vendored site dir for this lock + arch, built once and reused (see site_dir for the key)."""
    site = site_dir(lock, arch, cache_dir)
    if (site / ".complete").is_file():
        return site
    wheels = cache_dir / "wheels" / arch
    wheels.mkdir(parents=True, exist_ok=True)
    site.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{site.name}-", dir=site.parent))
    install = [
        "install",
        "--quiet",
        "--no-compile",
        "--no-deps",
        "--require-hashes",
        "--no-index",
        "--find-links",
        str(wheels),
        "--target",
        str(staging),
        *_pip_platform_args(arch),
        "-r",
        str(lock),
    ]
    try:
        # Offline first: everything may already be in the wheel cache.
        if _run_pip(install).returncode != 0:
            download = _run_pip(
                [
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--require-hashes",
                    "--dest",
                    str(wheels),
                    *_pip_platform_args(arch),
                    "-r",
                    str(lock),
                ]
            )
            if download.returncode != 0:
                raise BuildError(
                    f"pip download for {lock} ({arch}) failed (is the package index reachable?):\n"
                    + download.stderr[-4000:]
                )
            shutil.rmtree(staging)
            staging.mkdir()
            retry = _run_pip(install)
            if retry.returncode != 0:
                raise BuildError(f"pip install for {lock} ({arch}) failed:\n{retry.stderr[-4000:]}")
        _drop_console_scripts(staging)
        (staging / ".complete").write_text(site.name + "\n")
        try:
            staging.rename(site)
        except OSError:
            # A concurrent build finished the same site first: theirs is identical, use it.
            if not (site / ".complete").is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return site


def _zip_entries(function_dir: Path, site: Path | None) -> list[tuple[str, Path]]:
    entries = dict(_walk_files(function_dir))
    if site is not None:
        for arcname, path in _walk_files(site):
            if arcname in entries:
                raise BuildError(f"{function_dir.name}: vendored file {arcname} collides with a source file")
            entries[arcname] = path
    return sorted(entries.items())


def with_bytecode(entries: Sequence[tuple[str, Path]]) -> list[tuple[str, Path | bytes]]:
    """The entries plus a runtime pyc for every `.py` among them (see the module docstring)."""
    out: list[tuple[str, Path | bytes]] = list(entries)
    pycs = compile_pycs([(arcname, path) for arcname, path in entries if arcname.endswith(".py")])
    out.extend((pyc_arcname(arcname), pyc) for arcname, pyc in pycs.items())
    return sorted(out, key=lambda item: item[0])


def _dir_names(arcnames: Iterable[str]) -> list[str]:
    dirs: set[str] = set()
    for arcname in arcnames:
        parts = arcname.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]) + "/")
    return sorted(dirs)


#: zlib level of every entry. 6 (zlib's default), not 9: measured on the authorizer zip (5.5 MB, mostly
#: cryptography's native library), 9 took 2.0 s of CPU per build and 6 took 0.57 s, for a zip 0.7 %
#: larger. Builds run at every changed input and ~10 times in the build tests.
COMPRESS_LEVEL = 6


def write_zip(entries: Sequence[tuple[str, Path | bytes]], target: Path) -> None:
    """Write a deterministic zip: sorted entries, fixed dates and modes, fixed compression.

    An entry's content is a file (Path) or the bytes themselves (generated bytecode)."""
    all_items: list[tuple[str, Path | bytes | None]] = [(d, None) for d in _dir_names(a for a, _ in entries)]
    all_items += list(entries)
    all_items.sort(key=lambda item: item[0])
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
        for arcname, path in all_items:
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            info.create_system = 3  # unix, so external_attr carries the mode bits
            if path is None:
                info.external_attr = (stat.S_IFDIR | DIR_MODE) << 16 | 0x10
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, b"")
            else:
                info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                data = path if isinstance(path, bytes) else path.read_bytes()
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)


def build_function(
    function_dir: Path,
    arch: str,
    out_dir: Path = DEFAULT_OUT,
    cache_dir: Path = DEFAULT_CACHE,
    force: bool = False,
) -> BuildResult:
    """Build `<out_dir>/<arch>/<folder>.zip` unless the stamp says the inputs are unchanged."""
    if arch not in PLATFORM_ARCH:
        raise BuildError(f"architecture {arch!r} is not one of {', '.join(PLATFORM_ARCH)}")
    lock = function_dir / "requirements.txt"
    if not lock.is_file():
        raise BuildError(f"{function_dir}: requirements.txt (the hashed lock) is missing; run `make lock`")
    target_dir = out_dir / arch
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{function_dir.name}.zip"
    stamp = target_dir / f"{function_dir.name}.zip.stamp"
    digest = input_digest(function_dir, arch)
    tag = LAMBDA_CACHE_TAG if bytecode_skip_reason() is None else None
    if not force and target.is_file() and stamp.is_file():
        recorded = json.loads(stamp.read_text())
        current_hash = base64_sha256(target)
        if recorded.get("inputs") == digest and recorded.get("base64_sha256") == current_hash:
            return BuildResult(function_dir.name, target, current_hash, rebuilt=False, bytecode=tag)
    site = _install_deps(lock, arch, cache_dir) if _lock_has_requirements(lock) else None
    files = _zip_entries(function_dir, site)
    entries = with_bytecode(files) if tag is not None else list(files)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{function_dir.name}-", suffix=".zip", dir=target_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write_zip(entries, tmp)
        tmp.chmod(FILE_MODE)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    result = BuildResult(function_dir.name, target, base64_sha256(target), rebuilt=True, bytecode=tag)
    stamp.write_text(json.dumps({"inputs": digest, "base64_sha256": result.base64_sha256}) + "\n")
    return result


def build_all(
    arch: str,
    out_dir: Path = DEFAULT_OUT,
    cache_dir: Path = DEFAULT_CACHE,
    force: bool = False,
    functions_dir: Path = FUNCTIONS_DIR,
) -> list[BuildResult]:
    return [build_function(d, arch, out_dir, cache_dir, force) for d in function_dirs(functions_dir)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.build_lambda", description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="local", help="environment whose lambda_architecture to build for")
    parser.add_argument(
        "--arch", choices=sorted(PLATFORM_ARCH), help="override the env's lambda_architecture"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output root (zips go to <out>/<arch>/)"
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="wheel and vendored-site cache")
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    args = parser.parse_args(argv)
    try:
        arch = args.arch or config.load(args.env).lambda_architecture
        results = build_all(arch, args.out, args.cache, args.force)
    except (BuildError, config.ConfigError) as exc:
        print(f"build_lambda: {exc}", file=sys.stderr)
        return 1
    reason = bytecode_skip_reason()
    if reason is not None:
        print(f"build_lambda: note: {reason}", file=sys.stderr)
    for r in results:
        state = "built" if r.rebuilt else "unchanged"
        try:
            shown = r.zip_path.relative_to(REPO_ROOT)
        except ValueError:
            shown = r.zip_path
        print(f"{shown}  base64sha256={r.base64_sha256}  ({state})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

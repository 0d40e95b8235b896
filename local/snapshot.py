"""Reuse of the last apply: the emulator's AWS state saved right after `terraform apply`, put back
by the next `make up` when nothing that apply depended on has changed.

Why: against a fresh emulator the apply cannot go below ~45 s, and almost all of it is the AWS
provider's own fixed waits (Lambda functions are created one at a time with a 5 s wait each, the
KMS key waits for its settings to read back consistently several times), not work. What an apply
leaves in the emulator is determined by its inputs, so when they are the same the saved state is
what the apply would produce again.

The inputs (`inputs_digest`): every Terraform file of the repository (modules, stack, env roots,
lock files, config.json), the policy templates, the Lambda zips, the emulator's own code
(local/emulator and every first-party module it imports: the patches decide what moto stores), the
moto, Python and Terraform versions and this module's format. Two URLs are inputs too, so the state
is only reused when both can be bound again: the emulator's (its port is in the issuer of the local
OIDC provider and in the authorizer's JWKS origin) and the browser console's origin (the API's CORS
origin and a callback URL of the web client).
The Terraform state written by that apply stays beside the snapshot (its hash is checked), so
`terraform plan` against the restored emulator shows no changes (tests/terraform checks it).

Files, in the deployment's work directory (`.local/run/terraform/` for `make up`):
`emulator-snapshot.json` (format, digest, port, outputs, state hash: cheap to read first) and
`emulator-snapshot.pickle` (moto's backends), both 0600. They are written by this module in the
worktree's own `.local/` and only read from there; loading the pickle runs code exactly as
importing the worktree's modules does, and nothing else is ever unpickled.

moto keeps its state in per-service `BackendDict`s (account -> region -> backend). A few objects in
them cannot be pickled as they are (cryptography keys, locks, a WeakValueDictionary, defaultdicts
whose factory is a lambda); `_Pickler` stores them as data and they are rebuilt on load.
"""

from __future__ import annotations

import ast
import collections
import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tools.config import REPO_ROOT, TEMPLATES_DIR

FORMAT = 2
HEADER_NAME = "emulator-snapshot.json"
DATA_NAME = "emulator-snapshot.pickle"
TERRAFORM_DIR = REPO_ROOT / "terraform"
EMULATOR_ENTRY = (
    REPO_ROOT / "local" / "emulator" / "__init__.py",
    REPO_ROOT / "local" / "emulator" / "server.py",
)
FIRST_PARTY = ("local", "tools")
BUILD_DIR = REPO_ROOT / "build" / "lambda"
_INPUT_SUFFIXES = frozenset({".tf", ".tftpl", ".json", ".hcl", ".py"})
_SKIPPED_DIRS = frozenset({".terraform", "tests", "__pycache__"})

BackendKey = tuple[str, str, str]  # (service, account, region)


class SnapshotError(RuntimeError):
    """The snapshot cannot be used (missing, stale, or unreadable); the message says why."""


@dataclass(frozen=True)
class Header:
    format: int
    inputs: str
    port: int
    console_origin: str | None
    outputs: dict[str, Any]
    state_sha256: str


# --- what the apply depends on ----------------------------------------------------------------


def _files(base: Path) -> Iterator[Path]:
    for path in sorted(base.rglob("*")):
        if path.suffix in _INPUT_SUFFIXES and path.is_file() and not _SKIPPED_DIRS & set(path.parts):
            yield path


def _module_file(module: str) -> Path | None:
    base = REPO_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def emulator_sources() -> list[Path]:
    """local/emulator and every first-party module it imports, directly or not (function bodies
    included: the patches are imported when they are applied), with their packages' __init__."""
    seen: set[Path] = set()
    pending = list(EMULATOR_ENTRY)
    while pending:
        path = pending.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        pending.extend(parent / "__init__.py" for parent in path.parents if REPO_ROOT in parent.parents)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            for name in names:
                target = _module_file(name) if name.split(".")[0] in FIRST_PARTY else None
                if target is not None:
                    pending.append(target)
    return sorted(seen)


def _terraform_version() -> str:
    proc = subprocess.run(["terraform", "version", "-json"], capture_output=True, text=True, check=False)
    try:
        return str(json.loads(proc.stdout)["terraform_version"])
    except (ValueError, KeyError) as exc:
        raise SnapshotError(f"`terraform version -json` did not answer: {proc.stderr[-500:]}") from exc


def inputs_digest(lambda_architecture: str) -> str:
    """A digest of everything the apply of terraform/envs/local depends on (the port aside)."""
    import moto  # noqa: PLC0415 - only the emulator's process needs moto loaded

    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\0moto {moto.__version__}\0python {sys.version}\0".encode())
    digest.update(f"terraform {_terraform_version()}\0".encode())
    zips = sorted((BUILD_DIR / lambda_architecture).glob("*.zip"))
    for path in [*_files(TERRAFORM_DIR), *_files(TEMPLATES_DIR), *emulator_sources(), *zips]:
        digest.update(f"{path.relative_to(REPO_ROOT)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- pickling moto's backends -----------------------------------------------------------------

_RLOCK_TYPE = type(threading.RLock())
_LOCK_TYPE = type(threading.Lock())


def _private_key(pem: bytes) -> Any:
    return serialization.load_pem_private_key(pem, password=None)


def _public_key(pem: bytes) -> Any:
    return serialization.load_pem_public_key(pem)


def _rlock() -> Any:
    return threading.RLock()


def _lock() -> Any:
    return threading.Lock()


def _weak_values(items: dict[Any, Any]) -> weakref.WeakValueDictionary[Any, Any]:
    return weakref.WeakValueDictionary(items)


def _defaultdict(factory: type, items: dict[Any, Any]) -> collections.defaultdict[Any, Any]:
    return collections.defaultdict(factory, items)


def _reduce_key(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    if isinstance(obj, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        private = serialization.PrivateFormat.PKCS8
        pem = obj.private_bytes(serialization.Encoding.PEM, private, serialization.NoEncryption())
        return _private_key, (pem,)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    return _public_key, (obj.public_bytes(serialization.Encoding.PEM, public),)


def _reduce_defaultdict(obj: collections.defaultdict[Any, Any]) -> tuple[Any, tuple[Any, ...]] | Any:
    # moto writes `defaultdict(lambda: {})`: the same as a factory of the empty builtin.
    factory = obj.default_factory
    if factory is None or getattr(factory, "__name__", "") != "<lambda>":
        return NotImplemented
    sample = factory()
    if type(sample) in (dict, list, set) and not sample:
        return _defaultdict, (type(sample), dict(obj))
    return NotImplemented


_KEY_TYPES = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPublicKey, ec.EllipticCurvePublicKey)
_REDUCERS: tuple[tuple[tuple[type, ...], Any], ...] = (
    (_KEY_TYPES, _reduce_key),
    ((_RLOCK_TYPE,), lambda _obj: (_rlock, ())),
    ((_LOCK_TYPE,), lambda _obj: (_lock, ())),
    ((weakref.WeakValueDictionary,), lambda obj: (_weak_values, (dict(obj.items()),))),
    ((collections.defaultdict,), _reduce_defaultdict),
)


class _Pickler(pickle.Pickler):
    """Pickles moto's backends: the objects pickle cannot store as they are become data."""

    def reducer_override(self, obj: Any) -> Any:
        for types, reduce in _REDUCERS:
            if isinstance(obj, types):
                return reduce(obj)
        return NotImplemented


def _backend_dicts() -> list[Any]:
    from moto.core.base_backend import BackendDict  # noqa: PLC0415

    instances: list[Any] = getattr(BackendDict, "_instances")  # noqa: B009 - moto's registry of used services
    return list(instances)


def dump_backends() -> bytes:
    """moto's whole state in this process."""
    blobs: dict[BackendKey, bytes] = {}
    for backend_dict in _backend_dicts():
        for account, regions in backend_dict.items():
            for region, backend in regions.items():
                buffer = io.BytesIO()
                try:
                    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(backend)
                except (pickle.PicklingError, TypeError, AttributeError) as exc:
                    where = f"{backend_dict.service_name} ({account}/{region})"
                    raise SnapshotError(f"moto's {where} backend cannot be saved: {exc}") from exc
                blobs[(str(backend_dict.service_name), str(account), str(region))] = buffer.getvalue()
    return pickle.dumps(blobs, protocol=pickle.HIGHEST_PROTOCOL)


def load_backends(data: bytes) -> int:
    """Put a `dump_backends` result into this process's moto (patches already applied); returns
    how many backends were restored."""
    from moto.backends import get_backend  # noqa: PLC0415

    try:
        blobs: dict[BackendKey, bytes] = pickle.loads(data)  # noqa: S301 - our own file, see the docstring
        backends = {key: pickle.loads(blob) for key, blob in blobs.items()}  # noqa: S301 - as above
        targets = {key: get_backend(key[0]) for key in backends}  # type: ignore[call-overload]
    except Exception as exc:  # nothing is installed unless everything loaded
        raise SnapshotError(
            f"the saved emulator state cannot be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    for (service, account, region), backend in backends.items():
        targets[(service, account, region)][account][region] = backend
    # Installed without going through moto's API: count it in the emulator's change feed, so that
    # a gateway already running reads its cached stages and policies again.
    from local.emulator import changes  # noqa: PLC0415

    changes.bump()
    return len(backends)


# --- the files --------------------------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def discard(work_dir: Path) -> None:
    for name in (HEADER_NAME, DATA_NAME):
        (work_dir / name).unlink(missing_ok=True)


def save(
    work_dir: Path,
    *,
    inputs: str,
    port: int,
    console_origin: str | None,
    outputs: dict[str, Any],
    state_path: Path,
) -> None:
    """Save moto's state next to the Terraform state the apply just wrote."""
    discard(work_dir)
    _write_private(work_dir / DATA_NAME, dump_backends())
    header = Header(FORMAT, inputs, port, console_origin, outputs, _sha256(state_path))
    _write_private(work_dir / HEADER_NAME, json.dumps(header.__dict__, indent=1).encode())


def read_header(work_dir: Path) -> Header | None:
    """The saved snapshot's header, or None when there is none (or it is from another format)."""
    try:
        raw = json.loads((work_dir / HEADER_NAME).read_text())
        header = Header(**raw)
    except (FileNotFoundError, ValueError, TypeError):
        return None
    return header if header.format == FORMAT else None


def restore(
    work_dir: Path, *, inputs: str, port: int, console_origin: str | None, state_path: Path
) -> dict[str, Any]:
    """Load the saved state into this process's (fresh) emulator; returns the apply's outputs.

    Raises SnapshotError, before touching moto, when the snapshot does not match `inputs`, `port`,
    `console_origin` or the Terraform state at `state_path`.
    """
    header = read_header(work_dir)
    if header is None:
        raise SnapshotError("no saved state")
    if header.inputs != inputs:
        raise SnapshotError("the Terraform inputs changed since the last apply")
    if header.port != port:
        raise SnapshotError(f"the emulator runs on port {port}, the saved state is for {header.port}")
    if header.console_origin != console_origin:
        raise SnapshotError(
            f"the console is at {console_origin}, the saved state is for {header.console_origin}"
        )
    if not state_path.is_file() or _sha256(state_path) != header.state_sha256:
        raise SnapshotError("the Terraform state is not the one saved with the emulator state")
    try:
        data = (work_dir / DATA_NAME).read_bytes()
    except FileNotFoundError as exc:
        raise SnapshotError("the saved emulator state is missing") from exc
    load_backends(data)
    return header.outputs

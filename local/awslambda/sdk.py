"""The "runtime SDK" directory: the AWS SDK the real python3.12 Lambda runtime provides.

Deployment zips do not vendor boto3 (the runtime has it), so workers need it from somewhere, but
they must not see the dev virtualenv (moto, pytest, the dev copies of the function's own vendored
dependencies). The SDK directory holds one symlink per SDK top-level package, pointing into the
dev environment's installed copies; workers get exactly [code dir, SDK dir, stdlib] on sys.path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from local.awslambda.types import RuntimeSetupError

# boto3 and its whole dependency closure (pure Python, so any 3.x interpreter can import them).
SDK_MODULES: tuple[str, ...] = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def sdk_sources(modules: Sequence[str] = SDK_MODULES) -> dict[str, Path]:
    """Map of entry name (package dir or module file) to its installed location in this environment."""
    sources: dict[str, Path] = {}
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise RuntimeSetupError(f"{name} is not installed in {sys.prefix}; run `make venv`")
        if spec.submodule_search_locations:
            location = Path(next(iter(spec.submodule_search_locations)))
        elif spec.origin:
            location = Path(spec.origin)
        else:
            raise RuntimeSetupError(f"cannot locate the files of {name}")
        sources[location.name] = location.resolve()
    return sources


def ensure_sdk_dir(work_dir: Path, modules: Sequence[str] = SDK_MODULES) -> Path:
    """Create (once, atomically) and return `<work_dir>/runtime-sdk-<digest>/`.

    The digest covers the link targets, so a changed dev environment gets a new directory and an
    existing one never needs rewriting while workers use it.
    """
    sources = sdk_sources(modules)
    digest = hashlib.sha256(json.dumps({k: str(v) for k, v in sorted(sources.items())}).encode()).hexdigest()[
        :12
    ]
    final = work_dir / f"runtime-sdk-{digest}"
    if final.is_dir():
        return final
    work_dir.mkdir(parents=True, exist_ok=True)
    staging = work_dir / f".runtime-sdk-{digest}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        for name, target in sources.items():
            (staging / name).symlink_to(target)
        try:
            staging.rename(final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final

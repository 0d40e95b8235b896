"""Run terraform init / validate / test over every Terraform directory of the repository.

`make tf-init`, `make tf-validate` and `make tf-test` call this so the list of roots lives in one
place. Provider resolution (filesystem mirror or registry) is decided by the Makefile through
TF_CLI_CONFIG_FILE; this module only runs Terraform. Lock files are committed and used read-only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools import tf_provider
from tools.config import REPO_ROOT

TERRAFORM_DIR = REPO_ROOT / "terraform"
CLI_CONFIG_SCRIPT = REPO_ROOT / "tools" / "tf-cli-config.sh"
GENERATED_CLI_CONFIG = REPO_ROOT / ".local" / "terraform.rc"


def ensure_cli_config() -> None:
    """Point Terraform at a provider mirror when run outside make (pytest, python -m local).

    make exports TF_CLI_CONFIG_FILE already; otherwise the same detection the Makefile uses decides,
    and with no mirror Terraform keeps its defaults (the public registry).
    """
    current = os.environ.get("TF_CLI_CONFIG_FILE")
    if current and Path(current).is_file():
        return
    mirror = (
        os.environ.get("TF_PLUGIN_MIRROR")
        or subprocess.run(
            [str(CLI_CONFIG_SCRIPT), "detect"], capture_output=True, text=True, check=False
        ).stdout.strip()
    )
    if not mirror:
        os.environ.pop("TF_CLI_CONFIG_FILE", None)
        return
    GENERATED_CLI_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(CLI_CONFIG_SCRIPT), "write", mirror, str(GENERATED_CLI_CONFIG)], check=True)
    os.environ["TF_CLI_CONFIG_FILE"] = str(GENERATED_CLI_CONFIG)


@dataclass(frozen=True)
class Result:
    directory: Path
    returncode: int
    output: str


def roots() -> list[Path]:
    """Directories `terraform validate` runs in: the four environments and the bootstrap."""
    found = [p for p in sorted((TERRAFORM_DIR / "envs").iterdir()) if any(p.glob("*.tf"))]
    bootstrap = TERRAFORM_DIR / "bootstrap"
    if any(bootstrap.glob("*.tf")):
        found.append(bootstrap)
    return found


def test_dirs() -> list[Path]:
    """Directories with `terraform test` suites (modules and the stack)."""
    candidates = [*sorted((TERRAFORM_DIR / "modules").iterdir()), TERRAFORM_DIR / "stack"]
    return [p for p in candidates if any((p / "tests").glob("*.tftest.hcl"))]


def all_dirs() -> list[Path]:
    return [*roots(), *[d for d in test_dirs() if d not in roots()]]


#: Go's garbage collector target for terraform and the provider unless GOGC is set: the AWS provider
#: builds its whole schema at every start, and collecting less eagerly than Go's default (100) cuts
#: the CPU of `terraform test` by about a quarter for ~80 MB more memory (docs/benchmarks.md).
GOGC = "400"
#: The same for `terraform test` (TF_TEST_GOGC overrides): its ~170 plans of whole configurations
#: are mostly allocation, and 1600 cuts their CPU by a further ~15 % for a peak of ~2 GB (the stack
#: suite) instead of ~0.7 GB (docs/benchmarks.md, "make test").
TEST_GOGC = "1600"


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run(
        list(cmd),
        cwd=cwd,
        env={"GOGC": GOGC, **os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    return Result(cwd, proc.returncode, proc.stdout)


def _init_stamp(directory: Path) -> str:
    """Inputs that make a previous `init` stale: the lock file, the CLI config, and the module
    sources of this root and of every local module it calls, however deep (an env root calls the
    stack, which calls the modules: a module the stack starts calling needs a new `init` of every
    env root)."""
    digest = hashlib.sha256()
    lock = directory / ".terraform.lock.hcl"
    digest.update(lock.read_bytes() if lock.exists() else b"")
    digest.update(os.environ.get("TF_CLI_CONFIG_FILE", "").encode())
    for line in _module_sources(directory, set()):
        digest.update(line.encode())
    return digest.hexdigest()


_SOURCE = re.compile(r'^\s*source\s*=\s*"(?P<source>[^"]*)"')


def _module_sources(directory: Path, seen: set[Path]) -> list[str]:
    """Every `source = ...` line of the module in `directory` and, for local sources (`./`, `../`),
    of the modules they name, depth first, each module once."""
    seen.add(directory.resolve())
    lines: list[str] = []
    for tf in sorted(directory.glob("*.tf")):
        for line in tf.read_text().splitlines():
            match = _SOURCE.match(line)
            if not match:
                continue
            lines.append(f"{directory.name}: {line.strip()}")
            source = match["source"]
            if source.startswith(("./", "../")):
                child = (directory / source).resolve()
                if child.is_dir() and child not in seen:
                    lines.extend(_module_sources(child, seen))
    return lines


def init(directory: Path) -> Result:
    stamp_file = directory / ".terraform" / ".fga-init-stamp"
    stamp = _init_stamp(directory)
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return Result(directory, 0, "up to date")
    result = run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color", "-lockfile=readonly"],
        directory,
    )
    if result.returncode == 0:
        stamp_file.write_text(stamp)
    return result


def _parallel(fn: object, dirs: Iterable[Path]) -> list[Result]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(fn, dirs))  # type: ignore[arg-type]


def report(results: list[Result], action: str) -> int:
    failed = [r for r in results if r.returncode != 0]
    for r in results:
        rel = r.directory.relative_to(REPO_ROOT)
        status = "ok" if r.returncode == 0 else "FAILED"
        print(f"terraform {action} {rel}: {status}")
        if r.returncode != 0:
            print(r.output)
    return 1 if failed else 0


def validate(directory: Path, env: dict[str, str] | None) -> Result:
    return run(["terraform", "validate", "-no-color"], directory, env)


def test(directory: Path, env: dict[str, str] | None) -> Result:
    gogc = os.environ.get("TF_TEST_GOGC", TEST_GOGC)
    return run(["terraform", "test", "-no-color"], directory, {**(env or {}), "GOGC": gogc})


def _with_shared_provider(
    fn: Callable[[Path, dict[str, str] | None], Result], dirs: list[Path]
) -> list[Result]:
    """`fn` over `dirs`, two at a time, every Terraform attached to one provider process
    (tools/tf_provider.py: neither `validate` nor a mock_provider suite configures it)."""
    with tf_provider.shared(dirs, {"GOGC": GOGC}) as env:
        return _parallel(lambda d: fn(d, env), dirs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["init", "validate", "test"])
    args = parser.parse_args(argv)
    ensure_cli_config()
    if args.action == "init":
        return report(_parallel(init, all_dirs()), "init")
    if args.action == "validate":
        return report(_with_shared_provider(validate, roots()), "validate")
    return report(_with_shared_provider(test, test_dirs()), "test")


if __name__ == "__main__":
    sys.exit(main())

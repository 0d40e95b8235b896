"""The two Python locks: `make up` installs requirements/runtime.txt alone, `make test` adds
requirements/dev.txt on top. The runtime set must be a subset of the development set with the same
pins and hashes, and it must hold every third-party module the code `make up` runs imports.

The import check here is static (every import statement, including the ones inside functions, of
every module `python -m local up` can load); tests/functional/local/test_runtime_set.py runs the
emulator with everything outside the runtime set made unimportable.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tools.config import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "requirements"
FIRST_PARTY = ("local", "tools")
#: What `make up` runs: the local package (python -m local up) and the Lambda build it triggers.
UP_ROOTS = (*sorted((REPO_ROOT / "local").rglob("*.py")), REPO_ROOT / "tools" / "build_lambda.py")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


def normalize(name: str) -> str:
    """PEP 503 project-name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) of a `uv pip compile --generate-hashes` lock."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    current: str | None = None
    hashes: set[str] = set()
    for line in path.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            if current is not None:
                pins[current] = (pins[current][0], frozenset(hashes))
            current, hashes = normalize(match.group(1)), set()
            pins[current] = (match.group(2), frozenset())
        hashes.update(_HASH.findall(line))
    if current is not None:
        pins[current] = (pins[current][0], frozenset(hashes))
    return pins


def module_file(module: str) -> Path | None:
    base = REPO_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`): imports for the type checker, never run."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> set[str]:
    """Absolute module names imported anywhere in `path` (`from a import b` yields a and a.b),
    function bodies included, `if TYPE_CHECKING:` blocks excluded."""
    names: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(), filename=str(path))]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return names


def third_party_imports(roots: tuple[Path, ...]) -> dict[str, set[Path]]:
    """Top-level third-party module -> the first-party files importing it, following first-party
    imports from `roots` transitively."""
    seen: set[Path] = set()
    pending = list(roots)
    found: dict[str, set[Path]] = {}
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in FIRST_PARTY:
                target = module_file(name)
                if target is not None:
                    pending.append(target)
            elif top not in sys.stdlib_module_names and top != "__future__":
                found.setdefault(top, set()).add(path.relative_to(REPO_ROOT))
    return found


@pytest.mark.parametrize("name", ["runtime", "bootstrap"])
def test_a_partial_lock_is_a_subset_of_the_dev_lock_with_the_same_pins_and_hashes(name: str) -> None:
    partial = read_lock(REQUIREMENTS / f"{name}.txt")
    dev = read_lock(REQUIREMENTS / "dev.txt")
    assert partial, f"requirements/{name}.txt pins nothing"
    missing = sorted(set(partial) - set(dev))
    assert missing == [], f"in {name}.txt but not in dev.txt: {missing}"
    differ = {pkg: (pin, dev[pkg]) for pkg, pin in partial.items() if dev[pkg] != pin}
    assert differ == {}, "pins or hashes differ between the locks: run `make lock`"
    assert all(hashes for _version, hashes in partial.values()), f"{name}.txt must be hashed"
    assert len(partial) < len(dev), f"the {name} set should leave the development tools out"


@pytest.mark.parametrize("name", ["runtime", "bootstrap"])
def test_the_dev_inputs_include_the_partial_inputs(name: str) -> None:
    lines = [line.strip() for line in (REQUIREMENTS / "dev.in").read_text().splitlines()]
    assert f"-r {name}.in" in lines


def test_every_direct_runtime_requirement_is_locked() -> None:
    runtime = read_lock(REQUIREMENTS / "runtime.txt")
    for line in (REQUIREMENTS / "runtime.in").read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name = normalize(re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0])
            assert name in runtime, f"{requirement} (runtime.in) is not in runtime.txt"


def test_everything_make_up_imports_comes_from_the_runtime_set() -> None:
    runtime = set(read_lock(REQUIREMENTS / "runtime.txt"))
    providers = metadata.packages_distributions()
    imported = third_party_imports(UP_ROOTS)
    assert {"moto", "boto3", "jwt"} <= set(imported), "the import walk missed the obvious ones"
    outside = {
        module: sorted(map(str, files))
        for module, files in imported.items()
        if not {normalize(d) for d in providers.get(module, [])} & runtime
    }
    assert outside == {}, f"imported by what `make up` runs but not in requirements/runtime.txt: {outside}"


def test_the_import_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import mypy_boto3_s3\n"
        "def f():\n    import yaml\n    from checkov.main import run\n"
    )
    found = imports_of(module)
    assert found >= {"yaml", "checkov.main", "checkov.main.run"}
    assert "mypy_boto3_s3" not in found

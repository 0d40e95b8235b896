"""The repository's shape: imports point one way, and every access fact is declared once.

- `functions/` (the product) imports neither `tools/` nor `local/`; `tools/` never imports `local/`;
  `local/` may import `tools/` (STYLE.md: a module both sides need goes down a layer).
- Each group, route, handler and OAuth scope is declared in exactly one place outside the policy
  templates and the tests: `policy_templates/access_model.json`.
- The env roots read access only from that file, and so does Python (through `tools/config.py`).

Each rule's checker is also run on a small bad example, to show it can fail.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from tools import config

ROOT = config.REPO_ROOT
# layer -> the first-party packages it must not import
FORBIDDEN_IMPORTS = {"functions": {"tools", "local"}, "tools": {"local"}}
FIRST_PARTY = {"tools", "local", "functions"}


def _imported_packages(source: str) -> set[str]:
    """Top-level packages a module imports: import statements anywhere (lazy ones too) and
    `importlib.import_module("...")` with a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found & FIRST_PARTY


def import_violations(root: Path) -> list[str]:
    problems = []
    for layer, forbidden in FORBIDDEN_IMPORTS.items():
        for path in sorted((root / layer).rglob("*.py")):
            for package in sorted(_imported_packages(path.read_text()) & forbidden):
                problems.append(f"{path.relative_to(root)} imports {package}/ ({layer}/ must not)")
    return problems


def test_imports_point_one_way() -> None:
    assert import_violations(ROOT) == []


def test_local_does_use_tools_so_the_direction_check_is_not_vacuous() -> None:
    uses = {p for p in (ROOT / "local").rglob("*.py") if "tools" in _imported_packages(p.read_text())}
    assert uses, "local/ is expected to depend on tools/"


def test_the_import_check_catches_each_wrong_direction(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "functions").mkdir()
    (tmp_path / "tools" / "bad.py").write_text("def f():\n    from local.client import Session\n")
    (tmp_path / "tools" / "lazy.py").write_text('import importlib\nimportlib.import_module("local.stack")\n')
    (tmp_path / "functions" / "bad.py").write_text("import tools.config\n")
    assert import_violations(tmp_path) == [
        "functions/bad.py imports tools/ (functions/ must not)",
        "tools/bad.py imports local/ (tools/ must not)",
        "tools/lazy.py imports local/ (tools/ must not)",
    ]


# --- each access fact declared once ----------------------------------------------------------------

MODEL = json.loads(config.ACCESS_MODEL.read_text())
MODEL_PATH = str(config.ACCESS_MODEL.relative_to(ROOT))


def _tracked_sources() -> list[Path]:
    """Tracked text files that configure or implement something: not tests, templates or prose."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    keep = []
    for name in filter(None, listed):
        path = Path(name)
        if path.parts[0] == "tests" or "tests" in path.parts[1:-1] or path.suffix in (".md", ".tftpl"):
            continue
        if path.suffix in (".zip", ".hcl") and path.name.endswith(".lock.hcl"):
            continue
        if (ROOT / path).is_file() and path.suffix not in (".zip",):
            keep.append(path)
    return keep


def declaring_files(pattern: str, files: Iterable[Path], root: Path = ROOT) -> list[str]:
    regex = re.compile(pattern, re.M)
    return sorted(str(f) for f in files if regex.search((root / f).read_text(errors="replace")))


def _key(name: str) -> str:
    """`name` declared as a key: JSON `"name": {`, HCL `name = {` / `"name" = {`, Python `"name": {`."""
    quoted = re.escape(name)
    return rf"""(^|[\s{{,])(["']{quoted}["']|{quoted})\s*[:=]\s*\{{"""


SOURCES = _tracked_sources()


@pytest.mark.parametrize("group", sorted(MODEL["groups"]))
def test_each_group_is_declared_once(group: str) -> None:
    assert declaring_files(_key(group), SOURCES) == [MODEL_PATH]


@pytest.mark.parametrize("route", sorted(MODEL["routes"]))
def test_each_route_is_declared_once(route: str) -> None:
    path = re.escape(MODEL["routes"][route]["path"])
    assert declaring_files(_key(route), SOURCES) == [MODEL_PATH]
    assert declaring_files(rf"""["']?path["']?\s*[:=]\s*["']{path}["']""", SOURCES) == [MODEL_PATH]


@pytest.mark.parametrize("handler", sorted(MODEL["handlers"]))
def test_each_handler_is_declared_once(handler: str) -> None:
    assert declaring_files(_key(handler), SOURCES) == [MODEL_PATH]


@pytest.mark.parametrize("scope", sorted(MODEL["oauth"]["scopes"]))
def test_each_oauth_scope_is_declared_once(scope: str) -> None:
    """Declared as a key (whatever its value), and not restated as `<resource server>/<scope>`."""
    assert declaring_files(rf"""["']{re.escape(scope)}["']\s*[:=]""", SOURCES) == [MODEL_PATH]
    qualified = f"{MODEL['oauth']['resource_server']}/{scope}"
    assert declaring_files(rf"""["']{re.escape(qualified)}["']""", SOURCES) == []


def test_handler_names_are_not_restated_in_code() -> None:
    """No `profiles|pets|news`-style list of the handlers outside the model (tools/matrix.py and
    the stack used to carry one)."""
    code = [p for p in SOURCES if p.suffix in (".py", ".tf")]
    assert declaring_files(restated_handlers(sorted(MODEL["handlers"])), code) == []


def restated_handlers(names: list[str]) -> str:
    """Two handler names side by side in a list (`"a", "b"`) or an alternative (`a | b`, `a|b`)."""
    any_name = "|".join(re.escape(n) for n in names)
    return rf"""["']({any_name})["']\s*,\s*["']({any_name})["']|\b({any_name})\s*\|\s*({any_name})\b"""


def test_the_declaration_check_catches_a_copy(tmp_path: Path) -> None:
    """A second config.json that still declares the groups (the old layout) is found."""
    copy = tmp_path / "terraform" / "envs" / "dev"
    copy.mkdir(parents=True)
    (copy / "config.json").write_text(json.dumps({"groups": MODEL["groups"]}, indent=2))
    (tmp_path / "model.json").write_text(json.dumps(MODEL, indent=2))
    files = [Path("terraform/envs/dev/config.json"), Path("model.json")]
    assert declaring_files(_key("admin"), files, root=tmp_path) == sorted(str(f) for f in files)


# --- access is read only from the model ------------------------------------------------------------

ENV_ROOTS = sorted((ROOT / "terraform" / "envs").glob("*/main.tf"))
MODEL_READ = 'jsondecode(file("${path.module}/../../../policy_templates/access_model.json"))'


@pytest.mark.parametrize("main", ENV_ROOTS, ids=lambda p: p.parent.name)
def test_env_roots_read_access_only_from_the_model(main: Path) -> None:
    text = main.read_text()
    assert MODEL_READ in text
    assert re.search(r"^\s*access\s*=\s*local\.access\s*$", text, re.M)
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert not re.search(r"\b(groups|routes|handlers|scopes)\b", code), "access facts in an env root"


def test_real_env_roots_are_one_file() -> None:
    texts = {p.parent.name: p.read_text() for p in ENV_ROOTS if p.parent.name != "local"}
    assert len(texts) == 3
    assert len(set(texts.values())) == 1, "dev, staging and prod main.tf differ"


def test_only_the_env_roots_read_the_model_in_terraform() -> None:
    readers = declaring_files(r"access_model\.json\"\)\)", [p for p in SOURCES if p.suffix == ".tf"])
    assert readers == [str(p.relative_to(ROOT)) for p in ENV_ROOTS]


def _path_literals(path: Path) -> set[str]:
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        # a file name or relative path; "/config.json" (a URL path the console serves) is not one
        if re.fullmatch(r"(?!/)[\w./-]*(access_model|config)\.json", node.value)
    }


def test_python_reads_the_model_and_the_env_files_only_through_tools_config() -> None:
    readers = {
        str(p.relative_to(ROOT))
        for layer in ("local", "tools", "functions")
        for p in (ROOT / layer).rglob("*.py")
        if _path_literals(p)
    }
    assert readers == {"tools/config.py"}


@pytest.mark.parametrize("env", config.ENVIRONMENTS)
def test_no_env_config_declares_access(env: str) -> None:
    raw = json.loads((config.env_dir(env) / "config.json").read_text())
    assert not set(raw) & config.MODEL_KEYS


def test_the_reader_check_finds_a_file_path_but_not_a_url_path(tmp_path: Path) -> None:
    reader = tmp_path / "reader.py"
    reader.write_text('from pathlib import Path\nText = Path("terraform/envs/dev/config.json").read_text()\n')
    assert _path_literals(reader) == {"terraform/envs/dev/config.json"}
    server = tmp_path / "server.py"
    server.write_text('PATHS = ("/config.json", "/expectations.json")\n')
    assert _path_literals(server) == set()

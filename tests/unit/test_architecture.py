"""The repository's shape: imports point one way, and every access fact is declared once.

- `functions/` (the product) imports neither `tools/` nor `local/`; `tools/` never imports `local/`;
  `local/` may import `tools/` (STYLE.md: a module both sides need goes down a layer).
- No import cycle among the modules of `local/` and `tools/`, imports inside functions included
  (a lazy import that dodges a cycle is still one); inside `local/`, the orchestrator of `make up`
  (`stack`, `startup`, `__main__`) is on top: nothing it runs imports it back.
- Each group, route, handler and OAuth scope is declared in exactly one place outside the policy
  templates and the tests: `policy_templates/access_model.json`.
- The env roots read access only from that file, and so does Python (through `tools/config.py`).

Each rule's checker is also run on a small bad example, to show it can fail.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import subprocess
from collections import deque
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


# --- no import cycles ---------------------------------------------------------------------------------

CYCLE_LAYERS = ("local", "tools")
#: `make up`'s orchestrator: it imports what it runs; nothing else in local/ may import it.
ORCHESTRATOR = {"local.__main__", "local.stack", "local.startup"}


def _module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the CYCLE_LAYERS (a package is its __init__)."""
    modules = {}
    for layer in CYCLE_LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imported_names(path: Path, module: str) -> set[str]:
    """Every dotted name `module` imports, anywhere in the file: `import a.b`, `from a import b`
    (as `a.b`), relative imports made absolute, `importlib.import_module("a.b")` with a literal."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parents = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parents, *([base] if base else [])])
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


@functools.cache  # three tests read the repository's graph; parsing ~150 files once is enough
def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the CYCLE_LAYERS it imports. A name resolves to its longest prefix
    that is a module (`from local.matrix import run` -> local.matrix). Parent packages are not
    edges: a package's `__init__` importing its own submodules is no cycle."""
    modules = _module_files(root)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        targets = {resolve(name) for name in _imported_names(path, module)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    found: set[str] = set()
    stack = [start]
    while stack:
        for nxt in graph[stack.pop()] - found:
            found.add(nxt)
            stack.append(nxt)
    return found


def _chain_back(graph: dict[str, set[str]], start: str) -> list[str]:
    """The shortest import chain from `start` back to itself (breadth first); `start` is on a cycle."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while start not in came_from:
        node = queue.popleft()
        for nxt in sorted(graph[node] - came_from.keys()):
            came_from[nxt] = node
            queue.append(nxt)
    chain = [start]
    while len(chain) == 1 or chain[-1] != start:
        chain.append(came_from[chain[-1]])
    return chain[::-1]


def import_cycles(root: Path) -> list[str]:
    """One chain per group of modules that import each other, e.g. `local.a -> local.b -> local.a`."""
    graph = import_graph(root)
    reach = {module: _reachable(graph, module) for module in graph}
    cycles, seen = [], set()
    for module in sorted(graph):
        if module in reach[module] and module not in seen:
            seen.update(m for m in reach[module] if module in reach[m])
            cycles.append(" -> ".join(_chain_back(graph, module)))
    return cycles


def orchestrator_imports(root: Path) -> list[str]:
    graph = import_graph(root)
    return [
        f"{module} imports {target}"
        for module in sorted(set(graph) - ORCHESTRATOR)
        for target in sorted(graph[module] & ORCHESTRATOR)
    ]


def test_no_import_cycles_in_local_and_tools() -> None:
    assert import_cycles(ROOT) == []


def test_nothing_the_orchestrator_runs_imports_it_back() -> None:
    assert orchestrator_imports(ROOT) == []


def test_the_import_graph_sees_the_layers_it_checks() -> None:
    """Not vacuous: the graph holds the real edges (shared demo data below both sides)."""
    graph = import_graph(ROOT)
    assert {"local.demo_data", "local.console.server", "local.startup"} <= graph["local.stack"]
    assert "tools.live.records" in graph["local.demo_data"]  # local/ builds on tools/
    assert "tools.live.engine" in graph["local.matrix"]
    assert "local.emulator.changes" in graph["local.snapshot"]  # an import inside a function
    assert "tools.matrix" in graph["local.matrix"]
    assert sum(map(len, graph.values())) > 100


def test_the_cycle_check_catches_a_cycle_however_it_is_imported(tmp_path: Path) -> None:
    files = {
        # lazy import -> relative import -> importlib: one cycle of three
        "local/__init__.py": "",
        "local/a.py": "def f():\n    from local import b\n",
        "local/b.py": "from . import c\n",
        "local/c.py": 'import importlib\nimportlib.import_module("local.a")\n',
        # below the orchestrator, importing it back (no cycle: stack imports nothing)
        "local/stack.py": "",
        "local/probes.py": "def seed():\n    from local.stack import news_item\n",
        # two modules of tools/, one importing a name from the other
        "tools/x.py": "from tools.y import thing\n",
        "tools/y.py": "import tools.x\n",
        # a package importing its own submodule, which imports a sibling: no cycle
        "tools/pkg/__init__.py": "from tools.pkg.mod import f\n",
        "tools/pkg/mod.py": "from tools.pkg import other\n",
        "tools/pkg/other.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert import_cycles(tmp_path) == [
        "local.a -> local.b -> local.c -> local.a",
        "tools.x -> tools.y -> tools.x",
    ]
    assert orchestrator_imports(tmp_path) == ["local.probes imports local.stack"]


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
    """Declared as a key (whatever its value), and not restated as `<resource server>/<scope>`
    outside the model (a route of the model names the scopes it requires that way)."""
    assert declaring_files(rf"""["']{re.escape(scope)}["']\s*[:=]""", SOURCES) == [MODEL_PATH]
    qualified = f"{MODEL['oauth']['resource_server']}/{scope}"
    assert set(declaring_files(rf"""["']{re.escape(qualified)}["']""", SOURCES)) <= {MODEL_PATH}


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
    """And the bootstrap, which scopes the verify role to the records-table partitions the model's
    handlers use (their leading_keys) instead of restating them."""
    readers = declaring_files(r"access_model\.json\"\)\)", [p for p in SOURCES if p.suffix == ".tf"])
    assert readers == sorted(
        [str(p.relative_to(ROOT)) for p in ENV_ROOTS] + ["terraform/bootstrap/permissions.tf"]
    )


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

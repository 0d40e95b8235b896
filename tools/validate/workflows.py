"""GitHub workflows: the GitHub schema (offline) and the pipeline's invariants (`make workflows`).

`check_workflow_schema` validates `.github/workflows/*.yml` against the workflow schema bundled with
check-jsonschema, `check_dependabot_schema` `.github/dependabot.yml` against the Dependabot schema
bundled with it; `workflow_invariant_problems` checks what the pipeline promises (actions pinned to
a commit SHA with a version comment, least-privilege permissions, make-only steps, the CI and deploy
workflows' shape, the reusable plan/apply/verify workflow).
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tools import config, render
from tools.validate import Problem

REPO_ROOT = config.REPO_ROOT
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
DEPENDABOT_FILE = REPO_ROOT / ".github" / "dependabot.yml"


SHA_PIN_RE = re.compile(
    r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)@(?P<sha>[0-9a-f]{40})\s+#\s*(?P<version>v\d+(?:\.\d+)*)\s*$"
)
USES_RE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<value>\S+)")
# The only write scopes a job may hold, each for one documented reason: OIDC role assumption, the
# plan comment on pull requests, SARIF upload to code scanning.
ALLOWED_WRITE_SCOPES = frozenset({"id-token", "pull-requests", "security-events"})
SARIF_ACTION = "github/codeql-action/upload-sarif@"
LOCK_FILE_KEY = "hashFiles('**/.terraform.lock.hcl')"
REAL_ENVIRONMENTS = ("dev", "staging", "prod")
Workflow = dict[str, Any]


def load_workflow(path: Path) -> Workflow:
    """YAML of one workflow; the key `on` (read as True by YAML 1.1) is restored."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a YAML mapping")
    if True in data and "on" not in data:
        data["on"] = data.pop(True)
    return data


def _jobs(wf: Workflow) -> dict[str, dict[str, Any]]:
    return {str(k): j for k, j in (wf.get("jobs") or {}).items() if isinstance(j, dict)}


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) or [] if isinstance(s, dict)]


def _as_names(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _role_of(job: dict[str, Any]) -> str | None:
    """The `role-to-assume` of the job's configure-aws-credentials step, if any."""
    for step in _steps(job):
        if "configure-aws-credentials" in str(step.get("uses", "")):
            return str((step.get("with") or {}).get("role-to-assume"))
    return None


def _triggers(wf: Workflow) -> set[str]:
    on = wf.get("on")
    if isinstance(on, str):
        return {on}
    return {str(o) for o in on} if isinstance(on, list | dict) else set()


def pinning_problems(path: Path) -> list[Problem]:
    """Every action is pinned to a full commit SHA with a `# vX.Y.Z` comment (local workflows exempt)."""
    rel = render.display_path(path)
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        uses = USES_RE.match(line)
        if uses and not uses.group("value").startswith("./") and not SHA_PIN_RE.match(line):
            problems.append(
                Problem(
                    f"{rel}:{number}",
                    "workflow/unpinned-action",
                    f"{uses.group('value')}: pin a 40-hex SHA + '# vX.Y.Z'",
                )
            )
    return problems


def permission_problems(rel: str, wf: Workflow) -> list[Problem]:
    """Nothing granted workflow-wide; each job lists its scopes; writes only from the allow-list."""
    problems = []
    top = wf.get("permissions", "missing")
    if top != {}:
        problems.append(
            Problem(rel, "workflow/permissions", f"workflow-level permissions must be {{}}, not {top}")
        )
    for job_id, job in _jobs(wf).items():
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            problems.append(Problem(rel, "workflow/permissions", f"job {job_id}: list its permission scopes"))
            continue
        for scope, level in perms.items():
            if level == "write" and scope not in ALLOWED_WRITE_SCOPES:
                problems.append(
                    Problem(rel, "workflow/permissions", f"job {job_id}: {scope}: write is not allowed")
                )
        if _role_of(job) is not None and perms.get("id-token") != "write":
            problems.append(
                Problem(rel, "workflow/oidc", f"job {job_id} assumes a role without id-token: write")
            )
    return problems


def step_problems(rel: str, wf: Workflow) -> list[Problem]:
    """CI calls make targets only; caches are keyed on the Terraform lock files."""
    problems = []
    for job_id, job in _jobs(wf).items():
        for step in _steps(job):
            for command in str(step.get("run") or "").splitlines():
                command = command.strip()  # noqa: PLW2901
                if command and not command.startswith(("#", "make ")):
                    problems.append(
                        Problem(rel, "workflow/make-only", f"job {job_id}: {command!r} is not a make target")
                    )
            if "actions/cache" in str(step.get("uses", "")):
                key = str((step.get("with") or {}).get("key", ""))
                if LOCK_FILE_KEY not in key:
                    problems.append(
                        Problem(
                            rel, "workflow/cache-key", f"job {job_id}: cache key must use {LOCK_FILE_KEY}"
                        )
                    )
    return problems


def _reusable_target(workflows: dict[str, Workflow], job: dict[str, Any]) -> str | None:
    """Name of the local `workflow_call` workflow a job calls, or None."""
    uses = job.get("uses")
    if not isinstance(uses, str) or not uses.startswith("./.github/workflows/"):
        return None
    name = uses.removeprefix("./.github/workflows/")
    wf = workflows.get(name)
    return name if wf is not None and "workflow_call" in _triggers(wf) else None


def ci_problems(workflows: dict[str, Workflow]) -> list[Problem]:
    """ci.yml: PRs and pushes; `make test`; SARIF upload; a plan (never an apply) per real environment."""
    where = ".github/workflows/ci.yml"
    ci = workflows.get("ci.yml")
    if ci is None:
        return [Problem(where, "workflow/missing", "ci.yml is missing")]
    problems = []
    if not {"pull_request", "push"} <= _triggers(ci):
        problems.append(Problem(where, "workflow/triggers", "ci.yml must run on pull_request and push"))
    runs = [str(s.get("run", "")) for j in _jobs(ci).values() for s in _steps(j)]
    if not any("make test" in r for r in runs):
        problems.append(Problem(where, "workflow/ci-test", "ci.yml must run `make test`"))
    if not any(
        str(s.get("uses", "")).startswith(SARIF_ACTION) for j in _jobs(ci).values() for s in _steps(j)
    ):
        problems.append(Problem(where, "workflow/ci-sarif", "ci.yml must upload checkov SARIF"))
    planned: set[str] = set()
    for job_id, job in _jobs(ci).items():
        if _reusable_target(workflows, job) is None:
            continue
        with_ = job.get("with") or {}
        if with_.get("apply") is not False:
            problems.append(
                Problem(where, "workflow/ci-apply", f"job {job_id}: ci.yml must pass apply: false")
            )
        matrix = ((job.get("strategy") or {}).get("matrix") or {}).get("environment")
        planned.update(_as_names(matrix) if matrix is not None else _as_names(with_.get("environment")))
    missing = sorted(set(REAL_ENVIRONMENTS) - planned)
    if missing:
        problems.append(Problem(where, "workflow/ci-plan", f"ci.yml plans no {missing}"))
    return problems


def deploy_problems(workflows: dict[str, Workflow]) -> list[Problem]:
    """deploy.yml: on main, dev -> staging -> prod, each a call of the reusable workflow with apply."""
    where = ".github/workflows/deploy.yml"
    deploy = workflows.get("deploy.yml")
    if deploy is None:
        return [Problem(where, "workflow/missing", "deploy.yml is missing")]
    problems: list[Problem] = []
    raw_on = deploy.get("on")
    on: dict[str, Any] = raw_on if isinstance(raw_on, dict) else {}
    if (on.get("push") or {}).get("branches") != ["main"] or "pull_request" in on:
        problems.append(Problem(where, "workflow/deploy-trigger", "deploy.yml must run on push to main"))
    calls: dict[str, str] = {}
    targets: set[str] = set()
    for job_id, job in _jobs(deploy).items():
        target = _reusable_target(workflows, job)
        if target is None:
            problems.append(
                Problem(where, "workflow/reusable", f"job {job_id} must call the reusable workflow")
            )
            continue
        targets.add(target)
        with_ = job.get("with") or {}
        calls[str(with_.get("environment"))] = job_id
        if with_.get("apply") is not True:
            problems.append(Problem(where, "workflow/deploy-apply", f"job {job_id} must pass apply: true"))
    for env in REAL_ENVIRONMENTS:
        if env not in calls:
            problems.append(Problem(where, "workflow/deploy-envs", f"deploy.yml does not deploy {env}"))
    jobs = _jobs(deploy)
    for earlier, later in itertools.pairwise(REAL_ENVIRONMENTS):
        if (
            earlier in calls
            and later in calls
            and calls[earlier] not in _as_names(jobs[calls[later]].get("needs"))
        ):
            problems.append(Problem(where, "workflow/deploy-order", f"{later} must need {calls[earlier]}"))
    for name in sorted(targets):
        problems += reusable_problems(f".github/workflows/{name}", workflows[name])
    return problems


def reusable_problems(where: str, wf: Workflow) -> list[Problem]:
    """The reusable workflow: plan (read-only role, uploads the plan) -> apply (other role, downloads
    it) only when asked, in the GitHub environment, one non-cancelling concurrency group per env."""
    problems: list[Problem] = []
    on = wf.get("on")
    call = on.get("workflow_call") if isinstance(on, dict) else None
    inputs = (call or {}).get("inputs") or {}
    for needed in ("environment", "apply"):
        if needed not in inputs:
            problems.append(
                Problem(where, "workflow/reusable-inputs", f"workflow_call needs the input {needed!r}")
            )
    jobs = {k: j for k, j in _jobs(wf).items() if _role_of(j) is not None}
    plans = {
        k for k, j in jobs.items() if any("upload-artifact" in str(s.get("uses", "")) for s in _steps(j))
    }
    applies = {
        k for k, j in jobs.items() if any("download-artifact" in str(s.get("uses", "")) for s in _steps(j))
    }
    if not plans or not applies:
        return [
            *problems,
            Problem(where, "workflow/plan-apply", "needs a plan job (upload) and an apply job (download)"),
        ]
    problems += verify_problems(where, jobs, plans, applies)
    for apply_id in sorted(applies):
        job = jobs[apply_id]
        if not plans & set(_as_names(job.get("needs"))):
            problems.append(Problem(where, "workflow/plan-apply", f"job {apply_id} must need the plan job"))
        if "inputs.apply" not in str(job.get("if", "")):
            problems.append(
                Problem(where, "workflow/plan-apply", f"job {apply_id} must run only if inputs.apply")
            )
        environment = job.get("environment")
        name = environment.get("name") if isinstance(environment, dict) else environment
        if str(name).replace(" ", "") != "${{inputs.environment}}":
            problems.append(
                Problem(
                    where, "workflow/environment", f"job {apply_id}: environment must be inputs.environment"
                )
            )
        concurrency = job.get("concurrency")
        if not isinstance(concurrency, dict) or "inputs.environment" not in str(concurrency.get("group", "")):
            problems.append(
                Problem(
                    where, "workflow/concurrency", f"job {apply_id}: one concurrency group per environment"
                )
            )
        elif concurrency.get("cancel-in-progress") is not False:
            problems.append(
                Problem(where, "workflow/concurrency", f"job {apply_id}: cancel-in-progress must be false")
            )
        for plan_id in sorted(plans):
            if _role_of(jobs[plan_id]) == _role_of(job):
                problems.append(
                    Problem(where, "workflow/roles", f"jobs {plan_id} and {apply_id} assume the same role")
                )
    return problems


VERIFY_ENVIRONMENT = "${{inputs.environment}}-verify"


def verify_problems(
    where: str, jobs: dict[str, dict[str, Any]], plans: set[str], applies: set[str]
) -> list[Problem]:
    """Every apply is followed by a verify job: it needs the apply job, runs only when applying, in
    the GitHub environment <env>-verify (its role's trust), with a role of its own, and runs
    `make verify` with the apply job's description of the deployment."""
    verifies = {
        k for k, j in jobs.items() if any(str(s.get("run", "")).strip() == "make verify" for s in _steps(j))
    }
    if not verifies:
        return [Problem(where, "workflow/verify", "no job runs `make verify` after the apply")]
    problems: list[Problem] = []
    for verify_id in sorted(verifies):
        job = jobs[verify_id]
        needs = set(_as_names(job.get("needs")))
        if not applies & needs:
            problems.append(Problem(where, "workflow/verify", f"job {verify_id} must need the apply job"))
        if "inputs.apply" not in str(job.get("if", "")):
            problems.append(
                Problem(where, "workflow/verify", f"job {verify_id} must run only if inputs.apply")
            )
        environment = job.get("environment")
        name = environment.get("name") if isinstance(environment, dict) else environment
        if str(name).replace(" ", "") != VERIFY_ENVIRONMENT:
            problems.append(
                Problem(where, "workflow/verify", f"job {verify_id}: environment must be <env>-verify")
            )
        others = {_role_of(jobs[k]) for k in plans | applies}
        if _role_of(job) in others:
            problems.append(
                Problem(where, "workflow/roles", f"job {verify_id} assumes the plan or apply role")
            )
        step = next(s for s in _steps(job) if str(s.get("run", "")).strip() == "make verify")
        target = str((step.get("env") or {}).get("FGA_VERIFY_TARGET", "")).replace(" ", "")
        if not any(target.startswith(f"${{{{needs.{a}.outputs.") for a in applies & needs):
            problems.append(
                Problem(
                    where,
                    "workflow/verify",
                    f"job {verify_id}: make verify needs FGA_VERIFY_TARGET from the apply job's outputs",
                )
            )
    return problems


def workflow_invariant_problems(workflows_dir: Path = WORKFLOWS_DIR) -> list[Problem]:
    """The pipeline's invariants, checked on the YAML (and, for SHA pins, its comments)."""
    problems: list[Problem] = []
    workflows: dict[str, Workflow] = {}
    for path in sorted([*workflows_dir.glob("*.yml"), *workflows_dir.glob("*.yaml")]):
        rel = render.display_path(path)
        try:
            workflows[path.name] = load_workflow(path)
        except (yaml.YAMLError, ValueError) as exc:
            problems.append(Problem(rel, "workflow/yaml", str(exc)))
            continue
        problems += pinning_problems(path)
        problems += permission_problems(rel, workflows[path.name])
        problems += step_problems(rel, workflows[path.name])
    problems += ci_problems(workflows)
    problems += deploy_problems(workflows)
    return sorted(set(problems))


def check_workflow_schema(workflows_dir: Path = WORKFLOWS_DIR) -> list[Problem]:
    """check-jsonschema's bundled GitHub workflow schema (and its require-timeout variant), offline."""
    files = sorted([*workflows_dir.glob("*.yml"), *workflows_dir.glob("*.yaml")])
    if not files:
        return [Problem(render.display_path(workflows_dir), "workflow/missing", "no workflows")]
    return [
        problem
        for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout")
        for problem in _check_builtin_schema(schema, files, render.display_path(workflows_dir))
    ]


def check_dependabot_schema(path: Path = DEPENDABOT_FILE) -> list[Problem]:
    """check-jsonschema's bundled Dependabot (version 2) schema, offline."""
    if not path.is_file():
        return [Problem(render.display_path(path), "dependabot/missing", "no Dependabot configuration")]
    return _check_builtin_schema("vendor.dependabot", [path], render.display_path(path))


def _check_builtin_schema(schema: str, files: list[Path], location: str) -> list[Problem]:
    """One check-jsonschema run with a schema it bundles (no network): a Problem if it fails."""
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, "--output-format", "text"]
    proc = subprocess.run([*cmd, *map(str, files)], capture_output=True, text=True, check=False)
    if proc.returncode == 0:
        return []
    return [Problem(location, f"schema/{schema}", (proc.stdout + proc.stderr).strip())]

"""Validation that can fail: policy templates, Terraform and workflows (`make checkov`, `make workflows`).

Why it is built this way: checkov does not evaluate policies loaded through `templatefile()` (a
template granting `*:*` passes a plain directory scan) and a policy built from the API's ARN is
unknown at plan time. So `checkov` here:

1. renders every template for every environment (`tools.render`, the same text Terraform deploys,
   with the validation placeholder API id) and fails on any rendering error, on a group without a
   template and on a template no environment uses;
2. writes a generated Terraform wrapper in which each rendered document is an `aws_iam_policy` with
   the JSON inlined and the tag `fga:api-arn` (the execution ARN it was rendered for), and runs
   checkov once over it: the built-in IAM checks plus the project's CKV_FGA_1..4
   (`tools/checkov_checks/`). The run is refused as vacuous unless every wrapper resource has a
   result for every CKV_FGA policy check;
3. lints every rendered document with parliament (IAM grammar, unknown actions/conditions);
4. runs checkov once over `terraform/` with the committed `.checkov.yaml` (built-ins plus
   CKV_FGA_5..8) and requires zero failed checks, zero parsing errors and a reason for every skip.

Every failure is printed as `<file>[:line]: [<rule>] <message>` and makes the exit status non-zero.
SARIF for code scanning is written to `build/checkov/sarif/` (policy results point at the template).

`workflows` validates `.github/workflows/*.yml` against the GitHub workflow schema bundled with
check-jsonschema (offline) and checks the pipeline invariants in `workflow_invariant_problems`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools import config, render
from tools.checkov_checks.fga_policy_checks import API_ARN_TAG, POLICY_CHECK_IDS
from tools.config import ConfigError, EnvConfig

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string

REPO_ROOT = config.REPO_ROOT
CHECKS_DIR = REPO_ROOT / "tools" / "checkov_checks"
CHECKOV_CONFIG = REPO_ROOT / ".checkov.yaml"
TERRAFORM_DIR = REPO_ROOT / "terraform"
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
BUILD_DIR = REPO_ROOT / "build" / "checkov"
TEMPLATE_TAG = "fga:template"
ENVIRONMENT_TAG = "fga:environment"
HEREDOC_END = "FGA_POLICY_EOF"


@dataclass(frozen=True, order=True)
class Problem:
    """One failure: where, which rule, what is wrong."""

    location: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: [{self.rule}] {self.message}"


# --- rendering -------------------------------------------------------------------------------------


def load_env_configs(envs: Iterable[str] = config.ENVIRONMENTS) -> tuple[list[EnvConfig], list[Problem]]:
    configs, problems = [], []
    for env in envs:
        try:
            configs.append(config.load(env))
        except ConfigError as exc:
            problems.append(Problem(f"terraform/envs/{env}", "config", str(exc)))
    return configs, problems


def render_all(
    env_configs: Sequence[EnvConfig],
    api_id: str = render.VALIDATION_API_ID,
    templates_dir: Path = config.TEMPLATES_DIR,
) -> tuple[list[render.RenderedPolicy], list[Problem]]:
    """Render every group of every environment; template errors and orphan templates are problems."""
    policies: list[render.RenderedPolicy] = []
    problems: list[Problem] = []
    used: set[str] = set()
    for env_cfg in env_configs:
        try:
            result = render.render_env(env_cfg, api_id=api_id, templates_dir=templates_dir)
        except ConfigError as exc:
            problems.append(Problem(f"environment {env_cfg.environment}", "config", str(exc)))
            continue
        used.update(env_cfg.groups)
        policies.extend(result.policies)
        for error in result.errors:
            where = f"{error.source}:{error.line}" if error.line is not None else error.source
            problems.append(
                Problem(where, f"template/{error.rule}", f"{error.detail} (env {env_cfg.environment})")
            )
    for group, path in render.template_paths(templates_dir).items():
        if group not in used:
            problems.append(
                Problem(
                    render.display_path(path),
                    "template/orphan",
                    f"no environment declares group {group!r}: declare it or delete the template",
                )
            )
    return policies, sorted(set(problems))


# --- the checkov wrapper -------------------------------------------------------------------------


@dataclass(frozen=True)
class WrappedPolicy:
    """Where one rendered document sits in the generated wrapper."""

    address: str
    policy: render.RenderedPolicy
    first_line: int
    last_line: int

    @property
    def template(self) -> str:
        return render.display_path(self.policy.template)

    @property
    def label(self) -> str:
        return f"{self.template} (env {self.policy.environment})"


def _hcl_string(value: str) -> str:
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def write_wrapper(policies: Sequence[render.RenderedPolicy], out_dir: Path) -> dict[str, WrappedPolicy]:
    """Write `policies.tf`: one `aws_iam_policy` per rendered document, the JSON as a heredoc.

    The heredoc escapes `${`/`%{` so HCL keeps the document literal; line endings are normalised to
    LF (insignificant in JSON). Returns the wrapper resources keyed by checkov's resource address.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.tf"):
        stale.unlink()
    lines = [
        "# Generated by tools/validate.py from policy_templates/ rendered for every environment.",
        "# Not deployed: it exists so checkov can evaluate the rendered documents. Do not edit.",
        "",
    ]
    wrapped: dict[str, WrappedPolicy] = {}
    for index, policy in enumerate(policies):
        safe_group = re.sub(r"[^A-Za-z0-9_-]", "_", policy.group)
        name = f"p{index:03d}_{policy.environment}_{safe_group}"
        body = policy.text.replace("\r\n", "\n").replace("${", "$${").replace("%{", "%%{")
        first = len(lines) + 1
        lines += [
            f'resource "aws_iam_policy" "{name}" {{',
            f"  name = {_hcl_string(f'fga-{policy.environment}-{policy.group}')}",
            f"  policy = <<{HEREDOC_END}",
            *body.rstrip("\n").split("\n"),
            HEREDOC_END,
            "  tags = {",
            f"    {_hcl_string(API_ARN_TAG)} = {_hcl_string(policy.api_arn)}",
            f"    {_hcl_string(TEMPLATE_TAG)} = {_hcl_string(render.display_path(policy.template))}",
            f"    {_hcl_string(ENVIRONMENT_TAG)} = {_hcl_string(policy.environment)}",
            "  }",
            "}",
            "",
        ]
        address = f"aws_iam_policy.{name}"
        wrapped[address] = WrappedPolicy(address, policy, first, len(lines) - 1)
    (out_dir / "policies.tf").write_text("\n".join(lines), encoding="utf-8")
    return wrapped


# --- running checkov -----------------------------------------------------------------------------


@dataclass
class CheckovReport:
    failed: list[dict[str, Any]]
    passed: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    parsing_errors: list[str]
    sarif: dict[str, Any] | None


def run_checkov(
    target: Path,
    work_dir: Path,
    *,
    config_file: Path | None = None,
    checks: Sequence[str] = (),
    sarif: bool = False,
    cwd: Path | None = None,
) -> CheckovReport:
    """Run checkov once over `target` (terraform framework, project checks loaded, no downloads).

    checkov also reads `.checkov.yaml` from the scanned directory, the working directory and $HOME,
    so unless `cwd` is given the run happens in `work_dir`, where no configuration lies, and only
    `config_file` (when given) configures it.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    out_dir = work_dir / "out"
    for old in out_dir.glob("results_*"):
        old.unlink()
    outputs = ["json", "sarif"] if sarif else ["json"]
    cmd = [sys.executable, "-m", "checkov.main", "--directory", str(target), "--framework", "terraform"]
    cmd += ["--external-checks-dir", str(CHECKS_DIR), "--skip-download", "--compact"]
    if config_file is not None:
        cmd += ["--config-file", str(config_file)]
    if checks:
        cmd += ["--check", ",".join(checks)]
    for fmt in outputs:
        cmd += ["--output", fmt]
    cmd += ["--output-file-path", str(out_dir)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "LOG_LEVEL": "ERROR"}
    proc = subprocess.run(cmd, cwd=cwd or work_dir, env=env, capture_output=True, text=True, check=False)
    json_path = out_dir / "results_json.json"
    if proc.returncode not in (0, 1) or not json_path.exists():
        raise RuntimeError(
            f"checkov crashed on {target} (exit {proc.returncode}):\n{(proc.stderr or proc.stdout)[-4000:]}"
        )
    data = json.loads(json_path.read_text(encoding="utf-8"))
    reports = data if isinstance(data, list) else [data]
    report = CheckovReport([], [], [], [], None)
    for item in reports:
        results = item.get("results", {})
        report.failed += results.get("failed_checks", [])
        report.passed += results.get("passed_checks", [])
        report.skipped += results.get("skipped_checks", [])
        report.parsing_errors += results.get("parsing_errors", [])
    sarif_path = out_dir / "results_sarif.sarif"
    if sarif and sarif_path.exists():
        report.sarif = json.loads(sarif_path.read_text(encoding="utf-8"))
    return report


def _details(record: dict[str, Any]) -> str:
    details = record.get("details") or []
    return ("; ".join(str(d) for d in details)) if details else ""


def _record_problem(record: dict[str, Any], location: str, prefix: str = "") -> Problem:
    detail = _details(record)
    message = f"{prefix}{record.get('check_name', '')} ({record.get('resource', '?')})"
    if detail:
        message += f": {detail}"
    return Problem(location, str(record.get("check_id", "?")), message)


# --- policies -------------------------------------------------------------------------------------


def lint_policy(policy: render.RenderedPolicy) -> list[Problem]:
    """parliament (IAM grammar, unknown actions, malformed statements): any finding is a problem."""
    analyzed = analyze_policy_string(policy.text)
    problems = []
    template = render.display_path(policy.template)
    for finding in analyzed.findings:
        location = finding.location if isinstance(finding.location, dict) else {}
        line = location.get("line")
        where = f"{template}:{line}" if isinstance(line, int) else template
        detail = " ".join(str(part) for part in (finding.title, finding.detail) if part)
        if len(detail) > 300:
            detail = detail[:297] + "..."
        message = f"env {policy.environment}: {detail or finding.issue}"
        problems.append(Problem(where, f"parliament/{finding.issue}", message))
    return problems


def _rewrite_policy_sarif(sarif: dict[str, Any], wrapped: dict[str, WrappedPolicy]) -> dict[str, Any]:
    """Point SARIF results at the template (the wrapper is a build artefact code scanning can't show)."""
    by_line = {w.first_line: w for w in wrapped.values()}
    for run in sarif.get("runs", []):
        for result in run.get("results", []):
            for loc in result.get("locations", []):
                physical = loc.get("physicalLocation", {})
                start = physical.get("region", {}).get("startLine")
                owner = by_line.get(start)
                if owner is None:
                    continue
                physical["artifactLocation"] = {"uri": owner.template}
                physical["region"] = {"startLine": 1}
                text = result.get("message", {}).get("text", "")
                result["message"] = {"text": f"{text} [env {owner.policy.environment}]"}
    return sarif


def check_policies(
    env_configs: Sequence[EnvConfig],
    work_dir: Path,
    *,
    api_id: str = render.VALIDATION_API_ID,
    templates_dir: Path = config.TEMPLATES_DIR,
    sarif_dir: Path | None = None,
) -> list[Problem]:
    """Render, checkov (built-ins + CKV_FGA_1..4) over the wrapper, parliament: all problems found."""
    policies, problems = render_all(env_configs, api_id=api_id, templates_dir=templates_dir)
    if not policies:
        return problems
    wrapper_dir = work_dir / "policies"
    wrapped = write_wrapper(policies, wrapper_dir)
    report = run_checkov(wrapper_dir, work_dir / "policies-run", sarif=sarif_dir is not None)
    for error in report.parsing_errors:
        problems.append(
            Problem(render.display_path(Path(error)), "checkov/parsing-error", "wrapper not parsed")
        )
    for record in report.failed:
        owner = wrapped.get(str(record.get("resource")))
        location = owner.template if owner else str(record.get("file_path"))
        env = f"env {owner.policy.environment}: " if owner else ""
        problems.append(_record_problem(record, location, prefix=env))
    # A run that evaluated nothing proves nothing: every resource needs a verdict from every rule.
    seen = {(str(r.get("resource")), str(r.get("check_id"))) for r in report.failed + report.passed}
    for address, owner in wrapped.items():
        for check_id in POLICY_CHECK_IDS:
            if (address, check_id) not in seen:
                problems.append(
                    Problem(
                        owner.template,
                        "checkov/not-evaluated",
                        f"{check_id} gave no verdict (env {owner.policy.environment})",
                    )
                )
    for policy in policies:
        problems.extend(lint_policy(policy))
    if sarif_dir is not None and report.sarif is not None:
        sarif_dir.mkdir(parents=True, exist_ok=True)
        rewritten = _rewrite_policy_sarif(report.sarif, wrapped)
        (sarif_dir / "policies.sarif").write_text(json.dumps(rewritten, indent=1), encoding="utf-8")
    return sorted(set(problems))


# --- terraform/ ----------------------------------------------------------------------------------


def _has_inline_reason(line: str) -> bool:
    return re.search(r"\s#\s*\S", line) is not None


def config_skips_without_reason(config_file: Path) -> list[Problem]:
    """Every `skip-check` entry of the committed config needs a reason: a comment on its line, or a
    comment block above it (entries listed directly under one comment block share its reason)."""
    problems: list[Problem] = []
    lines = config_file.read_text(encoding="utf-8").splitlines()
    in_skips = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if re.match(r"^skip-check\s*:", line):
            in_skips = True
            continue
        if in_skips and line and not line[0].isspace() and not stripped.startswith("#"):
            in_skips = False
        if not in_skips or not stripped.startswith("-") or _has_inline_reason(line):
            continue
        index = number - 2
        while index >= 0 and lines[index].strip().startswith("-") and not _has_inline_reason(lines[index]):
            index -= 1  # an entry of the same group: look further up for the group's comment
        if index < 0 or not lines[index].strip().startswith("#"):
            problems.append(
                Problem(
                    f"{render.display_path(config_file)}:{number}",
                    "checkov/skip-without-reason",
                    f"{stripped}: give the reason in a comment",
                )
            )
    return problems


def _repo_relative(path: str, base: Path) -> str:
    """checkov paths are relative to the scanned dir (with a leading '/'); make them repo-relative."""
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() and candidate.exists() else base / path.lstrip("/")
    return render.display_path(absolute)


def check_terraform(
    work_dir: Path,
    *,
    terraform_dir: Path = TERRAFORM_DIR,
    config_file: Path = CHECKOV_CONFIG,
    sarif_dir: Path | None = None,
) -> list[Problem]:
    """checkov over terraform/ with the committed config: failures, parse errors, unexplained skips."""
    problems = config_skips_without_reason(config_file)
    report = run_checkov(
        terraform_dir.relative_to(REPO_ROOT) if terraform_dir.is_relative_to(REPO_ROOT) else terraform_dir,
        work_dir / "terraform-run",
        config_file=config_file,
        sarif=sarif_dir is not None,
        cwd=REPO_ROOT,
    )
    if not (report.failed or report.passed or report.skipped):
        problems.append(
            Problem(render.display_path(terraform_dir), "checkov/not-evaluated", "nothing was checked")
        )
    for error in report.parsing_errors:
        problems.append(
            Problem(
                _repo_relative(error, terraform_dir), "checkov/parsing-error", "checkov could not parse it"
            )
        )
    for record in report.failed:
        start = (record.get("file_line_range") or [None])[0]
        location = _repo_relative(str(record.get("file_path", "")), terraform_dir)
        problems.append(_record_problem(record, f"{location}:{start}" if start else location))
    for record in report.skipped:
        reason = str((record.get("check_result") or {}).get("suppress_comment") or "").strip()
        if not reason or reason.lower() == "no comment provided":
            location = _repo_relative(str(record.get("file_path", "")), terraform_dir)
            problems.append(
                Problem(
                    location,
                    "checkov/skip-without-reason",
                    f"{record.get('check_id')} skipped on {record.get('resource')}",
                )
            )
    if sarif_dir is not None and report.sarif is not None:
        sarif_dir.mkdir(parents=True, exist_ok=True)
        (sarif_dir / "terraform.sarif").write_text(json.dumps(report.sarif, indent=1), encoding="utf-8")
    return sorted(set(problems))


# --- workflows -----------------------------------------------------------------------------------

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
    problems = []
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        cmd = [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            schema,
            "--output-format",
            "text",
        ]
        proc = subprocess.run([*cmd, *map(str, files)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip()
            problems.append(Problem(render.display_path(workflows_dir), f"schema/{schema}", output))
    return problems


# --- CLI -----------------------------------------------------------------------------------------


def _report(title: str, problems: Sequence[Problem]) -> int:
    for problem in problems:
        print(problem)
    status = "FAILED" if problems else "ok"
    print(f"{title}: {status} ({len(problems)} problem{'s' if len(problems) != 1 else ''})", file=sys.stderr)
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.validate", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ck = sub.add_parser("checkov", help="policies (render, checkov, parliament) and terraform/ (checkov)")
    ck.add_argument("--api-id", default=render.VALIDATION_API_ID, help="API id to render with")
    ck.add_argument("--templates-dir", type=Path, default=config.TEMPLATES_DIR, help="policy templates")
    ck.add_argument("--work-dir", type=Path, default=BUILD_DIR, help="generated wrapper and checkov output")
    ck.add_argument("--skip-terraform", action="store_true", help="only the policy templates")
    wf = sub.add_parser("workflows", help="GitHub workflows: schema and pipeline invariants")
    wf.add_argument("--workflows-dir", type=Path, default=WORKFLOWS_DIR)
    args = parser.parse_args(argv)

    if args.command == "workflows":
        problems = check_workflow_schema(args.workflows_dir) + workflow_invariant_problems(args.workflows_dir)
        return _report("workflows", problems)

    work_dir: Path = args.work_dir
    work_dir.mkdir(parents=True, exist_ok=True)
    sarif_dir = work_dir / "sarif"
    env_configs, problems = load_env_configs()
    problems += check_policies(
        env_configs, work_dir, api_id=args.api_id, templates_dir=args.templates_dir, sarif_dir=sarif_dir
    )
    status = _report("policies", problems)
    if not args.skip_terraform:
        status |= _report("terraform", check_terraform(work_dir, sarif_dir=sarif_dir))
    return status


if __name__ == "__main__":
    sys.exit(main())

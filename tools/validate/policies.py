"""Policy templates (groups', and machine clients' own): rendered for every environment, then
checkov and parliament (`make checkov`).

Why it is built this way: checkov does not evaluate policies loaded through `templatefile()` (a
template granting `*:*` passes a plain directory scan) and a policy built from the API's ARN is
unknown at plan time. So:

1. every template is rendered for every environment (`tools.render`, the same text Terraform
   deploys, with the validation placeholder API id); a rendering error, a group without a template
   and a template no group uses are problems;
2. a generated Terraform wrapper holds each rendered document as an `aws_iam_policy` with the JSON
   inlined and the tag `fga:api-arn` (the execution ARN it was rendered for), and checkov runs once
   over it: the built-in IAM checks plus the project's CKV_FGA_1..4 (`tools/checkov_checks/`). The
   run is refused as vacuous unless every wrapper resource has a result for every CKV_FGA policy
   check;
3. parliament lints every rendered document (IAM grammar, unknown actions/conditions).

SARIF for code scanning is written to `build/checkov/sarif/` (results point at the template).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import config, render
from tools.checkov_checks.fga_policy_checks import API_ARN_TAG, POLICY_CHECK_IDS
from tools.config import ConfigError, EnvConfig
from tools.validate import Problem
from tools.validate.checkov_run import record_problem, run_checkov

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string

TEMPLATE_TAG = "fga:template"
ENVIRONMENT_TAG = "fga:environment"
HEREDOC_END = "FGA_POLICY_EOF"


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
    used_clients: set[str] = set()
    for env_cfg in env_configs:
        try:
            result = render.render_env(env_cfg, api_id=api_id, templates_dir=templates_dir)
        except ConfigError as exc:
            problems.append(Problem(f"environment {env_cfg.environment}", "config", str(exc)))
            continue
        used.update(env_cfg.groups)
        used_clients.update(str(c.template) for c in render.own_template_clients(env_cfg))
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
                    f"the access model declares no group {group!r}: declare it in "
                    "policy_templates/access_model.json or delete the template",
                )
            )
    for client, path in render.client_template_paths(templates_dir).items():
        if client not in used_clients:
            problems.append(
                Problem(
                    render.display_path(path),
                    "template/orphan",
                    f"the access model declares no machine client {client!r} governed by a template of "
                    f'its own: declare it with "policy": {{"template": "{client}"}} in '
                    "policy_templates/access_model.json or delete the template",
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
        "# Generated by tools/validate/policies.py from policy_templates/ rendered for every environment.",
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
            f"  name = {_hcl_string(f'fga-{policy.environment}-{safe_group}')}",
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
        problems.append(record_problem(record, location, prefix=env))
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

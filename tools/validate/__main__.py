"""`python -m tools.validate checkov|workflows`: the command line of `make checkov` and `make workflows`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tools import config, render
from tools.validate import Problem
from tools.validate.checkov_run import BUILD_DIR
from tools.validate.policies import check_policies, load_env_configs
from tools.validate.terraform import check_terraform
from tools.validate.workflows import (
    DEPENDABOT_FILE,
    WORKFLOWS_DIR,
    check_dependabot_schema,
    check_workflow_schema,
    workflow_invariant_problems,
)


def _report(title: str, problems: Sequence[Problem]) -> int:
    for problem in problems:
        print(problem)
    status = "FAILED" if problems else "ok"
    print(f"{title}: {status} ({len(problems)} problem{'s' if len(problems) != 1 else ''})", file=sys.stderr)
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.validate", description="policy, Terraform and workflow validation"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ck = sub.add_parser("checkov", help="policies (render, checkov, parliament) and terraform/ (checkov)")
    ck.add_argument("--api-id", default=render.VALIDATION_API_ID, help="API id to render with")
    ck.add_argument("--templates-dir", type=Path, default=config.TEMPLATES_DIR, help="policy templates")
    ck.add_argument("--work-dir", type=Path, default=BUILD_DIR, help="generated wrapper and checkov output")
    ck.add_argument("--skip-terraform", action="store_true", help="only the policy templates")
    wf = sub.add_parser("workflows", help="GitHub workflows and Dependabot: schemas and pipeline invariants")
    wf.add_argument("--workflows-dir", type=Path, default=WORKFLOWS_DIR)
    wf.add_argument("--dependabot", type=Path, default=DEPENDABOT_FILE, help="the Dependabot configuration")
    args = parser.parse_args(argv)

    if args.command == "workflows":
        problems = (
            check_workflow_schema(args.workflows_dir)
            + workflow_invariant_problems(args.workflows_dir)
            + check_dependabot_schema(args.dependabot)
        )
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

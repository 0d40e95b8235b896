"""checkov over `terraform/` with the committed `.checkov.yaml` (`make checkov`).

Built-in checks plus CKV_FGA_5..8 (`tools/checkov_checks/`); zero failed checks, zero parsing errors
and a reason for every skip (in `.checkov.yaml` and in inline `checkov:skip` comments).
SARIF for code scanning is written to `build/checkov/sarif/terraform.sarif`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tools import config, render
from tools.validate import Problem
from tools.validate.checkov_run import record_problem, run_checkov

REPO_ROOT = config.REPO_ROOT
CHECKOV_CONFIG = REPO_ROOT / ".checkov.yaml"
TERRAFORM_DIR = REPO_ROOT / "terraform"
#: The deployable roots of the scanned tree: each must have checks evaluated in it, so a root that
#: checkov stops reading (moved, unparsable as a whole, excluded by a config change) fails the scan
#: instead of passing with nothing checked. Modules are not required: one may hold only resource
#: types no check covers (modules/user_pool: Cognito).
REQUIRED_ROOTS = ("bootstrap", "envs/*", "stack")


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


def unevaluated_roots(records: list[dict[str, object]], terraform_dir: Path) -> list[Problem]:
    """A Problem for each REQUIRED_ROOTS directory of `terraform_dir` (with .tf files) that none of
    the report's `records` (passed, failed or skipped checks) is in."""
    evaluated = {str(record.get("file_path", "")).strip("/").rpartition("/")[0] for record in records}
    problems = []
    for pattern in REQUIRED_ROOTS:
        for directory in sorted(terraform_dir.glob(pattern)):
            if not any(directory.glob("*.tf")):
                continue
            if directory.relative_to(terraform_dir).as_posix() not in evaluated:
                problems.append(
                    Problem(
                        render.display_path(directory), "checkov/not-evaluated", "no check ran in this root"
                    )
                )
    return problems


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
    else:
        problems += unevaluated_roots([*report.passed, *report.failed, *report.skipped], terraform_dir)
    for error in report.parsing_errors:
        problems.append(
            Problem(
                _repo_relative(error, terraform_dir), "checkov/parsing-error", "checkov could not parse it"
            )
        )
    for record in report.failed:
        start = (record.get("file_line_range") or [None])[0]
        location = _repo_relative(str(record.get("file_path", "")), terraform_dir)
        problems.append(record_problem(record, f"{location}:{start}" if start else location))
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

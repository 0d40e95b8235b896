"""Run checkov once over a directory and read its report (the policies and terraform checks share it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import config
from tools.validate import Problem

CHECKS_DIR = config.REPO_ROOT / "tools" / "checkov_checks"
BUILD_DIR = config.REPO_ROOT / "build" / "checkov"


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


def details(record: dict[str, Any]) -> str:
    details = record.get("details") or []
    return ("; ".join(str(d) for d in details)) if details else ""


def record_problem(record: dict[str, Any], location: str, prefix: str = "") -> Problem:
    detail = details(record)
    message = f"{prefix}{record.get('check_name', '')} ({record.get('resource', '?')})"
    if detail:
        message += f": {detail}"
    return Problem(location, str(record.get("check_id", "?")), message)

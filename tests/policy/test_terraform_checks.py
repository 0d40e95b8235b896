"""CKV_FGA_5..8 through real checkov on fixture Terraform, plus their rule functions and skip reasons.

Fixture resources are named `pass_*` / `fail_*` (tests/policy/fixtures/terraform/); one checkov run
over the folder gives every verdict.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.policy.conftest import FIXTURES
from tools.checkov_checks import fga_terraform_checks as tf_rules
from tools.checkov_checks.fga_terraform_checks import TERRAFORM_CHECK_IDS, CheckResult
from tools.validate import checkov_run
from tools.validate import terraform as validate_terraform

FIXTURE_DIR = FIXTURES / "terraform"
CHECK_OF_TYPE = {
    "aws_api_gateway_method": "CKV_FGA_5",
    "aws_cognito_identity_pool": "CKV_FGA_6",
    "aws_cognito_identity_pool_roles_attachment": "CKV_FGA_7",
    "aws_lambda_permission": "CKV_FGA_8",
}


@pytest.fixture(scope="session")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """(resource address without for_each key, check id) -> PASSED / FAILED."""
    report = checkov_run.run_checkov(
        FIXTURE_DIR, tmp_path_factory.mktemp("tf-checks"), checks=TERRAFORM_CHECK_IDS
    )
    assert report.parsing_errors == []
    found: dict[tuple[str, str], str] = {}
    for outcome, records in (("PASSED", report.passed), ("FAILED", report.failed)):
        for record in records:
            address = str(record["resource"]).split("[")[0]
            found[(address, str(record["check_id"]))] = outcome
    return found


def _fixture_resources() -> list[tuple[str, str]]:
    resources = []
    for path in sorted(FIXTURE_DIR.glob("*.tf")):
        for line in path.read_text().splitlines():
            match = re.match(r'^resource "([a-z0-9_]+)" "([A-Za-z0-9_-]+)"', line)
            if match:
                resources.append((match.group(1), match.group(2)))
    return resources


def test_every_check_has_passing_and_failing_fixtures() -> None:
    kinds = {(CHECK_OF_TYPE[t], n.split("_")[0]) for t, n in _fixture_resources()}
    assert kinds == {(check, kind) for check in TERRAFORM_CHECK_IDS for kind in ("pass", "fail")}


@pytest.mark.parametrize(("rtype", "name"), _fixture_resources(), ids=str)
def test_fixture_verdict(verdicts: dict[tuple[str, str], str], rtype: str, name: str) -> None:
    expected = "PASSED" if name.startswith("pass_") else "FAILED"
    assert verdicts.get((f"{rtype}.{name}", CHECK_OF_TYPE[rtype])) == expected


# --- rule functions (what checkov hands the checks) ---------------------------------------------


def test_authorization_lookup_in_a_literal_map_as_checkov_renders_it() -> None:
    # Measured: checkov renders `local.authorization_type[each.value.auth]` over a literal map so.
    rendered = (
        "[\"${{'iam': 'AWS_IAM', 'lambda': 'CUSTOM', 'user_pool': 'COGNITO_USER_POOLS'}"
        '["each.value.auth"]}"]'
    )
    assert tf_rules.method_authorization_result("each.value.method", rendered)[0] == CheckResult.PASSED
    with_none = rendered.replace("'CUSTOM'", "'NONE'")
    assert tf_rules.method_authorization_result("each.value.method", with_none)[0] == CheckResult.FAILED
    assert tf_rules.method_authorization_result("GET", "${var.unknown}")[0] == CheckResult.UNKNOWN


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, CheckResult.PASSED),
        (False, CheckResult.PASSED),
        ("false", CheckResult.PASSED),
        (True, CheckResult.FAILED),
        ("true", CheckResult.FAILED),
        ("${var.guests}", CheckResult.UNKNOWN),
    ],
)
def test_guest_access(value: object, expected: CheckResult) -> None:
    assert tf_rules.guest_access_result(value)[0] == expected


def test_role_mapping_without_resolution_fails_and_unknown_stays_unknown() -> None:
    missing = {"role_mapping": [{"type": ["Token"], "identity_provider": ["x"]}]}
    assert tf_rules.ambiguous_role_result(missing)[0] == CheckResult.FAILED
    unresolved = {"role_mapping": [{"type": ["Token"], "ambiguous_role_resolution": ["${var.resolution}"]}]}
    assert tf_rules.ambiguous_role_result(unresolved)[0] == CheckResult.UNKNOWN
    assert tf_rules.ambiguous_role_result({})[0] == CheckResult.PASSED


def test_lambda_permission_needs_a_non_empty_source_arn() -> None:
    assert tf_rules.lambda_permission_result("")[0] == CheckResult.FAILED
    assert tf_rules.lambda_permission_result(None)[0] == CheckResult.FAILED
    assert (
        tf_rules.lambda_permission_result("${aws_api_gateway_rest_api.this.execution_arn}/*")[0]
        == CheckResult.PASSED
    )


# --- skips must carry reasons ------------------------------------------------------------------


def test_committed_config_gives_every_skip_a_reason() -> None:
    assert validate_terraform.config_skips_without_reason(validate_terraform.CHECKOV_CONFIG) == []


def test_a_skip_without_a_comment_is_reported(tmp_path: Path) -> None:
    config = tmp_path / ".checkov.yaml"
    config.write_text(
        "framework:\n  - terraform\n"
        "skip-check:\n"
        "  # Lambda code signing and response caching: reasons ...\n"
        "  - CKV_AWS_272\n"
        "  - CKV_AWS_120\n"
        "  - CKV_AWS_117  # VPC: the functions call only AWS APIs\n"
        "  - CKV_AWS_116\n"
        "compact: true\n"
    )
    problems = validate_terraform.config_skips_without_reason(config)
    assert [(p.location.rsplit(":", 1)[1], p.rule) for p in problems] == [
        ("8", "checkov/skip-without-reason")
    ]
    assert "CKV_AWS_116" in problems[0].message


def test_inline_skips_without_reason_fail_the_terraform_scan(tmp_path: Path) -> None:
    root = tmp_path / "tf"
    root.mkdir()
    (root / "main.tf").write_text(
        'resource "aws_lambda_permission" "unscoped" {\n'
        "  # checkov:skip=CKV_FGA_8\n"
        '  statement_id  = "x"\n  action        = "lambda:InvokeFunction"\n'
        '  function_name = "f"\n  principal     = "apigateway.amazonaws.com"\n}\n'
        'resource "aws_lambda_permission" "explained" {\n'
        "  # checkov:skip=CKV_FGA_8:the fixture says why\n"
        '  statement_id  = "y"\n  action        = "lambda:InvokeFunction"\n'
        '  function_name = "f"\n  principal     = "apigateway.amazonaws.com"\n}\n'
    )
    config = tmp_path / "checkov.yaml"
    config.write_text("check:\n  - CKV_FGA_8\n")
    problems = validate_terraform.check_terraform(tmp_path / "work", terraform_dir=root, config_file=config)
    assert [(p.rule, "unscoped" in p.message) for p in problems] == [("checkov/skip-without-reason", True)]


def test_a_scan_that_checks_nothing_fails(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "main.tf").write_text("# no resources\n")
    problems = validate_terraform.check_terraform(tmp_path / "work", terraform_dir=empty)
    assert [p.rule for p in problems] == ["checkov/not-evaluated"]


def test_a_deployable_root_with_nothing_checked_in_it_fails_the_scan(tmp_path: Path) -> None:
    for directory in ("bootstrap", "envs/dev", "envs/prod", "stack", "modules/user_pool"):
        (tmp_path / directory).mkdir(parents=True)
        (tmp_path / directory / "main.tf").write_text("")
    (tmp_path / "envs" / "README.md").write_text("")  # not a root: no .tf files
    records: list[dict[str, object]] = [
        {"file_path": "/bootstrap/main.tf"},
        {"file_path": "/envs/dev/main.tf"},
        {"file_path": "/envs/prod/main.tf"},
        {"file_path": "/stack/monitoring.tf"},
    ]
    assert validate_terraform.unevaluated_roots(records, tmp_path) == []  # modules are not required
    problems = validate_terraform.unevaluated_roots(records[1:], tmp_path)
    assert [(Path(p.location).name, p.rule) for p in problems] == [("bootstrap", "checkov/not-evaluated")]
    problems = validate_terraform.unevaluated_roots(records[:1], tmp_path)
    assert [Path(p.location).name for p in problems] == ["dev", "prod", "stack"]


def test_the_scan_reports_a_root_that_checkov_evaluated_nothing_in(tmp_path: Path) -> None:
    root = tmp_path / "tf"
    (root / "bootstrap").mkdir(parents=True)
    (root / "bootstrap" / "main.tf").write_text(
        'resource "aws_lambda_permission" "scoped" {\n'
        '  statement_id  = "x"\n  action        = "lambda:InvokeFunction"\n'
        '  function_name = "f"\n  principal     = "apigateway.amazonaws.com"\n'
        '  source_arn    = "arn:aws:execute-api:us-east-1:111111111111:abc/*/GET/pets"\n}\n'
    )
    (root / "envs" / "dev").mkdir(parents=True)
    (root / "envs" / "dev" / "main.tf").write_text("# no resources\n")
    config = tmp_path / "checkov.yaml"
    config.write_text("check:\n  - CKV_FGA_8\n")
    problems = validate_terraform.check_terraform(tmp_path / "work", terraform_dir=root, config_file=config)
    assert [(Path(p.location).name, p.rule) for p in problems] == [("dev", "checkov/not-evaluated")]

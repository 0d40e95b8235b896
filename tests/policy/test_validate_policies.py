"""The policy validation fails on bad templates, naming the file and the rule; real templates pass.

One `check_policies` run (one checkov run, parliament, the renderer) covers all four real environments
plus a synthetic environment `bad` whose groups each break one rule, and whose machine clients with
templates of their own (policy_templates/clients/) break them too: a client's template is validated
exactly like a group's. The tests assert on its result.
A second run goes through the CLI the Makefile calls, with one real template changed to `"Action": "*"`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import config
from tools.checkov_checks import fga_policy_checks as rules
from tools.validate import Problem
from tools.validate import policies as validate_policies

INVOKE = '"Effect": "Allow", "Action": "execute-api:Invoke"'


def _doc(*statements: str) -> str:
    body = ",\n    ".join("{" + s + "}" for s in statements)
    return '{\n  "Version": "2012-10-17",\n  "Statement": [\n    ' + body + "\n  ]\n}\n"


_OVERSIZE = _doc(
    '"Sid": "Many", '
    + INVOKE
    + ', "Resource": ['
    + ", ".join(f'"${{api_arn}}/GET/a/rather/long/path/segment/{i:04d}"' for i in range(200))
    + "]"
)

BAD_TEMPLATES = {
    "action-star": _doc('"Effect": "Allow", "Action": "*", "Resource": "*"'),
    "resource-star": _doc(INVOKE + ', "Resource": "*"'),
    "other-api": _doc(
        INVOKE + ', "Resource": "arn:aws:execute-api:${region}:${account_id}:zzzzzzzzzz/${stage}/GET/news"'
    ),
    "other-account": _doc(
        INVOKE + ', "Resource": "arn:aws:execute-api:${region}:999999999999:${api_id}/${stage}/GET/news"'
    ),
    "any-account": _doc(
        INVOKE + ', "Resource": "arn:aws:execute-api:${region}:*:${api_id}/${stage}/GET/news"'
    ),
    "other-stage": _doc(
        INVOKE + ', "Resource": "arn:aws:execute-api:${region}:${account_id}:${api_id}/prod/GET/news"'
    ),
    "other-service": _doc(
        '"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "${api_arn}/GET/news"'
    ),
    "not-action": _doc('"Effect": "Allow", "NotAction": "iam:*", "Resource": "${api_arn}/*"'),
    "oversize": _OVERSIZE,
    "unknown-placeholder": _doc(INVOKE + ', "Resource": "${api_url}/GET/news"'),
    "directive": _doc(INVOKE + ', "Resource": "%{ if stage == "prod" }${api_arn}/GET/news%{ endif }"'),
    "escape": _doc(INVOKE + ', "Resource": "${api_arn}/GET/users/$${aws:username}"'),
    "invalid-json": _doc(INVOKE + ', "Resource": "${api_arn}/GET/news",'),
    "duplicate-sid": _doc(
        '"Sid": "Same", ' + INVOKE + ', "Resource": "${api_arn}/GET/news"',
        '"Sid": "Same", ' + INVOKE + ', "Resource": "${api_arn}/GET/pets"',
    ),
    "typo-action": _doc(
        '"Effect": "Allow", "Action": "execute-api:Invok", "Resource": "${api_arn}/GET/news"'
    ),
    "good": _doc(
        '"Sid": "ReadNews", ' + INVOKE + ', "Resource": ["${api_arn}/GET/news", "${api_arn}/*/petstore/v1/*"]'
    ),
}

# Machine clients' own templates (in clients/), each breaking one rule as the groups' do.
BAD_CLIENT_TEMPLATES = {
    "client-action-star": BAD_TEMPLATES["action-star"],
    "client-api-elsewhere": BAD_TEMPLATES["other-api"],
    "client-directive": BAD_TEMPLATES["directive"],
    "client-typo-action": BAD_TEMPLATES["typo-action"],
}

# (template, rule that must be reported for it)
EXPECTED = [
    ("client-action-star", "CKV_AWS_62"),
    ("client-action-star", "CKV_FGA_1"),
    ("client-api-elsewhere", "CKV_FGA_2"),
    ("client-directive", "template/directive"),
    ("client-typo-action", "parliament/UNKNOWN_ACTION"),
    ("ghost-client", "template/missing-template"),
    ("orphan-client", "template/orphan"),
    ("action-star", "CKV_AWS_62"),  # checkov built-in: "*:*" administrative privileges
    ("action-star", "CKV_FGA_1"),
    ("action-star", "CKV_FGA_2"),
    ("resource-star", "CKV_FGA_2"),
    ("other-api", "CKV_FGA_2"),
    ("other-account", "CKV_FGA_2"),
    ("any-account", "CKV_FGA_2"),
    ("other-stage", "CKV_FGA_2"),
    ("other-service", "CKV_FGA_1"),
    ("not-action", "CKV_FGA_3"),
    ("not-action", "CKV_FGA_1"),
    ("oversize", "CKV_FGA_4"),
    ("unknown-placeholder", "template/unknown-placeholder"),
    ("directive", "template/directive"),
    ("escape", "template/escape"),
    ("invalid-json", "template/invalid-json"),
    ("duplicate-sid", "parliament/DUPLICATE_SID"),
    ("typo-action", "parliament/UNKNOWN_ACTION"),
    ("ghost", "template/missing-template"),
    ("orphan", "template/orphan"),
]


@pytest.fixture(scope="session")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("templates")
    for path in config.TEMPLATES_DIR.glob("*.json.tftpl"):
        shutil.copy(path, directory / path.name)
    for name, text in BAD_TEMPLATES.items():
        (directory / f"{name}.json.tftpl").write_text(text)
    (directory / "orphan.json.tftpl").write_text(BAD_TEMPLATES["good"])
    clients = directory / config.CLIENT_TEMPLATES_DIR
    shutil.copytree(config.TEMPLATES_DIR / config.CLIENT_TEMPLATES_DIR, clients)
    for name, text in BAD_CLIENT_TEMPLATES.items():
        (clients / f"{name}.json.tftpl").write_text(text)
    (clients / "orphan-client.json.tftpl").write_text(BAD_TEMPLATES["good"])
    return directory


@pytest.fixture(scope="session")
def bad_env() -> config.EnvConfig:
    raw = json.loads((config.ENVS_DIR / "dev" / "config.json").read_text())
    raw["environment"] = "bad"
    groups = [*BAD_TEMPLATES, "ghost"]
    model = json.loads(config.ACCESS_MODEL.read_text())
    model["groups"] = {g: {"precedence": 100 + i, "description": g} for i, g in enumerate(groups)}
    model["machine_clients"] = {
        name: {"scopes": ["news.read"], "policy": {"template": name}}
        for name in [*BAD_CLIENT_TEMPLATES, "ghost-client"]
    }
    return config.parse(raw, access=config.parse_access_model(model))


@pytest.fixture(scope="session")
def problems(
    env_configs: list[config.EnvConfig],
    bad_env: config.EnvConfig,
    templates_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> list[Problem]:
    work = tmp_path_factory.mktemp("validate")
    return validate_policies.check_policies(
        [*env_configs, bad_env], work, templates_dir=templates_dir, sarif_dir=work / "sarif"
    )


def _rules_for(problems: list[Problem], template: str) -> set[str]:
    return {p.rule for p in problems if Path(p.location.split(":")[0]).name == f"{template}.json.tftpl"}


@pytest.mark.parametrize(("template", "rule"), EXPECTED)
def test_bad_template_fails_naming_file_and_rule(problems: list[Problem], template: str, rule: str) -> None:
    assert rule in _rules_for(problems, template), [str(p) for p in problems if template in p.location]


def test_render_errors_point_at_the_line(problems: list[Problem]) -> None:
    located = {
        Path(p.location).name: p for p in problems if p.rule.startswith("template/") and ":" in p.location
    }
    assert "unknown-placeholder.json.tftpl:4" in located
    assert "directive.json.tftpl:4" in located


def test_good_and_real_templates_pass_every_check(problems: list[Problem]) -> None:
    real = [*config.TEMPLATES_DIR.glob("*.json.tftpl"), *config.TEMPLATES_DIR.glob("clients/*.json.tftpl")]
    clean = ["good", *(p.name.removesuffix(".json.tftpl") for p in real)]
    for template in clean:
        assert _rules_for(problems, template) == set(), template


def test_messages_name_the_environment_and_the_offending_value(problems: list[Problem]) -> None:
    [other_api] = [p for p in problems if "other-api" in p.location and p.rule == "CKV_FGA_2"]
    assert "env bad" in other_api.message
    assert "zzzzzzzzzz" in other_api.message
    assert "arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5/dev/" not in other_api.message
    assert ":a1b2c3d4e5/bad/" in other_api.message


def test_real_templates_pass_validation(env_configs: list[config.EnvConfig], tmp_path: Path) -> None:
    """What `make checkov` runs for the policies, without the synthetic environment."""
    policies, render_problems = validate_policies.render_all(env_configs)
    assert render_problems == []
    own = [c for e in env_configs for c in e.machine_clients.values() if c.template is not None]
    assert own, "the demo model has a machine client with a template of its own"
    assert len(policies) == sum(len(e.groups) for e in env_configs) + len(own)
    assert {p.group for p in policies} >= {c.policy_key for c in own}
    assert [p for policy in policies for p in validate_policies.lint_policy(policy)] == []


def test_wrapper_inlines_each_document_with_its_api_arn(
    env_configs: list[config.EnvConfig], tmp_path: Path
) -> None:
    policies, _ = validate_policies.render_all(env_configs)
    wrapped = validate_policies.write_wrapper(policies, tmp_path)
    text = (tmp_path / "policies.tf").read_text()
    assert len(wrapped) == len(policies)
    for entry in wrapped.values():
        block = "\n".join(text.splitlines()[entry.first_line - 1 : entry.last_line])
        assert f'"fga:api-arn" = "{entry.policy.api_arn}"' in block
        assert json.loads(
            block.split(f"<<{validate_policies.HEREDOC_END}\n")[1].split(
                f"\n{validate_policies.HEREDOC_END}"
            )[0]
        ) == json.loads(entry.policy.text)


# --- the rule functions themselves ------------------------------------------------------------------

API = "arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5/dev"


def _policy(**statement: object) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}


@pytest.mark.parametrize(
    ("resource", "ok"),
    [
        (f"{API}/GET/news", True),
        (f"{API}/*/petstore/v1/*", True),
        (f"{API}/*", True),
        (f"{API}", False),  # the prefix includes the slash after the stage
        (f"{API}2/GET/news", False),  # another stage sharing the prefix
        (f"{API.replace('/dev', '/*')}/GET/news", False),
        ("*", False),
        ("arn:aws:execute-api:*:111111111111:a1b2c3d4e5/dev/GET/news", False),
    ],
)
def test_inside_api_rule(resource: str, ok: bool) -> None:
    found = rules.outside_api_violations(_policy(Action="execute-api:Invoke", Resource=resource), API)
    assert (found == []) is ok


@pytest.mark.parametrize(
    ("action", "ok"),
    [
        ("execute-api:Invoke", True),
        (["execute-api:invoke"], True),
        ("execute-api:*", False),
        ("execute-api:Inv*", False),
        (["execute-api:Invoke", "execute-api:ManageConnections"], False),
        ("*", False),
    ],
)
def test_only_invoke_rule(action: object, ok: bool) -> None:
    assert (rules.only_invoke_violations(_policy(Action=action, Resource=f"{API}/*")) == []) is ok


def test_deny_statements_may_name_other_actions_but_not_other_apis() -> None:
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": f"{API}/DELETE/*"}],
    }
    assert rules.only_invoke_violations(deny) == []
    assert rules.not_element_violations(deny) == []
    assert rules.outside_api_violations(deny, API) == []
    deny["Statement"][0]["Resource"] = "*"  # type: ignore[index]
    assert rules.outside_api_violations(deny, API) != []


def test_size_rule_counts_without_whitespace() -> None:
    resources = [f"{API}/GET/{i:05d}" for i in range(1)]
    small = _policy(Action="execute-api:Invoke", Resource=resources)
    assert rules.size_violations(small) == []
    padding = rules.IAM_INLINE_POLICY_LIMIT - rules.policy_size(small)
    exact = _policy(Action="execute-api:Invoke", Resource=resources, Sid="x" * (padding - len(',"Sid":""')))
    assert rules.policy_size(exact) == rules.IAM_INLINE_POLICY_LIMIT
    assert rules.size_violations(exact) == []
    exact["Statement"][0]["Sid"] += "x"  # type: ignore[index]
    assert rules.size_violations(exact) != []


def test_policy_checks_ignore_resources_without_the_wrapper_tag() -> None:
    conf = {"policy": [json.dumps(_policy(Action="*", Resource="*"))], "tags": [{"Name": "x"}]}
    assert rules.only_invoke.scan_resource_conf(conf) == rules.CheckResult.UNKNOWN
    conf["tags"] = [{rules.API_ARN_TAG: API}]
    assert rules.only_invoke.scan_resource_conf(conf) == rules.CheckResult.FAILED


# --- the CLI, as `make checkov` calls it ---------------------------------------------------------


def test_cli_fails_when_a_real_template_allows_every_action(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(config.TEMPLATES_DIR, templates)
    admin = templates / "admin.json.tftpl"
    admin.write_text(admin.read_text().replace('"Action": "execute-api:Invoke"', '"Action": "*"', 1))
    work = tmp_path / "work"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.validate",
            "checkov",
            "--skip-terraform",
            "--templates-dir",
            str(templates),
            "--work-dir",
            str(work),
        ],
        cwd=config.REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failing = [line for line in proc.stdout.splitlines() if "admin.json.tftpl" in line]
    assert any("[CKV_FGA_1]" in line and "env dev" in line and "'*'" in line for line in failing), proc.stdout
    assert not [line for line in proc.stdout.splitlines() if line and "admin.json.tftpl" not in line], (
        proc.stdout
    )
    assert "policies: FAILED" in proc.stderr
    sarif = json.loads((work / "sarif" / "policies.sarif").read_text())
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for run in sarif["runs"]
        for r in run["results"]
        for loc in r["locations"]
    }
    assert uris
    assert all(uri.endswith("admin.json.tftpl") for uri in uris)

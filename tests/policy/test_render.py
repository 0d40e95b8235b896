"""Unit tests of tools/render.py: substitution, every rejected construct (with file and line), CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import config, render
from tools.render import TemplateError

VARS = {
    "api_arn": "arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5/dev",
    "region": "us-east-1",
    "account_id": "111111111111",
    "api_id": "a1b2c3d4e5",
    "stage": "dev",
    "environment": "dev",
}


def test_substitutes_every_variable_and_keeps_the_rest_verbatim() -> None:
    text = '{\n  "a": "${api_arn}/GET/x", "b": "${ region }:${account_id}",\n  "c": "$$ %% $x ${stage}"\n}'
    out = render.render(text, VARS)
    assert out == (
        '{\n  "a": "arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5/dev/GET/x", '
        '"b": "us-east-1:111111111111",\n  "c": "$$ %% $x dev"\n}'
    )


@pytest.mark.parametrize(
    ("text", "rule", "line"),
    [
        ('{\n"a": "${api_url}"\n}', "unknown-placeholder", 2),
        ('{\n\n%{ if true }"a": 1%{ endif }\n}', "directive", 3),
        ('{"a": "$${aws:username}"}', "escape", 1),
        ('{\n"a": "%%{ not a directive }"}', "escape", 2),
        ('{"a": "${upper(region)}"}', "expression", 1),
        ('{"a": "${var.region}"}', "expression", 1),
        ('{"a": "${~ region ~}"}', "strip-marker", 1),
        ('{\n\n\n"a": "${region"\n]', "unterminated", 4),
        ('{\n"a": "${region"\n}', "expression", 2),
    ],
)
def test_rejects_template_syntax_with_rule_and_line(text: str, rule: str, line: int) -> None:
    with pytest.raises(TemplateError) as caught:
        render.render(text, VARS, source="policy_templates/x.json.tftpl")
    assert caught.value.rule == rule
    assert caught.value.line == line
    assert str(caught.value).startswith(f"policy_templates/x.json.tftpl:{line}: [{rule}]")


def test_unknown_placeholder_names_the_allowed_ones() -> None:
    with pytest.raises(TemplateError, match=r"\$\{stage_name\}.*allowed: account_id, api_arn, api_id"):
        render.render('"${stage_name}"', VARS)


def _templates(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    directory = tmp_path / "templates"
    directory.mkdir()
    for name, content in files.items():
        path = directory / f"{name}.json.tftpl"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return directory


def _env(groups: list[str], **overrides: str) -> config.EnvConfig:
    raw = json.loads((config.ENVS_DIR / "dev" / "config.json").read_text())
    raw.update(overrides)
    return config.parse(raw, access=_model(groups))


def _model(groups: list[str]) -> config.AccessModel:
    model = json.loads(config.ACCESS_MODEL.read_text())
    model["groups"] = {g: {"precedence": i + 1, "description": g} for i, g in enumerate(groups)}
    model["machine_clients"] = {}  # these tests are about groups' templates
    return config.parse_access_model(model)


def test_render_group_rejects_invalid_json_after_rendering(tmp_path: Path) -> None:
    templates = _templates(tmp_path, {"g": '{\n  "Version": "2012-10-17",\n  "Statement": [],\n}'})
    with pytest.raises(TemplateError) as caught:
        render.render_group(_env(["g"]), "g", templates_dir=templates)
    assert caught.value.rule == "invalid-json"
    assert caught.value.line == 4
    assert caught.value.source.endswith("g.json.tftpl")


def test_render_group_names_the_missing_template(tmp_path: Path) -> None:
    templates = _templates(tmp_path, {})
    with pytest.raises(TemplateError, match=r"declares group 'ghost' but there is no template"):
        render.render_group(_env(["ghost"]), "ghost", templates_dir=templates)


def test_decoding_keeps_crlf_and_drops_a_bom_like_templatefile(tmp_path: Path) -> None:
    templates = _templates(tmp_path, {"g": b'\xef\xbb\xbf{\r\n"a": "${stage}"\r\n}\r\n'})
    assert render.render_group(_env(["g"]), "g", templates_dir=templates) == '{\r\n"a": "dev"\r\n}\r\n'


def test_invalid_utf8_is_an_error_with_its_line(tmp_path: Path) -> None:
    templates = _templates(tmp_path, {"g": b'{\n"a": "\xff"\n}'})
    with pytest.raises(TemplateError) as caught:
        render.render_group(_env(["g"]), "g", templates_dir=templates)
    assert (caught.value.rule, caught.value.line) == ("encoding", 2)


def test_template_variables_follow_the_contract() -> None:
    env = config.load("staging")
    variables = render.template_variables(env, api_id="zyxwvu9876")
    assert variables == {
        "api_arn": f"arn:aws:execute-api:{env.region}:{env.account_id}:zyxwvu9876/{env.stage_name}",
        "region": env.region,
        "account_id": env.account_id,
        "api_id": "zyxwvu9876",
        "stage": env.stage_name,
        "environment": "staging",
    }
    assert set(variables) == set(render.TEMPLATE_VARIABLES)


def test_stage_name_override_changes_the_arn() -> None:
    variables = render.template_variables(_env(["g"], stage_name="v1"))
    assert variables["api_arn"].endswith(":a1b2c3d4e5/v1")
    assert variables["stage"] == "v1"


@pytest.mark.parametrize(
    ("override", "api_id", "message"),
    [
        ({}, "A1B2C3D4E5", "api_id"),
        ({}, "short", "api_id"),
        ({"account_id": "12345"}, render.VALIDATION_API_ID, "account_id"),
        ({"region": "us east"}, render.VALIDATION_API_ID, "region"),
        ({"stage_name": "dev/GET"}, render.VALIDATION_API_ID, "stage_name"),
    ],
)
def test_bad_values_are_rejected_before_rendering(
    override: dict[str, str], api_id: str, message: str
) -> None:
    with pytest.raises(config.ConfigError, match=message):
        render.template_variables(_env(["g"], **override), api_id=api_id)


def test_render_env_collects_errors_and_warns_about_templates_without_group(tmp_path: Path) -> None:
    good = (
        '{"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "${api_arn}/GET/x"}]}'
    )
    templates = _templates(tmp_path, {"good": good, "bad": '"${nope}"', "unused": good})
    result = render.render_env(_env(["good", "bad", "ghost"]), templates_dir=templates)
    assert [p.group for p in result.policies] == ["good"]
    assert sorted(e.rule for e in result.errors) == ["missing-template", "unknown-placeholder"]
    assert len(result.warnings) == 1
    assert "unused.json.tftpl" in result.warnings[0]


def test_every_real_template_renders_for_every_environment(env_configs: list[config.EnvConfig]) -> None:
    for env in env_configs:
        result = render.render_env(env)
        assert result.errors == []
        own = {c.policy_key for c in env.machine_clients.values() if c.template is not None}
        assert own, "the demo model has a machine client with a template of its own"
        assert {p.group for p in result.policies} == set(env.groups) | own
        for policy in result.policies:
            assert "${" not in policy.text
            assert json.loads(policy.text)["Version"] == "2012-10-17"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.render", *args],
        cwd=config.REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(config.REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_cli_writes_one_file_per_group_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _cli("--env", "prod", "--out", str(out), "--api-id", "q1w2e3r4t5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    env = config.load("prod")
    clients = [c for c in env.machine_clients.values() if c.template is not None]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.json")) == sorted(
        [f"{g}.json" for g in env.groups] + [f"clients/{c.name}.json" for c in clients]
    )
    for group in env.groups:
        expected = render.render_group(env, group, api_id="q1w2e3r4t5")
        assert (out / f"{group}.json").read_bytes() == expected.encode()
        assert ":q1w2e3r4t5/prod/" in expected
    for client in clients:
        expected = render.render_client(env, client, api_id="q1w2e3r4t5")
        assert (out / "clients" / f"{client.name}.json").read_bytes() == expected.encode()
        assert ":q1w2e3r4t5/prod/" in expected


def test_a_client_template_renders_like_a_groups_and_is_required(tmp_path: Path) -> None:
    """A machine client with {"template": name} is rendered from clients/<name>.json.tftpl with the
    group templates' rules; a missing file is an error, an unused one a warning."""
    model = json.loads(config.ACCESS_MODEL.read_text())
    model["groups"] = {"g": {"precedence": 1}}
    model["machine_clients"] = {
        "bot": {"scopes": ["news.read"], "policy": {"template": "bot"}},
        "ghost": {"scopes": ["news.read"], "policy": {"template": "ghost"}},
        "follower": {"scopes": ["news.read"], "policy": {"group": "g"}},
    }
    raw = json.loads((config.ENVS_DIR / "dev" / "config.json").read_text())
    env = config.parse(raw, access=config.parse_access_model(model))
    good = (
        '{"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "${api_arn}/GET/x"}]}'
    )
    templates = _templates(tmp_path, {"g": good})
    (templates / "clients").mkdir()
    for name, text in {"bot": good, "unused": good, "follower": "%{ if x }"}.items():
        (templates / "clients" / f"{name}.json.tftpl").write_text(text)
    result = render.render_env(env, templates_dir=templates)
    assert sorted(p.group for p in result.policies) == ["client:bot", "g"]
    [bot] = [p for p in result.policies if p.group == "client:bot"]
    assert bot.file_name == "clients/bot.json"
    assert json.loads(bot.text)["Statement"][0]["Resource"].endswith("/dev/GET/x")
    assert [(e.rule, Path(e.source).name) for e in result.errors] == [
        ("missing-template", "ghost.json.tftpl")
    ]
    # a client governed by a group has no template: a file of its name is not one, it is unused
    assert sorted(w.split(":")[0].rsplit("/", 1)[1] for w in result.warnings) == [
        "follower.json.tftpl",
        "unused.json.tftpl",
    ]
    with pytest.raises(config.ConfigError, match="no machine client 'follower' with a template of its own"):
        render.render_client(env, "follower", templates_dir=templates)


def test_cli_refuses_a_bad_api_id_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _cli("--env", "dev", "--out", str(out), "--api-id", "NOT-AN-ID", cwd=tmp_path)
    assert proc.returncode == 2
    assert "api_id 'NOT-AN-ID' must be 10 lowercase letters or digits" in proc.stderr
    assert not out.exists()

"""tools/render.py produces exactly what Terraform's `templatefile` produces: every template x env.

Terraform itself renders (one `terraform console` call per session, no provider needed); the test
compares the exact string and the parsed JSON. Synthetic templates cover the lexical corners the
renderer must agree on (whitespace inside `${ }`, lone `$`/`%`, `$$`, CRLF, a BOM, non-ASCII).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.policy.conftest import terraform_templatefile
from tools import config, render

SYNTHETIC = {
    "spaces": '{"a": "${ api_arn }/GET/x", "b": "${\tregion\t}"}\n',
    "literal-dollars-and-percents": '{"a": "$$ %% $x %x 100% ${api_id} $ %"}',
    "crlf": '{\r\n  "a": "${stage}"\r\n}\r\n',
    "non-ascii": '{"Sid": "Grüße ☃", "a": "${environment}"}',
    "no-trailing-newline": '{"a": "${account_id}"}',
}
SYNTHETIC_BYTES = {"bom": b'\xef\xbb\xbf{"a": "${region}"}\n'}


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("synthetic-templates")
    for name, text in SYNTHETIC.items():
        (directory / f"{name}.json.tftpl").write_bytes(text.encode())
    for name, raw in SYNTHETIC_BYTES.items():
        (directory / f"{name}.json.tftpl").write_bytes(raw)
    return directory


@pytest.fixture(scope="session")
def terraform_renders(
    env_configs: list[config.EnvConfig], synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    cases: dict[str, tuple[Path, dict[str, str]]] = {}
    for env in env_configs:
        variables = render.template_variables(env)
        for group in env.groups:
            cases[f"{env.environment}/{group}"] = (config.TEMPLATES_DIR / f"{group}.json.tftpl", variables)
        for client in render.own_template_clients(env):
            assert client.template_path is not None
            cases[f"{env.environment}/{client.policy_key}"] = (client.template_path, variables)
    dev_vars = render.template_variables(config.load("dev"))
    for path in sorted(synthetic_dir.iterdir()):
        cases[f"synthetic/{path.name}"] = (path, dev_vars)
    return terraform_templatefile(cases, tmp_path_factory.mktemp("console"))


def _real_cases() -> list[tuple[str, str]]:
    return [(env, group) for env in config.ENVIRONMENTS for group in config.load(env).groups]


def _client_cases() -> list[tuple[str, str]]:
    return [
        (env, c.name) for env in config.ENVIRONMENTS for c in render.own_template_clients(config.load(env))
    ]


def test_every_template_is_used_and_compared() -> None:
    groups = {group for _, group in _real_cases()}
    assert groups == set(render.template_paths()), "each template must belong to a group of some environment"
    assert {env for env, _ in _real_cases()} == set(config.ENVIRONMENTS)
    clients = {client for _, client in _client_cases()}
    assert clients == set(render.client_template_paths()), "each client template must belong to a client"


@pytest.mark.parametrize(("env", "client"), _client_cases())
def test_python_render_of_a_client_template_equals_templatefile(
    env: str, client: str, terraform_renders: dict[str, str]
) -> None:
    cfg = config.load(env)
    expected = terraform_renders[f"{env}/{cfg.machine_clients[client].policy_key}"]
    assert render.render_client(cfg, client) == expected


@pytest.mark.parametrize(("env", "group"), _real_cases())
def test_python_render_equals_templatefile(env: str, group: str, terraform_renders: dict[str, str]) -> None:
    expected = terraform_renders[f"{env}/{group}"]
    actual = render.render_group(config.load(env), group)
    assert actual == expected
    assert json.loads(actual) == json.loads(expected)


@pytest.mark.parametrize("name", sorted([*SYNTHETIC, *SYNTHETIC_BYTES]))
def test_lexical_corners_agree_with_templatefile(
    name: str, synthetic_dir: Path, terraform_renders: dict[str, str]
) -> None:
    path = synthetic_dir / f"{name}.json.tftpl"
    text = render.decode_template(path.read_bytes(), str(path))
    actual = render.render(text, render.template_variables(config.load("dev")))
    assert actual == terraform_renders[f"synthetic/{path.name}"]

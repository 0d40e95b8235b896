"""The static access matrix applies the documented rules to the real local configuration."""

from __future__ import annotations

import json

import pytest

from tools import config
from tools.matrix import (
    ALLOW,
    DEFAULT_ROLE,
    FORBIDDEN,
    NO_CREDENTIALS,
    RULES,
    TOKEN,
    UNAUTHORIZED,
    Principal,
    custom_role_arns,
    effective_group,
    expected_matrix,
    iam_credentials,
    matches,
    probe,
    user_pool_role_mapping,
)
from tools.render import render_group

API_ID = "abcdefghij"


@pytest.fixture(scope="module")
def cfg() -> config.EnvConfig:
    return config.load("local")


@pytest.fixture(scope="module")
def policies(cfg: config.EnvConfig) -> dict[str, object]:
    return {g: json.loads(render_group(cfg, g, api_id=API_ID)) for g in cfg.groups}


PRINCIPALS = [
    Principal("admin", ("admin",)),
    Principal("vet", ("pet-veterinarian",)),
    Principal("cip", ("cip-users",)),
    Principal("nogroup", ()),
    Principal("multi", ("cip-users", "pet-veterinarian")),
    Principal("external", external_group="google-users"),
]


@pytest.fixture(scope="module")
def matrix(cfg: config.EnvConfig, policies: dict[str, object]) -> dict[tuple[str, str], object]:
    return expected_matrix(cfg, PRINCIPALS, policies, API_ID)


def test_scenario_s4_vet_reaches_v1_and_status_but_not_v2_pets(matrix: dict[tuple[str, str], object]) -> None:
    assert matrix["vet", "pets-v1"] == ALLOW
    assert matrix["vet", "pets-v1-item"] == ALLOW
    assert matrix["vet", "pets-v2-status"] == ALLOW
    assert matrix["vet", "pets-v2-pets"] == FORBIDDEN


def test_scenario_s5_only_admin_deletes_news(matrix: dict[tuple[str, str], object]) -> None:
    assert matrix["admin", "news-delete"] == ALLOW
    for who in ("vet", "cip", "nogroup", "multi"):
        assert matrix[who, "news-delete"] == FORBIDDEN
    assert matrix["external", "news-delete"] == UNAUTHORIZED


def test_scenarios_s1_s2_iam_routes_follow_the_role(matrix: dict[tuple[str, str], object]) -> None:
    assert matrix["cip", "cip-get"] == ALLOW
    assert matrix["cip", "cip-post"] == ALLOW
    assert matrix["cip", "google-get"] == FORBIDDEN
    assert matrix["external", "google-get"] == ALLOW
    assert matrix["external", "google-post"] == ALLOW
    assert matrix["external", "cip-get"] == FORBIDDEN


def test_user_without_group_is_authenticated_but_denied(matrix: dict[tuple[str, str], object]) -> None:
    assert matrix["nogroup", "cup-get"] == ALLOW
    assert matrix["nogroup", "cip-get"] == FORBIDDEN
    assert matrix["nogroup", "news-get"] == FORBIDDEN


def test_multi_group_user_gets_only_the_lowest_precedence_group(
    cfg: config.EnvConfig, matrix: dict[tuple[str, str], object]
) -> None:
    group = effective_group(cfg, ("cip-users", "pet-veterinarian"))
    assert group is not None
    assert group.name == "pet-veterinarian"
    # Not the union: the cip-users grant does not carry over, in either mode.
    assert matrix["multi", "cip-get"] == FORBIDDEN
    assert matrix["multi", "pets-v1"] == ALLOW


def test_external_users_hold_no_user_pool_token(matrix: dict[tuple[str, str], object]) -> None:
    assert matrix["external", "cup-get"] == UNAUTHORIZED
    assert matrix["external", "pets-v1"] == UNAUTHORIZED


def test_probe_fills_path_parameters_and_bodies(cfg: config.EnvConfig) -> None:
    item = probe(cfg.routes["pets-v1-item"])
    assert (item.method, item.path) == ("GET", "/petstore/v1/pets/1")
    post = probe(cfg.routes["cip-post"])
    assert post.body is not None
    assert set(post.body) == {"name", "surname", "email"}


def test_matches_is_strict() -> None:
    assert matches(ALLOW, 200)
    assert matches(ALLOW, 204)
    assert not matches(ALLOW, 404)  # a probe that misses its resource proves nothing
    assert not matches(ALLOW, 403)
    assert not matches(ALLOW, 502)
    assert matches(FORBIDDEN, 403)
    assert not matches(FORBIDDEN, 401)
    assert not matches(UNAUTHORIZED, 403)


def test_every_environment_uses_the_strict_rules_mapping_by_default() -> None:
    for env in config.ENVIRONMENTS:
        assert user_pool_role_mapping(config.load(env)) == RULES


def test_the_role_mapping_setting_is_validated(cfg: config.EnvConfig) -> None:
    token = config.parse({**cfg.raw, "identity_pool": {"user_pool_role_mapping": "Token"}})
    assert user_pool_role_mapping(token) == TOKEN
    with pytest.raises(config.ConfigError, match='must be "Rules"'):
        config.parse({**cfg.raw, "identity_pool": {"user_pool_role_mapping": "Union"}})
    with pytest.raises(config.ConfigError, match="takes only user_pool_role_mapping"):
        config.parse({**cfg.raw, "identity_pool": {"mapping": "Token"}})


def test_rules_hand_out_only_the_preferred_role_and_token_any_own_role(cfg: config.EnvConfig) -> None:
    multi = Principal("multi", ("cip-users", "pet-veterinarian"))
    nogroup = Principal("nogroup", ())
    external = Principal("external", external_group="google-users")
    assert iam_credentials(cfg, multi, RULES) == iam_credentials(cfg, multi, TOKEN) == "pet-veterinarian"
    assert custom_role_arns(cfg, multi, RULES) == ("pet-veterinarian",)
    assert custom_role_arns(cfg, multi, TOKEN) == ("pet-veterinarian", "cip-users")
    assert iam_credentials(cfg, nogroup, RULES) == NO_CREDENTIALS
    assert iam_credentials(cfg, nogroup, TOKEN) == DEFAULT_ROLE
    assert custom_role_arns(cfg, nogroup, RULES) == custom_role_arns(cfg, nogroup, TOKEN) == ()
    assert custom_role_arns(cfg, external, TOKEN) == ("google-users",)

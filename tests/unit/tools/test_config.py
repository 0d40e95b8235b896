"""tools/config.py: the access model and the per-environment settings, read and checked like Terraform.

Terraform drops attributes its object types do not declare, so a misspelt key would silently do
nothing there; these tests show Python refuses it, and that Python's keys and defaults are the
stack's.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from tools import config

MODEL = json.loads(config.ACCESS_MODEL.read_text())
STACK_VARIABLES = (config.REPO_ROOT / "terraform" / "stack" / "variables.tf").read_text()


def _settings(env: str = "dev", **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((config.env_dir(env) / "config.json").read_text())
    raw.update(changes)
    return raw


def _model(**changes: Any) -> dict[str, Any]:
    model = copy.deepcopy(MODEL)
    model.update(changes)
    return model


@pytest.mark.parametrize("env", config.ENVIRONMENTS)
def test_every_environment_loads_with_the_one_model(env: str) -> None:
    cfg = config.load(env)
    assert cfg.environment == env
    assert cfg.groups == config.load_access_model().groups
    assert set(cfg.routes) == set(MODEL["routes"])


def test_stage_and_prefix_default_like_the_stack_and_follow_the_settings() -> None:
    cfg = config.parse(_settings())
    assert (cfg.stage_name, cfg.name_prefix) == ("dev", "fga-dev")
    custom = config.parse(_settings(stage_name="v1", name_prefix="acme-dev"))
    assert (custom.stage_name, custom.name_prefix) == ("v1", "acme-dev")
    # the same defaults in terraform/stack/main.tf
    assert (
        'coalesce(var.settings.name_prefix, "fga-${local.environment}")'
        in (config.REPO_ROOT / "terraform" / "stack" / "main.tf").read_text()
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"groups": MODEL["groups"]}, r"\['groups'\] belong in policy_templates/access_model.json"),
        ({"routes": {}}, r"\['routes'\] belong in policy_templates/access_model.json"),
        ({"authoriser": {}}, r"unknown setting key\(s\) \['authoriser'\]"),
        ({"local_idp": {}}, r"unknown setting key\(s\) \['local_idp'\]"),  # local only
        ({"name_prefix": "Bad_Prefix"}, r"name_prefix 'Bad_Prefix'"),
        (
            {"authorizer": {"revocation_check_second": 5}},
            r"unknown authorizer setting key\(s\) \['revocation_check_second'\]",
        ),
        (
            {"authorizer": {"revocation_check_seconds": 301}},
            r"authorizer.revocation_check_seconds must be a whole number of seconds from 0 to 300",
        ),
        ({"authorizer": {"revocation_check_seconds": 2.5}}, r"revocation_check_seconds .* not 2.5"),
        ({"authorizer": {"result_ttl_seconds": 3601}}, r"result_ttl_seconds .* from 0 to 3600"),
        ({"authorizer": {"jwks_cache_seconds": 0}}, r"jwks_cache_seconds .* from 1 to 86400"),
        ({"authorizer": {"policy_cache_seconds": True}}, r"policy_cache_seconds .* not True"),
    ],
    ids=[
        "groups",
        "routes",
        "typo",
        "local-only-key",
        "bad-prefix",
        "authorizer-typo",
        "revocation-range",
        "revocation-fraction",
        "result-ttl-range",
        "jwks-range",
        "bool-seconds",
    ],
)
def test_bad_settings_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.parse(_settings(**changes))


def test_a_key_given_twice_is_refused(tmp_path: Any) -> None:
    """json.loads would keep the second block silently (two merged branches each adding one)."""
    model = tmp_path / "access_model.json"
    text = json.dumps(MODEL, indent=2)
    model.write_text(text.replace('"groups": {', '"groups": {},\n  "groups": {', 1))
    with pytest.raises(config.ConfigError, match=r"access_model.json: duplicate key\(s\) \['groups'\]"):
        config.load_access_model(model)


def test_a_required_setting_is_refused_when_missing() -> None:
    raw = _settings()
    del raw["cors_allow_origin"]
    with pytest.raises(config.ConfigError, match="'cors_allow_origin' is required"):
        config.parse(raw)


def _route(**changes: Any) -> dict[str, Any]:
    return {
        "routes": {"r": {"path": "/r", "method": "GET", "auth": "user_pool", "handler": "news", **changes}}
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (_route(handler="billing"), r"handler 'billing' is not one of the model's handlers"),
        (_route(scopes=["api/billing.read"]), r"scopes \['api/billing.read'\] are not declared"),
        (_route(auth="api_key"), r"auth 'api_key'"),
        ({"groups": {"a": {"precedence": 1}, "b": {"precedence": 1}}}, "precedences must be unique"),
        ({"groups": {"bad group": {"precedence": 1}}}, "group name 'bad group'"),
        ({"environments": {}}, r"unknown access model key\(s\) \['environments'\]"),
    ],
    ids=["handler", "scope", "auth", "precedence", "group-name", "unknown-key"],
)
def test_bad_models_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.parse_access_model(_model(**changes))


def test_route_scopes_may_be_oidc_or_resource_server_scopes() -> None:
    model = config.parse_access_model(_model(**_route(scopes=["email", "api/news.read"])))
    assert model.routes["r"].scopes == ("email", "api/news.read")


def test_routes_carry_their_handlers_example_body() -> None:
    model = config.load_access_model()
    writes = [r for r in model.routes.values() if r.method in ("POST", "PUT", "PATCH")]
    assert writes
    for route in writes:
        assert route.example_body == MODEL["handlers"][route.handler]["example_body"]


def _object_attributes(variable: str) -> set[str]:
    """Top-level attribute names of the object type of `variable "<name>"` in the stack."""
    block = STACK_VARIABLES[STACK_VARIABLES.index(f'variable "{variable}" {{') :]
    block = block[: block.index("\n  description")]
    return set(re.findall(r"^    ([a-z_]+)\s+=", block, re.M))


def test_python_knows_exactly_the_stacks_settings_and_model_attributes() -> None:
    """Adding a per-environment setting: one optional attribute in the stack's `settings` type and
    its name here; no env root changes."""
    assert _object_attributes("settings") == config.STACK_SETTINGS_KEYS
    block = STACK_VARIABLES[STACK_VARIABLES.index("    authorizer = optional(object({") :]
    block = block[: block.index("    }), {})")]
    assert set(re.findall(r"^      ([a-z_]+)\s+=", block, re.M)) == config.AUTHORIZER_KEYS
    assert _object_attributes("access") == config.MODEL_KEYS


# --- machine clients -------------------------------------------------------------------------------


def _clients(**clients: Any) -> dict[str, Any]:
    return {"machine_clients": clients}


def test_machine_clients_are_read_with_their_full_scopes_and_policy_key() -> None:
    model = config.load_access_model()
    assert len(model.machine_clients) >= 2
    for name, raw in MODEL["machine_clients"].items():
        client = model.machine_clients[name]
        assert client.scopes == tuple(f"{MODEL['oauth']['resource_server']}/{s}" for s in raw["scopes"])
        if "template" in raw["policy"]:
            assert client.policy_key == f"client:{name}"
            assert client.template_path == config.TEMPLATES_DIR / "clients" / f"{name}.json.tftpl"
        else:
            assert client.policy_key == raw["policy"]["group"] in model.groups
            assert client.template_path is None
    kinds = {"template" if c.template else "group" for c in model.machine_clients.values()}
    assert kinds == {"template", "group"}, "the demo has a client of each kind"


def test_no_group_can_be_named_like_a_clients_policy_item() -> None:
    """A client's own item is `client:<name>`: a group of that name would share it."""
    assert not config.GROUP_NAME_RE.match(f"{config.MACHINE_POLICY_PREFIX}reporter")
    with pytest.raises(config.ConfigError, match="group name 'client:reporter'"):
        config.parse_access_model(_model(groups={"client:reporter": {"precedence": 1}}, machine_clients={}))


_GOOD = {"scopes": ["news.read"], "policy": {"group": "admin"}}


@pytest.mark.parametrize(
    ("clients", "message"),
    [
        (_clients(Bad_Name=_GOOD), "machine client name must be 1-31 lowercase"),
        (_clients(web=_GOOD), r"and not \['verify', 'web'\]"),
        (_clients(verify=_GOOD), r"and not \['verify', 'web'\]"),
        (_clients(bot={**_GOOD, "scopes": []}), "scopes must list at least one scope"),
        (_clients(bot={**_GOOD, "scopes": ["news.read", "news.read"]}), "each once"),
        (
            _clients(bot={**_GOOD, "scopes": ["api/news.read"]}),
            r"scopes \['api/news.read'\] are not declared",
        ),
        (_clients(bot={**_GOOD, "scopes": ["billing.read"]}), r"scopes \['billing.read'\] are not declared"),
        (_clients(bot={**_GOOD, "policy": {}}), "policy must be exactly one of"),
        (_clients(bot={**_GOOD, "policy": {"template": "bot", "group": "admin"}}), "exactly one of"),
        (_clients(bot={**_GOOD, "policy": {"role": "admin"}}), "exactly one of"),
        (_clients(bot={**_GOOD, "policy": {"template": "other"}}), "clients/bot.json.tftpl: write"),
        (_clients(bot={**_GOOD, "policy": {"group": "nobody"}}), "policy.group 'nobody' is not a group"),
        (_clients(bot={**_GOOD, "secret": "x"}), r"unknown machine client key\(s\) \['secret'\]"),
    ],
    ids=[
        "name",
        "reserved-name",
        "reserved-name-verify",
        "no-scope",
        "scope-twice",
        "prefixed-scope",
        "undeclared-scope",
        "no-policy",
        "two-policies",
        "unknown-policy-kind",
        "template-not-its-name",
        "unknown-group",
        "unknown-key",
    ],
)
def test_bad_machine_clients_are_refused(clients: dict[str, Any], message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.parse_access_model(_model(**clients))


def test_machine_clients_are_optional() -> None:
    model = {k: v for k, v in copy.deepcopy(MODEL).items() if k != "machine_clients"}
    assert config.parse_access_model(model).machine_clients == {}


def test_the_old_confidential_client_setting_is_refused_with_directions() -> None:
    raw = _settings(user_pool={"confidential_client": True})
    with pytest.raises(config.ConfigError, match="confidential_client is gone: declare each machine caller"):
        config.parse(raw)


def test_machine_clients_need_the_pools_domain() -> None:
    raw = _settings()
    del raw["user_pool"]["domain_prefix"]
    with pytest.raises(config.ConfigError, match=r"set user_pool\.domain_prefix"):
        config.parse(raw)
    without_machines = config.parse_access_model(_model(machine_clients={}))
    assert config.parse(raw, access=without_machines).machine_clients == {}


@pytest.mark.parametrize(
    ("verification", "message"),
    [
        ({"enabled": True, "writes": True, "reads": True}, 'verification takes only "enabled" and "writes"'),
        ({"enabled": "yes"}, "verification.enabled must be true or false"),
        ({"writes": True}, "verification.writes needs verification.enabled = true"),
        ([], 'verification takes only "enabled" and "writes"'),
    ],
)
def test_bad_verification_settings_are_refused(verification: Any, message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.parse(_settings(verification=verification))


def test_every_real_environment_is_verified_and_prod_only_by_reads() -> None:
    """The pipeline verifies every environment after its apply (make verify); prod takes no writes."""
    settings = {env: config.load(env).verification for env in config.ENVIRONMENTS}
    assert all(v.enabled for v in settings.values())
    assert not settings["prod"].writes
    assert settings["dev"].writes
    assert settings["staging"].writes
    assert config.parse(_settings(verification={})).verification == config.Verification(False, False)

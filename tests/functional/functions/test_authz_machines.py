"""Machine callers in lambda mode: client-credentials access tokens of the declared machine clients.

A declared machine client's token gets the policy item of its governing key (its own template's,
`client:<name>`, or a group's) through the same store, cache window and fail-closed rules as a
user's groups. The attack cases, each refused and each with a test that fails when its check in
functions/authorizer/authz/machines.py (or its call) is removed: an undeclared client, a token
without a scope, a scope declared for another client, a machine token carrying a user's claims or a
`sub` other than its client id, a user token without its user (the shape of a machine token), and a
user claiming a group named like a client's item.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from authz import machines, policies
from authz.errors import ConfigError
from authz.settings import Settings

from tests.functional.functions import support
from tests.functional.functions.support import REMOVE
from tests.functional.functions.test_authorizer import decide_token
from tools import config

V2_PETS = support.method_arn("GET", "/petstore/v2/pets")
V1_PETS = support.method_arn("GET", "/petstore/v1/pets")
NEWS = support.method_arn("GET", "/news")
REPORTER = support.REPORTER_CLIENT_ID
PARTNER = support.PARTNER_CLIENT_ID


@pytest.fixture
def machine_app(monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, ddb: Any) -> ModuleType:
    """The authorizer with the stack's MACHINE_CLIENTS and the reporter's own item in the table."""
    for name, value in support.machine_env().items():
        monkeypatch.setenv(name, value)
    support.put_client_policies(ddb)
    authorizer_app.reset()
    return authorizer_app


def _store(app: ModuleType) -> policies.PolicyStore:
    store: policies.PolicyStore = app.get_authorizer().store
    return store


# --- accepted ------------------------------------------------------------------------------------


def test_a_client_with_its_own_template_gets_its_item(
    machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    result, response = decide_token(machine_app, f"Bearer {tokens.machine_token(REPORTER)}", V2_PETS)
    assert result == "allow"
    assert response is not None
    assert response["principalId"] == REPORTER
    assert response["policyDocument"] == json.loads(support.render_template("client:reporter"))
    assert response["context"] == {
        "sub": REPORTER,
        "username": "",
        "groups": "",
        "group": "client:reporter",
        "client_id": REPORTER,
        "scope": "api/pets.read api/news.read",
    }
    # The whole item, whatever route asked (API Gateway caches the answer per token).
    _, on_v1 = decide_token(machine_app, tokens.machine_token(REPORTER), V1_PETS)
    assert on_v1 is not None
    assert on_v1["policyDocument"] == response["policyDocument"]


def test_a_client_governed_by_a_group_gets_that_groups_item(
    machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    token = tokens.machine_token(PARTNER, scope="api/pets.write")
    result, response = decide_token(machine_app, token, V1_PETS)
    assert result == "allow"
    assert response is not None
    assert response["policyDocument"] == json.loads(support.render_template("pet-veterinarian"))
    assert response["context"]["group"] == "pet-veterinarian"
    assert response["context"]["groups"] == ""  # it is in no group: the group's item governs it


def test_machine_decisions_share_the_policy_cache_and_its_window(
    machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    """One read per key per POLICY_CACHE_TTL_SECONDS, for every token of the client; a repeated
    token is answered from the verified-token cache."""
    store = _store(machine_app)
    for _ in range(3):
        assert decide_token(machine_app, tokens.machine_token(REPORTER), NEWS)[0] == "allow"
    token = tokens.machine_token(REPORTER)
    assert decide_token(machine_app, token, NEWS)[0] == "allow"
    assert decide_token(machine_app, token, NEWS)[0] == "allow"
    assert store.reads == 1
    assert len(machine_app.get_authorizer().tokens) == 4


def test_with_no_policy_cache_every_machine_decision_reads_the_table(
    monkeypatch: pytest.MonkeyPatch, machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    monkeypatch.setenv("POLICY_CACHE_TTL_SECONDS", "0")
    machine_app.reset()
    token = tokens.machine_token(REPORTER)
    for _ in range(3):
        assert decide_token(machine_app, token, NEWS)[0] == "allow"
    assert _store(machine_app).reads == 3


# --- fail closed -----------------------------------------------------------------------------------


def test_an_unreadable_table_denies_a_machine_and_is_not_cached(
    monkeypatch: pytest.MonkeyPatch, machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    class Down:
        def batch_get_item(self, **_: Any) -> Any:
            raise ConnectionError("table down")

    store = _store(machine_app)
    monkeypatch.setattr(store, "_client", Down())
    token = tokens.machine_token(REPORTER)
    result, response = decide_token(machine_app, token, NEWS)
    assert result == "deny"
    assert response is not None
    assert response["principalId"] == REPORTER
    assert len(machine_app.get_authorizer().tokens) == 0


def test_a_missing_item_denies_a_declared_machine(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    """MACHINE_CLIENTS names a key the table does not hold (the item was removed): Deny, never
    another item's policy."""
    monkeypatch.setenv(
        "MACHINE_CLIENTS", json.dumps({REPORTER: {"policy": "client:gone", "scopes": ["api/a"]}})
    )
    authorizer_app.reset()
    result, response = decide_token(authorizer_app, tokens.machine_token(REPORTER, scope="api/a"), NEWS)
    assert result == "deny"
    assert response is not None
    assert response["context"]["group"] == ""


# --- the attack cases ----------------------------------------------------------------------------


def test_a_client_the_model_does_not_declare_is_refused(
    machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    token = tokens.machine_token(support.UNDECLARED_CLIENT_ID, scope="api/pets.read")
    assert decide_token(machine_app, token, V2_PETS) == ("unauthorized", None)
    # nor does its token pass as a user's
    user_shaped = tokens.token(client_id=support.UNDECLARED_CLIENT_ID, username="svc")
    assert decide_token(machine_app, user_shaped, V2_PETS) == ("unauthorized", None)


@pytest.mark.parametrize(
    "scope", [REMOVE, "", "   ", 42, ["api/pets.read"]], ids=["absent", "empty", "blank", "number", "list"]
)
def test_a_machine_token_without_a_scope_is_refused(
    machine_app: ModuleType, tokens: support.TokenFactory, scope: Any
) -> None:
    assert (
        decide_token(machine_app, tokens.machine_token(REPORTER, scope=scope), V2_PETS)[0] == "unauthorized"
    )


@pytest.mark.parametrize(
    "scope",
    ["api/pets.write", "api/news.read api/pets.write", "api/admin", "openid"],
    ids=["partners-scope", "one-of-two", "undeclared", "oidc"],
)
def test_a_scope_not_declared_for_the_client_is_refused(
    machine_app: ModuleType, tokens: support.TokenFactory, scope: str
) -> None:
    """The reporter may hold api/pets.read and api/news.read only: a token with the partner's
    api/pets.write (Cognito would issue it only if the app client were changed outside the model)."""
    assert decide_token(machine_app, tokens.machine_token(REPORTER, scope=scope), NEWS)[0] == "unauthorized"


@pytest.mark.parametrize(
    "claims",
    [
        {"username": "reporter"},
        {"cognito:groups": ["admin"]},
        {"cognito:groups": []},
        {"cognito:username": "reporter"},
    ],
    ids=["username", "groups", "empty-groups", "cognito-username"],
)
def test_a_machine_token_carrying_a_users_claims_is_refused(
    machine_app: ModuleType, tokens: support.TokenFactory, claims: dict[str, Any]
) -> None:
    token = tokens.machine_token(REPORTER, **claims)
    assert decide_token(machine_app, token, NEWS) == ("unauthorized", None)


def test_a_machine_token_whose_sub_is_not_its_client_is_refused(
    machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    token = tokens.machine_token(REPORTER, sub="11111111-2222-4333-8444-555555555555")
    assert decide_token(machine_app, token, NEWS) == ("unauthorized", None)


@pytest.mark.parametrize("username", [REMOVE, "", " ", 7], ids=["absent", "empty", "blank", "number"])
def test_a_user_clients_token_without_its_user_is_refused(
    machine_app: ModuleType, tokens: support.TokenFactory, username: Any
) -> None:
    """A web-client token shaped like a machine's (no username, a scope, no groups): not a user's
    token, and not a declared machine client's either."""
    token = tokens.token(username=username, scope="api/pets.read", **{"cognito:groups": REMOVE})
    assert decide_token(machine_app, token, NEWS) == ("unauthorized", None)
    assert decide_token(machine_app, tokens.token(username=username), NEWS) == ("unauthorized", None)


def test_a_user_claiming_a_group_named_like_a_clients_item_is_denied(
    machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    """No group of the model can be named `client:<name>`; a token naming one (a group created
    outside the model) gets a Deny, never the client's item, whatever its other groups."""
    for groups in (["client:reporter"], ["admin", "client:reporter"]):
        result, response = decide_token(machine_app, tokens.token(**{"cognito:groups": groups}), NEWS)
        assert result == "deny", groups
        assert response is not None
        assert response["context"]["group"] == ""


def test_a_machine_token_of_another_issuer_or_use_is_refused(
    machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    """The token checks before the client's are the same as for a user's."""
    assert (
        decide_token(machine_app, tokens.machine_token(REPORTER, token_use="id"), NEWS)[0] == "unauthorized"
    )
    assert decide_token(machine_app, tokens.machine_token(REPORTER, iss="https://elsewhere"), NEWS)[0] == (
        "unauthorized"
    )


# --- configuration -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "MACHINE_CLIENTS is not JSON"),
        ("[]", "must be a JSON object"),
        (json.dumps({REPORTER: {"policy": "client:reporter"}}), "must be"),
        (json.dumps({REPORTER: {"policy": "", "scopes": ["api/a"]}}), ".policy: must name"),
        (json.dumps({REPORTER: {"policy": "k", "scopes": []}}), ".scopes: must list"),
        (json.dumps({REPORTER: {"policy": "k", "scopes": ["api/a api/b"]}}), ".scopes: must list"),
        (json.dumps({support.CLIENT_ID: {"policy": "k", "scopes": ["api/a"]}}), "also in ALLOWED_CLIENT_IDS"),
        (json.dumps({REPORTER: {"policy": "k", "scopes": ["api/a"], "x": 1}}), "must be"),
    ],
    ids=[
        "not-json",
        "not-object",
        "no-scopes-key",
        "empty-policy",
        "no-scope",
        "scope-with-space",
        "overlap",
        "extra-key",
    ],
)
def test_a_malformed_machine_clients_variable_is_a_config_error(raw: str, message: str) -> None:
    env = support.authorizer_env("http://127.0.0.1:1/jwks.json", MACHINE_CLIENTS=raw)
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_machine_clients_need_access_tokens() -> None:
    env = support.authorizer_env("http://127.0.0.1:1/jwks.json", TOKEN_USE="id", **support.machine_env())
    with pytest.raises(ConfigError, match="needs TOKEN_USE=access"):
        Settings.from_env(env)


def test_a_misconfigured_authorizer_fails_closed_for_machines(
    monkeypatch: pytest.MonkeyPatch, machine_app: ModuleType, tokens: support.TokenFactory
) -> None:
    monkeypatch.setenv("MACHINE_CLIENTS", "{not json")
    machine_app.reset()
    assert decide_token(machine_app, tokens.machine_token(REPORTER), NEWS) == ("unauthorized", None)


def test_no_machine_clients_means_no_machine_is_accepted(
    authorizer_app: ModuleType, tokens: support.TokenFactory
) -> None:
    assert Settings.from_env(support.authorizer_env("http://127.0.0.1:1/j")).machine_clients == {}
    assert decide_token(authorizer_app, tokens.machine_token(REPORTER), NEWS) == ("unauthorized", None)


def test_the_reserved_prefix_is_the_access_models() -> None:
    assert machines.MACHINE_KEY_PREFIX == config.MACHINE_POLICY_PREFIX
    keys = {c.policy_key for c in config.load_access_model().machine_clients.values() if c.template}
    assert keys
    assert all(machines.is_reserved_group(k) for k in keys)
    assert not any(machines.is_reserved_group(g) for g in config.load_access_model().groups)

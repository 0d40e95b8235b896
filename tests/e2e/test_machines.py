"""Machine callers end to end, beyond their contract cells (those are checked by the live-matrix
engine in tests/e2e/test_matrix.py, as for every kind of user).

The callers are the stack's (`stack.json` `machines`: each declared machine client of the access
model, with the secret a service reads with DescribeUserPoolClient, and one client of the pool the
model does not declare); they are the contract's. Here: a machine client refuses to call an iam
route (it has no identity-pool credentials) and the identity pool refuses a machine token as a
login; a well-behaved client asks for one token for many calls (the emulator's count shows it), and
`python -m local call --client` reuses its token across runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError as AwsClientError

from local import __main__ as local_cli
from local.client import ClientError, MachineSession, find_machine
from local.cognito_idp.token_requests import issued_tokens
from tests.e2e.support import collection_env, public_client
from tools import config, contract

CFG = config.load(collection_env())
PROMISED = contract.load().section(contract.MACHINES)


@pytest.fixture(scope="module")
def machine_sessions(stack: dict[str, Any]) -> dict[str, MachineSession]:
    """One session per machine caller for the module: each fetches its token once."""
    return {m["name"]: MachineSession.for_machine(stack, m) for m in stack["machines"]}


def test_the_machines_are_the_contracts(stack: dict[str, Any]) -> None:
    described = {m["name"]: m for m in stack["machines"]}
    assert set(described) == set(PROMISED), "every machine caller needs its promise in the contract"
    for name, machine in described.items():
        promise = PROMISED[name]
        assert machine["declared"] == promise.declared, name
        assert set(machine["scopes"]) == set(promise.scopes), name
        assert machine["policy_key"] == promise.policy, name
    assert {m.declared for m in PROMISED.values()} == {True, False}


def test_a_machine_client_does_not_call_an_iam_route(machine_sessions: dict[str, MachineSession]) -> None:
    iam = next(r for r in CFG.routes.values() if r.auth == "iam")
    for session in machine_sessions.values():
        with pytest.raises(ClientError, match="identity pools do not federate client-credentials tokens"):
            session.request(iam.method, iam.path, auth="iam")
        assert session.tokens.fetched == 0, "no token is fetched for a call that cannot be made"


def test_a_machine_token_is_no_identity_pool_login(stack: dict[str, Any]) -> None:
    """Identity pools federate ID tokens; a client-credentials access token has no user to map."""
    reporter = MachineSession.for_machine(stack, find_machine(stack, "reporter"))
    provider = f"cognito-idp.{stack['region']}.amazonaws.com/{stack['user_pool_id']}"
    identity = public_client(stack, "cognito-identity")
    with pytest.raises(AwsClientError) as refused:
        identity.get_id(IdentityPoolId=stack["identity_pool_id"], Logins={provider: reporter.tokens.token()})
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


@pytest.mark.local_only
def test_a_well_behaved_client_asks_for_one_token_for_many_calls(stack: dict[str, Any]) -> None:
    """What the emulator counts is what Cognito bills: token requests per client."""
    reporter = find_machine(stack, "reporter")
    session = MachineSession.for_machine(stack, reporter)

    def issued() -> int:
        counts = issued_tokens(stack["emulator_url"], stack["user_pool_id"])
        return counts.get("client_credentials", {}).get(reporter["client_id"], 0)

    before = issued()
    for _ in range(5):
        assert session.request("GET", "/news").status_code == 200
    assert issued() == before + 1
    assert (session.tokens.fetched, session.tokens.reused) == (1, 4)


@pytest.mark.local_only
def test_call_client_reuses_its_token_across_runs(
    stack: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m local call --client NAME METHOD PATH`: the second run reuses the first run's token."""
    stack_file = tmp_path / "stack.json"
    stack_file.write_text(json.dumps(stack))
    store = tmp_path / "tokens.json"
    reporter = find_machine(stack, "reporter")

    def issued() -> int:
        counts = issued_tokens(stack["emulator_url"], stack["user_pool_id"])
        return counts.get("client_credentials", {}).get(reporter["client_id"], 0)

    before = issued()
    argv = ["call", "--client", "reporter", "--stack", str(stack_file), "--token-store", str(store)]
    assert local_cli.main([*argv, "GET", "/news"]) == 0
    first = capsys.readouterr()
    assert first.out.startswith("HTTP 200")
    assert "token: fetched a new one" in first.err
    assert local_cli.main([*argv, "GET", "/petstore/v2/pets"]) == 0
    second = capsys.readouterr()
    assert second.out.startswith("HTTP 200")
    assert "token: reused" in second.err
    assert issued() == before + 1
    assert local_cli.main([*argv, "GET", "/petstore/v2/status"]) == 1  # 403: not in its policy
    assert capsys.readouterr().out.startswith("HTTP 403")
    assert local_cli.main([*argv, "GET", "/cip"]) == 2  # iam: impossible for a machine
    assert "identity pools do not federate" in capsys.readouterr().err

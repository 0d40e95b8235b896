"""Machine callers end to end: every machine caller x every route through the deployed API keeps the
access contract's `machines:` section, and a machine client behaves as a well-behaved client should.

The callers are the stack's (`stack.json` `machines`: each declared machine client of the access
model, with the secret a service reads with DescribeUserPoolClient, and one client of the pool the
model does not declare). Each calls with an access token from the client-credentials grant, fetched
once and reused (local.client.MachineSession). iam routes are `not_applicable`: the client refuses
to make the call (a machine has no identity-pool credentials), and the identity pool refuses a
machine token as a login.

The cells are known at collection time (`local.demo_data.demo_machines` for the local stack, the
stack.json FGA_STACK_JSON names otherwise); `test_the_machines_are_the_contracts` checks them.
(Until the live-matrix engine that `make up` and `make verify` share gains machine callers, these
tests are where the live answers to machine callers meet the contract.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError as AwsClientError

from local import __main__ as local_cli
from local.client import ClientError, MachineSession, find_machine
from local.cognito_idp.token_requests import issued_tokens
from local.demo_data import demo_machines
from local.stack import ENV as LOCAL_ENV
from tests.e2e.support import UNAUTHORIZED_BODY, public_client
from tests.stack_fixture import STACK_JSON_ENV
from tools import config, contract
from tools.matrix import ALLOW, NOT_APPLICABLE, UNAUTHORIZED, matches, probe


def _collection_env_and_machines() -> tuple[str, list[str]]:
    path = os.environ.get(STACK_JSON_ENV)
    if path:
        described = json.loads(Path(path).read_text())
        return str(described["environment"]), [str(m["name"]) for m in described.get("machines") or []]
    return LOCAL_ENV, [m.name for m in demo_machines(config.load(LOCAL_ENV))]


ENV, MACHINES = _collection_env_and_machines()
CFG = config.load(ENV)
PROMISED = contract.load().section(contract.MACHINES)
CELLS = [
    pytest.param(machine, route.name, id=f"{machine}-{route.name}")
    for machine in MACHINES
    for route in CFG.routes.values()
]


@pytest.fixture(scope="module")
def machine_sessions(stack: dict[str, Any]) -> dict[str, MachineSession]:
    """One session per machine caller for the module: each fetches its token once."""
    return {m["name"]: MachineSession.for_machine(stack, m) for m in stack["machines"]}


def test_the_machines_are_the_contracts(stack: dict[str, Any]) -> None:
    described = {m["name"]: m for m in stack["machines"]}
    assert list(described) == MACHINES
    assert set(described) == set(PROMISED), "every machine caller needs its promise in the contract"
    for name, machine in described.items():
        promise = PROMISED[name]
        assert machine["declared"] == promise.declared, name
        assert set(machine["scopes"]) == set(promise.scopes), name
        assert machine["policy_key"] == promise.policy, name
    assert {m.declared for m in PROMISED.values()} == {True, False}


@pytest.mark.parametrize(("machine", "route_name"), CELLS)
def test_live_status_keeps_the_contract(
    machine_sessions: dict[str, MachineSession], machine: str, route_name: str
) -> None:
    route = CFG.routes[route_name]
    request = probe(route)
    promised = PROMISED[machine].outcomes[(route_name, request.method)]
    session = machine_sessions[machine]
    if promised == NOT_APPLICABLE:
        assert route.auth == "iam"
        with pytest.raises(ClientError, match="identity pools do not federate client-credentials tokens"):
            session.request(request.method, request.path, request.body, auth=route.auth)
        return
    response = session.request(request.method, request.path, request.body, auth=route.auth)
    label = "2xx (the handler answered)" if promised == ALLOW else str(promised)
    assert matches(promised, response.status_code), (
        f"{machine} {request.method} {request.path} [{route.auth}]: got {response.status_code}, "
        f"the contract promises {label}: {response.text[:300]}"
    )
    if promised == UNAUTHORIZED:
        assert response.json() == UNAUTHORIZED_BODY  # API Gateway's own 401, in both modes
    assert session.tokens.fetched <= 1, "a machine session reuses its token"


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

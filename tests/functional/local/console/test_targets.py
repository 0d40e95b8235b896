"""The console's call targets against the emulator: every probe it sends leaves the records table
as it found it (disposable items for the collection DELETE, the caller's own record put back after a
profile write), only the caller's own record can be put back, and a call nobody finishes is undone
anyway. local/console/targets.py."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from local.console.targets import FIXTURE_NOTE, UNDO_NOTE, TargetRefused, Targets
from local.demo_data import news_item
from local.emulator.server import EmulatorHandle
from tests.functional.local.support import ACCOUNT, PASSWORD, REGION, UserPool, World
from tools import config
from tools.config import Route
from tools.live.probes import READ_METHODS
from tools.live.records import RUN_ATTRIBUTE
from tools.matrix import probe

ROUTES = config.load("local").routes


@pytest.fixture(scope="module")
def db(emulator: EmulatorHandle) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def pool(world: World) -> UserPool:
    return world.user_pool()


@pytest.fixture(scope="module")
def stack(world: World, pool: UserPool, db: Any) -> dict[str, Any]:
    db.create_table(
        TableName="records",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    return {
        "environment": "local",
        "region": REGION,
        "account_id": ACCOUNT,
        "emulator_url": world.url,
        "user_pool_id": pool.pool_id,
        "user_pool_client_id": pool.client_id,
        "identity_pool_id": world.identity_pool(user_pools=(pool,)),
        "tables": {"records": "records", "policies": "policies"},
    }


@pytest.fixture
def targets(stack: dict[str, Any], db: Any) -> Iterator[Targets]:
    handle = Targets(stack)
    yield handle
    handle.close()
    for item in _table(db):  # each test starts from an empty table
        db.delete_item(TableName="records", Key={"pk": item["pk"], "sk": item["sk"]})


def _table(db: Any) -> list[dict[str, Any]]:
    return sorted(db.scan(TableName="records")["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _profile(partition: str, name: str) -> dict[str, Any]:
    return {"pk": {"S": partition}, "sk": {"S": "profile"}, "name": {"S": name}, "version": {"N": "3"}}


def _sub(world: World, pool: UserPool, token: str) -> str:
    user = world.idp.get_user(AccessToken=token)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def _signed_in(world: World, pool: UserPool) -> tuple[str, str]:
    """(ID token, sub) of a new user of the pool."""
    tokens = world.sign_in(pool, world.user(pool))
    return tokens["IdToken"], _sub(world, pool, tokens["AccessToken"])


def _write_routes() -> list[str]:
    return [name for name, route in ROUTES.items() if probe(route).method not in READ_METHODS]


def test_reads_are_the_matrix_probe_and_need_nothing_undone(targets: Targets, db: Any) -> None:
    reads = [name for name in ROUTES if name not in _write_routes()]
    assert {"news-get", "pets-v1-item", "cup-email"} <= set(reads)
    for name in reads:
        target = targets.prepare(name, None)  # no token needed: nothing to find out about the caller
        expected = probe(ROUTES[name])
        assert (target.method, target.path, target.body, target.ticket) == (
            expected.method,
            expected.path,
            expected.body,
            None,
        )
    assert targets.pending == 0
    assert _table(db) == []


def test_every_write_the_console_sends_is_aimed_or_undone(
    targets: Targets, world: World, pool: UserPool, db: Any
) -> None:
    """No console probe is a write the rule cannot undo (a new route with one fails here)."""
    token, _ = _signed_in(world, pool)
    writes = _write_routes()
    assert {"news-delete", "cip-post", "cup-post"} <= set(writes)
    prepared = [targets.prepare(name, token) for name in writes]
    assert all(t.ticket for t in prepared)
    assert {t.note for t in prepared} == {FIXTURE_NOTE, UNDO_NOTE}
    for target in prepared:
        assert targets.finish(str(target.ticket))
        assert not targets.finish(str(target.ticket))  # once
    assert _table(db) == []


def test_the_collection_delete_is_narrowed_to_an_item_written_for_the_call(targets: Targets, db: Any) -> None:
    seeded = news_item("Welcome", "seeded by make up")
    db.put_item(TableName="records", Item=seeded)
    before = _table(db)

    target = targets.prepare("news-delete", None)  # the disposable item is nobody's: no token needed

    assert target.method == "DELETE"
    assert urlsplit(target.path).path == "/news"
    (item_id,) = parse_qs(urlsplit(target.path).query)["id"]
    assert item_id != seeded["sk"]["S"]
    written = [i for i in _table(db) if i not in before]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in written] == [("news", item_id)]
    assert RUN_ATTRIBUTE in written[0]
    assert targets.finish(str(target.ticket))
    assert _table(db) == before

    # The API deleted it (an admin's call): finishing is still clean, the seeded item stays.
    target = targets.prepare("news-delete", None)
    (item_id,) = parse_qs(urlsplit(target.path).query)["id"]
    db.delete_item(TableName="records", Key={"pk": {"S": "news"}, "sk": {"S": item_id}})
    assert targets.finish(str(target.ticket))
    assert _table(db) == before


def test_a_profile_write_is_put_back_as_it_was(
    targets: Targets, world: World, pool: UserPool, db: Any
) -> None:
    token, sub = _signed_in(world, pool)
    partition = f"sub#{sub}"

    # No record before the call: the one the call writes is deleted.
    target = targets.prepare("cup-post", token)
    assert (target.method, target.path, target.note) == ("POST", "/cup", UNDO_NOTE)
    db.put_item(TableName="records", Item=_profile(partition, "written by the call"))
    targets.finish(str(target.ticket))
    assert _table(db) == []

    # A record before the call: it is put back exactly.
    original = _profile(partition, "Ada")
    db.put_item(TableName="records", Item=original)
    target = targets.prepare("cup-post", token)
    db.put_item(
        TableName="records", Item=_profile(partition, "written by the call") | {"version": {"N": "4"}}
    )
    targets.finish(str(target.ticket))
    assert _table(db) == [original]


def test_an_iam_profile_write_is_keyed_by_the_callers_identity(
    targets: Targets, world: World, pool: UserPool, stack: dict[str, Any], db: Any
) -> None:
    token, sub = _signed_in(world, pool)
    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool.pool_id}"
    identity = world.identity.get_id(IdentityPoolId=stack["identity_pool_id"], Logins={provider: token})
    mine = _profile(f"identity#{identity['IdentityId']}", "before")
    by_sub = _profile(f"sub#{sub}", "the user_pool record: not what /cip writes")
    db.put_item(TableName="records", Item=mine)
    db.put_item(TableName="records", Item=by_sub)

    target = targets.prepare("cip-post", token)
    db.put_item(TableName="records", Item=mine | {"name": {"S": "after"}})
    db.put_item(TableName="records", Item=by_sub | {"name": {"S": "changed by something else"}})
    targets.finish(str(target.ticket))

    left = {i["pk"]["S"]: i["name"]["S"] for i in _table(db)}
    assert left == {mine["pk"]["S"]: "before", by_sub["pk"]["S"]: "changed by something else"}


def test_only_the_callers_own_record_is_ever_put_back(
    targets: Targets, world: World, pool: UserPool, db: Any
) -> None:
    token, _ = _signed_in(world, pool)
    _, other_sub = _signed_in(world, pool)
    other = _profile(f"sub#{other_sub}", "someone else's")
    target = targets.prepare("cup-post", token)
    db.put_item(TableName="records", Item=other)  # written while the call is in flight
    targets.finish(str(target.ticket))
    assert _table(db) == [other]


def _forged(token: str) -> str:
    """`token` with another caller's `sub` in its payload (the signature no longer matches)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "00000000-0000-0000-0000-000000000000"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("case", ["none", "garbage", "forged", "other client", "other pool", "access token"])
def test_a_write_of_the_callers_record_needs_a_valid_id_token_of_the_web_client(
    targets: Targets, world: World, pool: UserPool, db: Any, case: str
) -> None:
    if case == "other client":
        client = world.client(
            pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        )
        user = world.user(pool)
        token: str | None = world.idp.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]["IdToken"]
    elif case == "other pool":
        token = world.id_token(world.user_pool())
    elif case == "forged":
        token = _forged(world.id_token(pool))
    elif case == "access token":
        token = world.sign_in(pool, world.user(pool))["AccessToken"]
    else:
        token = {"none": None, "garbage": "a.b.c"}[case]
    for route in ("cup-post", "cip-post"):
        with pytest.raises(TargetRefused) as refused:
            targets.prepare(route, token)
        assert refused.value.status == 401, refused.value.message
        assert "sign in again" in refused.value.message or "identity pool" in refused.value.message
    assert targets.pending == 0
    assert _table(db) == []


def test_calls_in_flight_on_one_record_share_the_state_before_the_first(
    targets: Targets, world: World, pool: UserPool, db: Any
) -> None:
    token, sub = _signed_in(world, pool)
    original = _profile(f"sub#{sub}", "Ada")
    db.put_item(TableName="records", Item=original)
    first = targets.prepare("cup-post", token)
    db.put_item(TableName="records", Item=_profile(f"sub#{sub}", "first call"))
    second = targets.prepare("cup-post", token)  # reads no new baseline: "first call" is not it
    db.put_item(TableName="records", Item=_profile(f"sub#{sub}", "second call"))
    targets.finish(str(first.ticket))
    assert _table(db)[0]["name"]["S"] == "second call"  # the second call is still in flight
    targets.finish(str(second.ticket))
    assert _table(db) == [original]


def test_a_call_nobody_finishes_is_undone_by_its_timer_and_by_close(
    stack: dict[str, Any], world: World, pool: UserPool, db: Any
) -> None:
    token, sub = _signed_in(world, pool)
    timed = Targets(stack, ticket_seconds=0.01)
    target = timed.prepare("news-delete", None)
    timer = timed._tickets[str(target.ticket)].timer  # the timer thread, to wait for it
    assert timer is not None
    timer.join(timeout=10)
    assert timed.pending == 0
    assert _table(db) == []

    held = Targets(stack)
    held.prepare("news-delete", None)
    held.prepare("cup-post", token)
    db.put_item(TableName="records", Item=_profile(f"sub#{sub}", "written by the call"))
    assert len(_table(db)) == 2
    held.close()
    assert held.pending == 0
    assert _table(db) == []


def test_calls_in_flight_are_bounded_and_unknown_routes_refused(
    stack: dict[str, Any], db: Any, targets: Targets
) -> None:
    bounded = Targets(stack, max_pending=1)
    first = bounded.prepare("news-delete", None)
    with pytest.raises(TargetRefused) as refused:
        bounded.prepare("news-delete", None)
    assert refused.value.status == 429
    assert len(_table(db)) == 1  # the refused call wrote nothing
    bounded.finish(str(first.ticket))
    bounded.close()
    with pytest.raises(TargetRefused) as unknown:
        targets.prepare("no-such-route", None)
    assert unknown.value.status == 404
    assert _table(db) == []


def test_a_write_the_console_could_not_undo_is_not_sent(
    targets: Targets, world: World, pool: UserPool, db: Any
) -> None:
    """A POST that creates a pet names its id only in the answer the page reads: refused."""
    create = Route(name="pets-create", path="/petstore/v1/pets", method="POST", auth="lambda", handler="pets")
    targets.routes = {**targets.routes, create.name: create}
    token, _ = _signed_in(world, pool)
    with pytest.raises(TargetRefused) as refused:
        targets.prepare("pets-create", token)
    assert refused.value.status == 409
    assert "could not undo" in refused.value.message
    assert targets.pending == 0
    assert _table(db) == []

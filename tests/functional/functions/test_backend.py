"""Backend handlers (profiles, pets, news) on REST v1 proxy events against in-process moto DynamoDB."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.client
import news
import pets
import profiles
import pytest
from backend_core import news_records, store

from tests.functional.functions import support

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


# --- event builders ---------------------------------------------------------------------------


def iam_event(
    identity_id: str, method: str = "POST", body: object = None, resource: str = "/cip"
) -> dict[str, Any]:
    event = support.load_event("proxy_iam.json")
    event["requestContext"]["identity"]["cognitoIdentityId"] = identity_id
    return _shape(event, method, body, resource)


def user_pool_event(
    sub: str, method: str = "POST", body: object = None, resource: str = "/cup", **claims: str
) -> dict[str, Any]:
    event = support.load_event("proxy_user_pool.json")
    event["requestContext"]["authorizer"]["claims"]["sub"] = sub
    event["requestContext"]["authorizer"]["claims"].update(claims)
    return _shape(event, method, body, resource)


def lambda_event(
    sub: str, method: str = "GET", body: object = None, resource: str = "/petstore/v1/pets"
) -> dict[str, Any]:
    event = support.load_event("proxy_lambda.json")
    event["requestContext"]["authorizer"].update({"sub": sub, "principalId": sub})
    return _shape(event, method, body, resource)


def _shape(event: dict[str, Any], method: str, body: object, resource: str) -> dict[str, Any]:
    event["httpMethod"] = method
    event["requestContext"]["httpMethod"] = method
    event["resource"] = event["path"] = resource
    event["requestContext"]["resourcePath"] = resource
    if body is None:
        event["body"] = None
    elif isinstance(body, str):
        event["body"] = body
    else:
        event["body"] = json.dumps(body)
    return event


def call(handler: Handler, event: dict[str, Any]) -> tuple[int, Any]:
    response = handler(event, None)
    assert response["headers"]["Content-Type"] == "application/json"
    assert isinstance(response["body"], str)
    return response["statusCode"], json.loads(response["body"])


def table_items(client: Any) -> list[dict[str, Any]]:
    """The whole records table (tests may scan; handlers never do)."""
    items = client.scan(TableName=support.RECORDS_TABLE)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


PROFILE = {"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"}
IDENTITY_A = "us-east-1:aaaaaaaa-0000-4000-8000-000000000001"
IDENTITY_B = "us-east-1:bbbbbbbb-0000-4000-8000-000000000002"
SUB_A = "aaaaaaaa-1111-4111-8111-000000000001"
SUB_B = "bbbbbbbb-1111-4111-8111-000000000002"


# --- profiles: identity and isolation, in each mode -------------------------------------------

MODES: dict[str, tuple[Callable[..., dict[str, Any]], str, str, str]] = {
    "iam": (iam_event, IDENTITY_A, IDENTITY_B, "identity#"),
    "user_pool": (user_pool_event, SUB_A, SUB_B, "sub#"),
    "lambda": (lambda_event, SUB_A, SUB_B, "sub#"),
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_profile_round_trip_is_keyed_by_the_verified_identity(mode: str, backend: Any) -> None:
    build, a, _, prefix = MODES[mode]
    resource = {"iam": "/cip", "user_pool": "/cup", "lambda": "/cup"}[mode]
    status, body = call(profiles.handler, build(a, "POST", PROFILE, resource=resource))
    assert status == 200
    assert body["profile"]["name"] == "Ada"
    assert body["profile"]["version"] == 1
    status, body = call(profiles.handler, build(a, "GET", None, resource=resource))
    assert status == 200
    assert {k: body["profile"][k] for k in PROFILE} == PROFILE
    items = table_items(backend)
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in items] == [(prefix + a, "profile")]


@pytest.mark.parametrize("mode", sorted(MODES))
def test_user_b_can_neither_read_nor_write_user_a(mode: str, backend: Any) -> None:
    build, a, b, _ = MODES[mode]
    resource = "/cip" if mode == "iam" else "/cup"
    assert call(profiles.handler, build(a, "POST", PROFILE, resource=resource))[0] == 200
    before = table_items(backend)
    status, body = call(profiles.handler, build(b, "GET", None, resource=resource))
    assert (status, body) == (200, {"profile": None})
    # B writes "over" A by naming A's key in the body: refused, nothing written.
    for key_field in ("pk", "sk", "sub", "cognitoIdentityId", "identityId", "id", "provider"):
        attack = {**PROFILE, "name": "Mallory", key_field: f"x#{a}"}
        assert call(profiles.handler, build(b, "POST", attack, resource=resource))[0] == 400
    assert table_items(backend) == before
    # B's own write lands under B's key and leaves A's record as it was.
    assert call(profiles.handler, build(b, "POST", {**PROFILE, "name": "Bob"}, resource=resource))[0] == 200
    a_item = next(i for i in table_items(backend) if i["pk"]["S"].endswith(a))
    assert a_item == before[0]
    assert call(profiles.handler, build(a, "GET", None, resource=resource))[1]["profile"]["name"] == "Ada"


def test_identity_query_or_path_parameters_are_ignored(backend: Any) -> None:
    event = iam_event(IDENTITY_B, "GET")
    call(profiles.handler, iam_event(IDENTITY_A, "POST", PROFILE))
    event["queryStringParameters"] = {"identityId": IDENTITY_A, "pk": f"identity#{IDENTITY_A}"}
    event["pathParameters"] = {"id": IDENTITY_A}
    assert call(profiles.handler, event) == (200, {"profile": None})


# The names an attacker would put another caller's id under, and where (issue 22, point 11: a
# handler taking `sub` from the query string failed no test in user_pool and lambda modes).
SPOOFED_NAMES = ("sub", "userId", "principalId", "identityId", "cognitoIdentityId", "username", "id")


def _spoof(event: dict[str, Any], where: str, victim: str) -> dict[str, Any]:
    named = dict.fromkeys(SPOOFED_NAMES, victim)
    if where == "query":
        event["queryStringParameters"] = named
        event["multiValueQueryStringParameters"] = {name: [victim] for name in SPOOFED_NAMES}
    elif where == "path":
        event["pathParameters"] = named
    else:  # body: a GET carrying one, and a POST whose profile names the victim too
        body = json.loads(event["body"]) if event.get("body") else {}
        event["body"] = json.dumps({**body, **named})
    return event


@pytest.mark.parametrize("where", ["query", "path", "body"])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_another_callers_id_in_the_request_is_never_the_identity(mode: str, where: str, backend: Any) -> None:
    """B names A's id (raw, and as A's record key) under every name an attacker would try, in the
    query string, the path parameters or the body: B reads only B's record, writes land under B's
    key (or are refused, for a body naming key fields), and A's record never changes."""
    build, a, b, prefix = MODES[mode]
    resource = "/cip" if mode == "iam" else "/cup"
    assert call(profiles.handler, build(a, "POST", PROFILE, resource=resource))[0] == 200
    a_record = table_items(backend)
    for victim in (a, prefix + a):
        status, body = call(profiles.handler, _spoof(build(b, "GET", None, resource=resource), where, victim))
        assert status == 200
        assert body["profile"] is None or body["profile"]["name"] == "Mallory", (victim, body)  # never A's
        write = _spoof(build(b, "POST", {**PROFILE, "name": "Mallory"}, resource=resource), where, victim)
        status, body = call(profiles.handler, write)
        assert status == (400 if where == "body" else 200), body
        items = table_items(backend)
        assert [i for i in items if i["pk"]["S"] == prefix + a] == a_record
        assert {i["pk"]["S"] for i in items} <= {prefix + a, prefix + b}
    status, body = call(profiles.handler, build(a, "GET", None, resource=resource))
    assert (status, body["profile"]["name"]) == (200, "Ada")
    if where != "body":  # B's writes went to B's own record
        assert (
            call(profiles.handler, build(b, "GET", None, resource=resource))[1]["profile"]["name"]
            == "Mallory"
        )


def test_same_id_in_two_modes_are_two_records(backend: Any) -> None:
    shared = "us-east-1:cccccccc-0000-4000-8000-000000000003"
    call(profiles.handler, iam_event(shared, "POST", PROFILE))
    assert call(profiles.handler, lambda_event(shared, "GET", resource="/cup")) == (200, {"profile": None})


@pytest.mark.parametrize(
    "mutate",
    [
        lambda rc: rc.pop("identity"),
        lambda rc: rc["identity"].update(cognitoIdentityId=None),
        lambda rc: rc["identity"].update(cognitoIdentityId="../../etc"),
        lambda rc: rc["identity"].update(cognitoIdentityId="x" * 300),
        lambda rc: rc.update(authorizer={"claims": {"sub": SUB_A}}),  # two identities at once
        lambda rc: rc.update(authorizer={"sub": SUB_A, "principalId": SUB_B}),
    ],
    ids=["no-identity", "null-identity", "bad-chars", "too-long", "two-modes", "sub-vs-principal"],
)
def test_missing_or_ambiguous_identity_is_403_and_writes_nothing(mutate: Any, backend: Any) -> None:
    event = iam_event(IDENTITY_A, "POST", PROFILE)
    mutate(event["requestContext"])
    status, body = call(profiles.handler, event)
    assert status == 403
    assert "message" in body
    assert table_items(backend) == []


def test_user_pool_profile_defaults_come_from_the_token_claims(backend: Any) -> None:
    """S3: names from given_name/family_name/email of the verified ID token."""
    status, body = call(profiles.handler, user_pool_event(SUB_A, "POST", {}))
    assert status == 200
    assert body["profile"]["name"] == "Grace"
    assert body["profile"]["surname"] == "Hopper"
    assert body["profile"]["email"] == "grace@example.com"
    assert body["profile"]["provider"] == "cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"
    assert table_items(backend)[0]["pk"]["S"] == f"sub#{SUB_A}"


@pytest.mark.parametrize("flag", ["false", None])
def test_an_unverified_token_email_is_not_stored_or_served(flag: str | None, backend: Any) -> None:
    """A user may have changed `email` without verifying it: the backend refuses to take it as theirs."""
    event = user_pool_event(SUB_A, "POST", {}, email="victim@example.com")
    claims = event["requestContext"]["authorizer"]["claims"]
    if flag is None:
        del claims["email_verified"]
    else:
        claims["email_verified"] = flag
    status, body = call(profiles.handler, event)
    assert status == 400
    assert "not verified" in body["message"]
    assert table_items(backend) == []

    email_event = user_pool_event(SUB_A, "GET", resource="/cup/email", email="victim@example.com")
    email_event["requestContext"]["authorizer"]["claims"]["email_verified"] = "false"
    assert call(profiles.handler, email_event) == (200, {"email": None})


def test_iam_provider_comes_from_the_request_context(backend: Any) -> None:
    _, body = call(profiles.handler, iam_event(IDENTITY_A, "POST", PROFILE))
    assert body["profile"]["provider"] == "cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"


def test_email_route(backend: Any) -> None:
    status, body = call(profiles.handler, user_pool_event(SUB_A, "GET", resource="/cup/email"))
    assert (status, body) == (200, {"email": "grace@example.com"})
    call(profiles.handler, user_pool_event(SUB_A, "POST", {**PROFILE}))
    assert call(profiles.handler, user_pool_event(SUB_A, "GET", resource="/cup/email"))[1] == {
        "email": "ada@example.com"
    }
    assert call(profiles.handler, user_pool_event(SUB_A, "POST", PROFILE, resource="/cup/email"))[0] == 405


# --- profiles: validation leaves the table unchanged ------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD_BODIES: dict[str, tuple[object, bool]] = {
    "not-json": ("{name: Ada", False),
    "json-list": (json.dumps([PROFILE]), False),
    "json-string": (json.dumps("Ada"), False),
    "empty": ("", False),
    "missing-email": ({"name": "Ada", "surname": "Lovelace"}, False),
    "empty-name": ({**PROFILE, "name": "   "}, False),
    "long-name": ({**PROFILE, "name": "A" * 101}, False),
    "long-email": ({**PROFILE, "email": "a" * 250 + "@example.com"}, False),
    "not-an-email": ({**PROFILE, "email": "ada.example.com"}, False),
    "number-name": ({**PROFILE, "name": 42}, False),
    "null-surname": ({**PROFILE, "surname": None}, False),
    "control-chars": ({**PROFILE, "name": "Ada\u0000"}, False),
    "unknown-field": ({**PROFILE, "role": "admin"}, False),
    "key-field": ({**PROFILE, "pk": "identity#someone-else"}, False),
    "bad-version": ({**PROFILE, "version": "1"}, False),
    "bool-version": ({**PROFILE, "version": True}, False),
    "zero-version": ({**PROFILE, "version": 0}, False),
    "oversized-body": (json.dumps({**PROFILE, "pad": "x" * 20000}), False),
    "deeply-nested": ('{"name": ' + "[" * 5000, False),
    "bad-base64": ("!!!notbase64!!!", True),
    "base64-of-garbage": (base64.b64encode(b"\xff\xfe").decode(), True),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_invalid_body_is_400_and_changes_nothing(case: str, backend: Any) -> None:
    call(profiles.handler, iam_event(IDENTITY_A, "POST", PROFILE))
    before = table_items(backend)
    body, encoded = BAD_BODIES[case]
    event = iam_event(IDENTITY_A, "POST", body)
    event["isBase64Encoded"] = encoded
    status, answer = call(profiles.handler, event)
    assert status == 400
    assert isinstance(answer["message"], str)
    assert answer["message"]
    assert table_items(backend) == before


def test_base64_body_is_accepted(backend: Any) -> None:
    event = iam_event(IDENTITY_A, "POST", _b64(json.dumps(PROFILE)))
    event["isBase64Encoded"] = True
    assert call(profiles.handler, event)[0] == 200


def test_wrong_method_is_405_with_allow(backend: Any) -> None:
    response = profiles.handler(iam_event(IDENTITY_A, "DELETE"), None)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, POST"


# --- profiles: concurrent updates -------------------------------------------------------------


def test_stale_version_is_409_and_does_not_overwrite(backend: Any) -> None:
    _, first = call(profiles.handler, iam_event(IDENTITY_A, "POST", PROFILE))
    version = first["profile"]["version"]
    # Two clients read version 1 and both write back.
    status_1, one = call(
        profiles.handler, iam_event(IDENTITY_A, "POST", {**PROFILE, "name": "One", "version": version})
    )
    status_2, two = call(
        profiles.handler, iam_event(IDENTITY_A, "POST", {**PROFILE, "name": "Two", "version": version})
    )
    assert (status_1, status_2) == (200, 409)
    assert one["profile"]["version"] == version + 1
    assert "version" in two["message"]
    stored = call(profiles.handler, iam_event(IDENTITY_A, "GET"))[1]["profile"]
    assert stored["name"] == "One"
    assert stored["version"] == version + 1


def test_version_for_a_missing_record_is_409(backend: Any) -> None:
    assert call(profiles.handler, iam_event(IDENTITY_A, "POST", {**PROFILE, "version": 3}))[0] == 409
    assert table_items(backend) == []


def test_every_write_increments_the_version(backend: Any) -> None:
    versions = [
        call(profiles.handler, iam_event(IDENTITY_A, "POST", PROFILE))[1]["profile"]["version"]
        for _ in range(3)
    ]
    assert versions == [1, 2, 3]


# --- responses: headers, errors, logs ---------------------------------------------------------


def test_no_cors_header_unless_configured(monkeypatch: pytest.MonkeyPatch, backend: Any) -> None:
    event = iam_event(IDENTITY_A, "GET")
    event["headers"]["Origin"] = "https://evil.example"
    assert "Access-Control-Allow-Origin" not in profiles.handler(event, None)["headers"]
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "https://app.example.com")
    assert "Access-Control-Allow-Origin" not in profiles.handler(event, None)["headers"]
    event["headers"]["Origin"] = "https://app.example.com"
    headers = profiles.handler(event, None)["headers"]
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Vary"] == "Origin"
    assert headers["Cache-Control"] == "no-store"


def test_missing_table_name_is_500_without_details(monkeypatch: pytest.MonkeyPatch, backend: Any) -> None:
    monkeypatch.delenv("TABLE_NAME")
    assert call(profiles.handler, iam_event(IDENTITY_A, "GET")) == (500, {"message": "Internal server error"})


def test_log_line_per_request_without_body_or_credentials(
    capsys: pytest.CaptureFixture[str], backend: Any
) -> None:
    capsys.readouterr()
    call(profiles.handler, iam_event(IDENTITY_A, "POST", PROFILE))
    call(profiles.handler, iam_event(IDENTITY_A, "POST", "{broken"))
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["function"], line["status"]) for line in lines] == [("profiles", 200), ("profiles", 400)]
    assert lines[0]["request_id"] == "0d3f2b3a-7c61-4a8e-8f5e-2b1d7f9a6c01"
    for secret in ("ada@example.com", "Lovelace", "<session token>", "Signature="):
        assert secret not in out


# --- pets -------------------------------------------------------------------------------------


def test_pets_v1_collection(backend: Any) -> None:
    status, body = call(pets.handler, lambda_event(SUB_A))
    assert status == 200
    assert [p["id"] for p in body["pets"]] == ["1", "2", "3"]
    assert body["next"] is None
    status, created = call(pets.handler, lambda_event(SUB_A, "POST", {"type": "bird", "price": 19.5}))
    assert status == 200
    assert created["message"] == "success"
    pet = created["pet"]
    assert (pet["type"], pet["price"]) == ("bird", 19.5)
    listed = call(pets.handler, lambda_event(SUB_A))[1]["pets"]
    assert pet["id"] in [p["id"] for p in listed]
    assert (
        backend.get_item(TableName=support.RECORDS_TABLE, Key={"pk": {"S": "pets"}, "sk": {"S": pet["id"]}})[
            "Item"
        ]["created_by"]["S"]
        == f"sub#{SUB_A}"
    )


def test_pets_v1_item(backend: Any) -> None:
    pet = call(pets.handler, lambda_event(SUB_A, "POST", {"type": "cat", "price": 10}))[1]["pet"]

    def item(method: str, pet_id: str, body: object = None) -> tuple[int, Any]:
        event = lambda_event(SUB_A, method, body, resource="/petstore/v1/pets/{id}")
        event["pathParameters"] = {"id": pet_id}
        return call(pets.handler, event)

    assert item("GET", "1") == (200, {"pet": {"id": "1", "type": "dog", "price": 249.99}})
    assert item("GET", pet["id"])[1]["pet"]["type"] == "cat"
    assert item("PUT", pet["id"], {"type": "lion", "price": 99.99})[1]["pet"]["type"] == "lion"
    assert item("GET", pet["id"])[1]["pet"]["price"] == 99.99
    assert item("DELETE", pet["id"]) == (200, {"deleted": pet["id"]})
    assert item("GET", pet["id"])[0] == 404
    assert item("DELETE", pet["id"])[0] == 404
    assert item("PUT", "nope", {"type": "dog", "price": 1})[0] == 404
    assert item("DELETE", "1")[0] == 409
    assert item("PUT", "1", {"type": "wolf", "price": 1})[0] == 409  # the catalogue is read-only
    assert item("GET", "1")[1]["pet"]["type"] == "dog"
    assert item("GET", "../etc")[0] == 400
    assert item("PATCH", pet["id"])[0] == 405


@pytest.mark.parametrize(
    "body",
    [
        {"type": "dog"},
        {"type": "dog", "price": -1},
        {"type": "dog", "price": "1"},
        {"type": "dog", "price": True},
        {"type": "Dog!", "price": 1},
        {"type": "dog", "price": 1, "id": "mine"},
        {"type": "dog", "price": 1e300},
    ],
)
def test_invalid_pet_is_400_and_changes_nothing(body: dict[str, Any], backend: Any) -> None:
    assert call(pets.handler, lambda_event(SUB_A, "POST", body))[0] == 400
    assert table_items(backend) == []


def test_pets_pagination_pages_through_created_pets(backend: Any) -> None:
    created = {
        call(pets.handler, lambda_event(SUB_A, "POST", {"type": "fish", "price": i}))[1]["pet"]["id"]
        for i in range(5)
    }
    seen: set[str] = set()
    event = lambda_event(SUB_A)
    event["queryStringParameters"] = {"limit": "2"}
    pages = 0
    while True:
        body = call(pets.handler, event)[1]
        seen |= {p["id"] for p in body["pets"]}
        pages += 1
        if not body["next"]:
            break
        event["queryStringParameters"] = {"limit": "2", "next": body["next"]}
    assert created <= seen
    assert pages >= 3
    event["queryStringParameters"] = {"next": "garbage!"}
    assert call(pets.handler, event)[0] == 400
    for bad in ("1000", "0", "\u00b2"):
        event["queryStringParameters"] = {"limit": bad}
        assert call(pets.handler, event)[0] == 400


def test_pets_v2(backend: Any) -> None:
    assert call(pets.handler, lambda_event(SUB_A, resource="/petstore/v2/status")) == (
        200,
        {"status": "ok", "version": "v2"},
    )
    status, body = call(pets.handler, lambda_event(SUB_A, resource="/petstore/v2/pets"))
    assert status == 200
    assert body["version"] == "v2"
    assert body["count"] == len(body["pets"]) == 3
    assert call(pets.handler, lambda_event(SUB_A, "POST", {}, resource="/petstore/v2/status"))[0] == 405
    assert call(pets.handler, lambda_event(SUB_A, resource="/petstore/v3/nothing"))[0] == 404


def test_partner_pets_lists_the_catalogue_read_only_for_a_machine_caller(backend: Any) -> None:
    """GET /partner/pets (user_pool, scope api/pets.read): a machine client's claims carry its client
    id as `sub` and no user attributes; the listing needs neither."""
    machine = user_pool_event("3kclientid0machine0000000", "GET", resource="/partner/pets")
    for claim in ("email", "email_verified", "given_name", "family_name", "cognito:username"):
        machine["requestContext"]["authorizer"]["claims"].pop(claim, None)
    status, body = call(pets.handler, machine)
    assert status == 200
    assert body["count"] == len(body["pets"]) == 3
    assert (
        call(pets.handler, user_pool_event("3kclientid0machine0000000", "POST", {}, "/partner/pets"))[0]
        == 405
    )


# --- news -------------------------------------------------------------------------------------


def _news_event(method: str, news_id: str | None = None) -> dict[str, Any]:
    event = support.load_event("proxy_lambda_news_delete.json")
    event["httpMethod"] = method
    event["queryStringParameters"] = {"id": news_id} if news_id else None
    return event


def test_news_list_and_delete(backend: Any) -> None:
    table = store.table()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [news_records.add_news(table, f"t{i}", "b", start + timedelta(minutes=i))["id"] for i in range(3)]
    status, body = call(news.handler, _news_event("GET"))
    assert status == 200
    assert [n["id"] for n in body["news"]] == list(reversed(ids))
    limited = _news_event("GET")
    limited["queryStringParameters"] = {"limit": "2"}
    assert [n["id"] for n in call(news.handler, limited)[1]["news"]] == [ids[2], ids[1]]
    for bad in ("0", "101", "-1", "two", "\u00b2", ""):
        limited["queryStringParameters"] = {"limit": bad}
        assert call(news.handler, limited)[0] == 400
    assert call(news.handler, _news_event("DELETE", ids[0])) == (200, {"deleted": 1})
    assert call(news.handler, _news_event("DELETE", ids[0]))[0] == 404
    assert call(news.handler, _news_event("DELETE", "bad id"))[0] == 400
    assert call(news.handler, _news_event("DELETE")) == (200, {"deleted": 2, "more": False})
    assert call(news.handler, _news_event("GET"))[1] == {"news": []}
    assert call(news.handler, _news_event("POST"))[0] == 405


# --- no request path scans --------------------------------------------------------------------


def test_no_handler_ever_scans(monkeypatch: pytest.MonkeyPatch, backend: Any) -> None:
    operations: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self: Any, operation: str, params: Any) -> Any:
        operations.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    call(profiles.handler, iam_event(IDENTITY_A, "POST", PROFILE))
    call(profiles.handler, iam_event(IDENTITY_A, "GET"))
    call(profiles.handler, user_pool_event(SUB_A, "GET", resource="/cup/email"))
    pet = call(pets.handler, lambda_event(SUB_A, "POST", {"type": "cat", "price": 1}))[1]["pet"]
    for resource in ("/petstore/v1/pets", "/petstore/v2/pets"):
        call(pets.handler, lambda_event(SUB_A, resource=resource))
    event = lambda_event(SUB_A, "DELETE", resource="/petstore/v1/pets/{id}")
    event["pathParameters"] = {"id": pet["id"]}
    call(pets.handler, event)
    news_records.add_news(store.table(), "t", "b")
    call(news.handler, _news_event("GET"))
    call(news.handler, _news_event("DELETE"))
    assert operations  # the spy saw the traffic
    assert "Scan" not in operations

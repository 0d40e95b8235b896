"""The revocation functions (functions/revocation): the product's sign-out and the admin-action feed.

DynamoDB is moto in-process (the revocation table as the stack declares it); Cognito and API
Gateway are recorded fakes behind `revocation_core.aws.client`, so each test says exactly which
calls a request makes and in which order. The full path (Cognito refusing the refresh token, the
gateway flushing, the authorizer refusing the old token) runs on the local stack (tests/e2e).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import feed
import pytest
import signout
from botocore.exceptions import ClientError
from revocation_core import aws, gateway, record

from tests.functional.functions import support

POOL = "us-east-1_TestPool1"
LIFETIME = 3630
SUB = "9b2e7c1d-4f3a-4e5b-8c6d-7e8f9a0b1c2d"
FAMILY = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"


@dataclass
class Fake:
    """Stands in for a botocore client of one service: records calls, raises what it is told."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # operation -> error code to raise

    def __getattr__(self, operation: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((operation, kwargs))
            code = self.errors.get(operation)
            if code:
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)
            return {}

        return call


@dataclass
class Aws:
    cognito: Fake
    apigateway: Fake
    ddb: Any
    waits: list[float]  # what the functions slept for (recorded, not slept)

    def record(self, sub: str = SUB) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.ddb.get_item(
            TableName=support.REVOCATION_TABLE, Key={"sub": {"S": sub}}
        ).get("Item")
        return item


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, ddb: Any) -> Aws:
    fakes = Aws(Fake(), Fake(), ddb, [])
    monkeypatch.setattr(gateway.time, "sleep", fakes.waits.append)
    by_service = {"cognito-idp": fakes.cognito, "apigateway": fakes.apigateway, "dynamodb": ddb}
    monkeypatch.setattr(aws, "client", lambda service: by_service[service])
    for name, value in {
        "TABLE_NAME": support.REVOCATION_TABLE,
        "USER_POOL_ID": POOL,
        "ALLOWED_CLIENT_IDS": support.CLIENT_ID,
        "TOKEN_LIFETIME_SECONDS": str(LIFETIME),
        "RESULT_TTL_SECONDS": "30",
        "REVOCATION_CHECK_SECONDS": "2",
        "REST_API_ID": support.API_ID,
        "STAGE_NAME": support.STAGE,
        "CORS_ALLOW_ORIGIN": "http://localhost:3000",
    }.items():
        monkeypatch.setenv(name, value)
    return fakes


def _signout(body: object = None, **claims: Any) -> dict[str, Any]:
    event = support.load_event("proxy_signout.json")
    event["body"] = None if body is None else json.dumps(body)
    event["requestContext"]["authorizer"]["claims"].update(claims)
    for key, value in list(event["requestContext"]["authorizer"]["claims"].items()):
        if value is support.REMOVE:
            del event["requestContext"]["authorizer"]["claims"][key]
    return signout.handler(event)


def _answer(response: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return response["statusCode"], json.loads(response["body"])


# --- sign-out --------------------------------------------------------------------------------


def test_signing_out_one_session_revokes_its_refresh_token_then_records_the_family_then_flushes(
    services: Aws,
) -> None:
    before = time.time()
    response = _signout({"refresh_token": "the-refresh-token"})
    assert _answer(response) == (
        200,
        {
            "signed_out": "session",
            "lambda_routes_refuse_within_seconds": 3,  # ceil(REVOCATION_CHECK_SECONDS + 0.2)
            "authorizer_cache_flushed": True,
        },
    )
    # The flush waits until every authorizer container trusts only records read after the write.
    (waited,) = services.waits
    assert 2.0 < waited <= 2.2
    assert services.cognito.calls == [
        ("revoke_token", {"Token": "the-refresh-token", "ClientId": support.CLIENT_ID})
    ]
    assert services.apigateway.calls == [
        ("flush_stage_authorizers_cache", {"restApiId": support.API_ID, "stageName": support.STAGE})
    ]
    item = services.record()
    assert item is not None
    assert set(item["families"]["M"]) == {FAMILY}
    assert "revoked_before" not in item  # the user's other sessions go on
    assert before + LIFETIME <= float(item["expires_at"]["N"]) <= time.time() + LIFETIME + 1
    assert item["reason"] == {"S": "RevokeToken"}
    assert response["headers"]["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response["headers"]["Cache-Control"] == "no-store"


def test_signing_out_everywhere_signs_the_user_out_at_cognito_and_revokes_every_token(
    services: Aws,
) -> None:
    before = time.time()
    assert _answer(_signout({"global": True}))[1]["signed_out"] == "everywhere"
    assert services.cognito.calls == [
        ("admin_user_global_sign_out", {"UserPoolId": POOL, "Username": "grace"})
    ]
    item = services.record()
    assert item is not None
    assert before <= float(item["revoked_before"]["N"]) <= time.time() + 0.001  # rounded up to the ms


def test_a_token_without_origin_jti_revokes_every_token_of_the_user(services: Aws) -> None:
    status, body = _answer(_signout({"refresh_token": "rt"}, origin_jti=support.REMOVE))
    assert (status, body["signed_out"]) == (200, "everywhere")
    item = services.record()
    assert item is not None
    assert "revoked_before" in item


@pytest.mark.parametrize(
    ("body", "claims", "status", "message"),
    [
        (None, {}, 400, "give the session's refresh_token, or global: true"),
        ({"refresh_token": "rt", "everything": True}, {}, 400, "unknown field(s) ['everything']"),
        ({"global": "yes"}, {}, 400, "global must be true or false"),
        ({"refresh_token": 7}, {}, 400, "refresh_token must be"),
        ([1, 2], {}, 400, "the body must be a JSON object"),
        ({"refresh_token": "rt"}, {"client_id": "otherclient0123456789abcde"}, 403, "web app's client only"),
        ({"refresh_token": "rt"}, {"token_use": "id"}, 401, "a verified access token is required"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    services: Aws, body: object, claims: dict[str, Any], status: int, message: str
) -> None:
    got, answer = _answer(_signout(body, **claims))
    assert (got, message in answer["message"]) == (status, True), answer
    assert services.cognito.calls == services.apigateway.calls == []
    assert services.record() is None


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("UnauthorizedException", 400),
        ("UnsupportedTokenTypeException", 400),
        ("TooManyRequestsException", 503),
    ],
)
def test_cognito_refusing_or_failing_records_nothing(services: Aws, code: str, status: int) -> None:
    services.cognito.errors["revoke_token"] = code
    got, answer = _answer(_signout({"refresh_token": "rt"}))
    assert got == status
    assert code in answer["message"]
    assert services.record() is None
    assert services.apigateway.calls == []


def test_a_record_that_cannot_be_written_is_a_503_and_no_flush(
    services: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    got, answer = _answer(_signout({"refresh_token": "rt"}))
    assert got == 503
    assert "could not be recorded" in answer["message"]
    assert services.apigateway.calls == []


def test_a_failed_flush_still_signs_out_and_says_the_longer_bound(services: Aws) -> None:
    services.apigateway.errors["flush_stage_authorizers_cache"] = "TooManyRequestsException"
    status, body = _answer(_signout({"refresh_token": "rt"}))
    assert status == 200
    assert body == {
        "signed_out": "session",
        "lambda_routes_refuse_within_seconds": 32,  # RESULT_TTL_SECONDS + REVOCATION_CHECK_SECONDS
        "authorizer_cache_flushed": False,
    }
    assert services.record() is not None


def test_a_long_check_interval_is_not_waited_for_and_the_bound_says_so(
    services: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVOCATION_CHECK_SECONDS", "60")
    status, body = _answer(_signout({"refresh_token": "rt"}))
    assert (status, body["authorizer_cache_flushed"], body["lambda_routes_refuse_within_seconds"]) == (
        200,
        False,
        90,
    )
    assert services.waits == []
    assert services.apigateway.calls == []


@pytest.mark.parametrize("existing", [False, True], ids=["new-record", "existing-record"])
def test_two_writers_never_lose_each_others_revocation(services: Aws, existing: bool) -> None:
    """A write that lands between another writer's read and put makes that put fail its condition
    (no item yet, or the version it read); it reads again and merges: both revocations are in the
    record."""
    earlier: set[str] = set()
    if existing:
        record.RecordWriter(support.REVOCATION_TABLE, LIFETIME, lambda: services.ddb).write(
            record.Revocation(SUB, time.time(), "earlier-family", "RevokeToken")
        )
        earlier = {"earlier-family"}
    real_get = services.ddb.get_item
    interfered = []

    class Racing:
        def get_item(self, **kwargs: Any) -> Any:
            got = real_get(**kwargs)
            if not interfered:
                interfered.append(1)
                record.RecordWriter(support.REVOCATION_TABLE, LIFETIME, lambda: services.ddb).write(
                    record.Revocation(SUB, time.time(), "other-family", "RevokeToken")
                )
            return got

        def put_item(self, **kwargs: Any) -> Any:
            return services.ddb.put_item(**kwargs)

    writer = record.RecordWriter(support.REVOCATION_TABLE, LIFETIME, Racing)
    writer.write(record.Revocation(SUB, time.time(), FAMILY, "RevokeToken"))
    item = services.record()
    assert item is not None
    assert set(item["families"]["M"]) == {FAMILY, "other-family", *earlier}
    assert item["version"] == {"N": str(2 + len(earlier))}


# --- the admin-action feed -------------------------------------------------------------------


def _feed_event(name: str = "AdminDisableUser", **detail: Any) -> dict[str, Any]:
    event = support.load_event("revocation_feed_admin_disable_user.json")
    event["detail"]["eventName"] = name
    event["detail"].update(detail)
    return event


EVENT_SECOND = 1795295106.0  # 2026-11-21T21:05:06Z, the fixture's eventTime


@pytest.mark.parametrize("name", sorted(feed.HANDLED))
def test_each_admin_action_revokes_every_token_issued_before_it(services: Aws, name: str) -> None:
    answer = feed.handler(_feed_event(name))
    assert answer["revoked"] is True
    item = services.record()
    assert item is not None
    # Disable/delete: the call's whole second too (no valid token can follow them in it); sign-out
    # and group changes: earlier seconds only (a sign-in right after the change must work).
    revoked_before = EVENT_SECOND + (1 if name in ("AdminDisableUser", "AdminDeleteUser") else 0)
    assert float(item["revoked_before"]["N"]) == revoked_before
    assert int(item["expires_at"]["N"]) == int(revoked_before + LIFETIME)
    assert item["reason"] == {"S": name}
    assert services.apigateway.calls == [
        ("flush_stage_authorizers_cache", {"restApiId": support.API_ID, "stageName": support.STAGE})
    ]


def test_a_replayed_or_late_event_changes_nothing_more(services: Aws) -> None:
    feed.handler(_feed_event())
    newer = _feed_event("AdminRemoveUserFromGroup", eventTime="2026-11-21T21:10:00Z")
    feed.handler(newer)
    feed.handler(_feed_event())  # the first event again, delivered late
    item = services.record()
    assert item is not None
    assert float(item["revoked_before"]["N"]) == EVENT_SECOND + 294  # the group change, 294 s later


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (_feed_event("AdminEnableUser"), "not an action that revokes tokens"),
        (_feed_event(errorCode="UserNotFoundException"), "the call failed"),
        (_feed_event(requestParameters={"userPoolId": "us-east-1_Other"}), "another user pool"),
        (_feed_event(eventSource="iam.amazonaws.com"), "not a Cognito user pools API call"),
    ],
)
def test_events_that_revoke_nothing_are_ignored(services: Aws, event: dict[str, Any], reason: str) -> None:
    assert feed.handler(event) == {"revoked": False, "reason": reason}
    assert services.record() is None
    assert services.apigateway.calls == []


def test_an_event_without_the_users_sub_fails_loudly(
    services: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(feed.FeedError, match=r"no additionalEventData\.sub"):
        feed.handler(_feed_event(additionalEventData={}))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["level"], line["message"]) for line in lines] == [
        ("ERROR", "admin action without the user's sub")
    ]
    assert services.record() is None


def test_the_stored_instant_is_rounded_up_never_down(services: Aws) -> None:
    """A token issued at 1000.0002 has iat 1000; a revocation at 1000.0004 stored as 1000.000 would
    let it through (1000 < 1000.0 is false)."""
    writer = record.RecordWriter(support.REVOCATION_TABLE, LIFETIME, lambda: services.ddb)
    writer.write(record.Revocation(SUB, 1000.0004, None, "GlobalSignOut"))
    item = services.record()
    assert item is not None
    assert item["revoked_before"] == {"N": "1000.001"}

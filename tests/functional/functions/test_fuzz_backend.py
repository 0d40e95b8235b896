"""Fuzzing the backend handlers through `handler(event, context)` (hypothesis, derandomized).

Invariants checked on every generated case:
- a JSON answer with a status the handler documents (never a 5xx: a bad request is the caller's
  fault, so it is a 4xx with a message);
- a non-2xx answer leaves the table exactly as it was (compared with a snapshot of moto's table);
- a 2xx write touches only the caller's own item (the key comes from the verified request context,
  never from the body), and stores what it answered;
- bodies valid by construction are accepted (so a refuse-everything handler fails too).

The table holds other callers' records throughout (the victims), and the caller's own record
evolves across cases, so version checks meet real stored versions.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import news
import pets
import profiles
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import dynamodb_backends

from tests.functional.functions import support
from tests.reliability import figures, strategies
from tests.reliability.budgets import fuzz_cases
from tests.reliability.calls import iam_event, lambda_event, response_json, user_pool_event
from tests.reliability.figures import Tally

pytestmark = pytest.mark.reliability

IDENTITY = "us-east-1:0c0ffee0-1111-4222-8333-444455556666"
SUB = "5a5a5a5a-6b6b-4c7c-8d8d-9e9e9e9e9e9e"
VICTIMS = {
    "identity#us-east-1:deadbeef-0000-4000-8000-000000000001": "Victim",
    "sub#deadbeef-0000-4000-8000-000000000002": "Victim",
}
PROFILE_STATUSES = {200, 400, 409}
KEY_FIELDS = ["pk", "sk", "sub", "cognitoIdentityId", "identityId", "provider", "created_by", "id"]
Snapshot = dict[tuple[str, str], str]


def snapshot() -> Snapshot:
    """The records table as moto holds it: (pk, sk) -> attributes (canonical JSON)."""
    table = dynamodb_backends[support.ACCOUNT][support.REGION].get_table(support.RECORDS_TABLE)
    return {
        (item.hash_key.value, item.range_key.value): json.dumps(item.to_json()["Attributes"], sort_keys=True)
        for item in table.all_items()
    }


def changed(before: Snapshot, after: Snapshot) -> set[tuple[str, str]]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def stored(after: Snapshot, key: tuple[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(after[key])
    return {name: next(iter(value.values())) for name, value in raw.items()}


@pytest.fixture
def seeded(backend: Any) -> Any:
    for pk, name in VICTIMS.items():
        backend.put_item(
            TableName=support.RECORDS_TABLE,
            Item={
                "pk": {"S": pk},
                "sk": {"S": "profile"},
                "name": {"S": name},
                "surname": {"S": "Untouched"},
                "email": {"S": "victim@example.com"},
                "version": {"N": "7"},
            },
        )
    for pet_id, owner in (("a1", "sub#deadbeef-0000-4000-8000-000000000002"), ("b2", "sub#someone")):
        backend.put_item(
            TableName=support.RECORDS_TABLE,
            Item={
                "pk": {"S": "pets"},
                "sk": {"S": pet_id},
                "type": {"S": "dog"},
                "price": {"N": "10"},
                "created_by": {"S": owner},
            },
        )
    backend.put_item(
        TableName=support.RECORDS_TABLE,
        Item={"pk": {"S": "news"}, "sk": {"S": "20260101T000000Z-0123abcd"}, "title": {"S": "Kept"}},
    )
    return backend


class Run:
    """One handler call with the invariants every case must meet; returns what changed."""

    def __init__(self) -> None:
        self.statuses = Tally()

    def __call__(
        self,
        handler: Callable[[dict[str, Any], Any], dict[str, Any]],
        event: dict[str, Any],
        allowed: set[int],
        before: Snapshot | None = None,
    ) -> tuple[int, Any, Snapshot, Snapshot]:
        before = snapshot() if before is None else before
        response = handler(event, None)
        after = snapshot()
        status = response["statusCode"]
        self.statuses.add(str(status))
        body = response_json(response)
        assert response["headers"]["Content-Type"] == "application/json"
        assert status in allowed, f"{status}: {body}"
        if status >= 300:
            assert isinstance(body.get("message"), str)
            assert before == after, "a refused request changed the table"
        for victim in VICTIMS:
            assert before.get((victim, "profile")) == after.get((victim, "profile")), (
                "a victim's record changed"
            )
        return status, body, before, after


def _examples(target: str) -> Callable[[Any], Any]:
    return settings(max_examples=fuzz_cases(target))


# --- bodies ------------------------------------------------------------------------------------

names = st.text(min_size=1, max_size=100).filter(lambda t: t.strip() == t and t.isprintable())
emails = st.builds(
    "{}@{}.{}".format,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20),
    st.sampled_from(["com", "org", "example", "co.uk"]),
)
field_names = st.one_of(
    st.sampled_from(["name", "surname", "email", "version", *KEY_FIELDS]), st.text(max_size=12)
)


def _deep(text: str, depth: int) -> str:
    return text * depth


raw_bodies = st.one_of(
    strategies.odd_text,
    strategies.big_text,
    st.builds(_deep, st.sampled_from(["[", "{", '{"a":', "[[", '"']), st.integers(1, 20000)),
    st.builds(strategies.dumps, strategies.serialised_json),
    st.builds(strategies.dumps, st.dictionaries(field_names, strategies.serialised_json, max_size=5)),
)


@st.composite
def profile_bodies(draw: st.DrawFn) -> tuple[str | None, bool, dict[str, Any] | None, str]:
    """(body text, base64 flag, the valid profile it encodes or None, version choice)."""
    if draw(st.integers(0, 2)) == 0:
        valid = {"name": draw(names), "surname": draw(names), "email": draw(emails)}
        version = draw(st.sampled_from(["none", "current", "stale"]))
        text = json.dumps(valid)
        if draw(st.booleans()):
            return base64.b64encode(text.encode()).decode(), True, valid, version
        return text, False, valid, version
    body = draw(st.one_of(st.none(), raw_bodies))
    flag = draw(st.integers(0, 9)) == 0
    if flag and body is not None and draw(st.booleans()):
        body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
    return body, flag, None, "none"


def _with_version(text: str, flag: bool, version: int) -> str:
    data = json.loads(base64.b64decode(text) if flag else text)
    data["version"] = version
    dumped = json.dumps(data)
    return base64.b64encode(dumped.encode()).decode() if flag else dumped


def test_profile_bodies(seeded: Any) -> None:
    run = Run()
    callers = {"iam": ("identity#" + IDENTITY, "profile"), "user_pool": ("sub#" + SUB, "profile")}

    @_examples("backend_profile_bodies")
    @given(case_=profile_bodies(), mode=st.sampled_from(["iam", "user_pool"]))
    def case(case_: tuple[str | None, bool, dict[str, Any] | None, str], mode: str) -> None:
        text, flag, valid, version_choice = case_
        key = callers[mode]
        now = snapshot()
        current_version = int(stored(now, key)["version"]) if key in now else 0
        if valid is not None and text is not None and version_choice != "none":
            wanted = current_version if version_choice == "current" else current_version + 5
            text = _with_version(text, flag, max(1, wanted))
            version_choice = "current" if wanted == current_version and wanted >= 1 else "stale"
        event = (
            iam_event(IDENTITY, "POST", body=text)
            if mode == "iam"
            else user_pool_event(SUB, "POST", body=text)
        )
        event["isBase64Encoded"] = flag
        status, body, before, after = run(profiles.handler, event, PROFILE_STATUSES, now)
        if status == 200:
            assert changed(before, after) == {key}, "a write touched another item"
            item = stored(after, key)
            assert body["profile"] == {k: item[k] for k in body["profile"] if k != "version"} | {
                "version": int(item["version"])
            }
            assert int(item["version"]) == current_version + 1
        if valid is not None:
            expected = 409 if version_choice == "stale" else 200
            assert status == expected, body
            if status == 200:
                assert {k: stored(after, key)[k] for k in valid} == valid

    case()
    assert run.statuses["200"] > 0
    assert run.statuses["400"] > 0
    figures.record(
        "fuzz",
        "backend: profile bodies (iam and user_pool modes)",
        cases=run.statuses.total,
        outcomes=dict(run.statuses.items()),
    )


@st.composite
def pet_requests(draw: st.DrawFn) -> tuple[str, str | None, str | None, dict[str, Any] | None]:
    """(method, pet id or None, body, the valid pet it encodes or None)."""
    method = draw(st.sampled_from(["POST", "PUT"]))
    pet_id = None
    if method == "PUT":
        pet_id = draw(
            st.one_of(st.sampled_from(["1", "2", "3", "a1", "b2", "missing-0"]), st.text(max_size=70))
        )
    if draw(st.integers(0, 2)) == 0:
        valid = {
            "type": draw(
                st.text(alphabet="abcdefghijklmnopqrstuvwxyz -", min_size=1, max_size=40).filter(
                    lambda t: t.strip() and t.strip()[0].isalpha()
                )
            ),
            "price": draw(st.one_of(st.integers(0, 100000), st.decimals(0, 100000, places=2).map(float))),
        }
        return method, pet_id, json.dumps(valid), valid
    return method, pet_id, draw(st.one_of(st.none(), raw_bodies)), None


def test_pet_bodies(seeded: Any) -> None:
    run = Run()
    caller = "0d0d0d0d-1e1e-4f2f-8a3a-4b4b4b4b4b4b"

    @_examples("backend_pet_bodies")
    @given(request=pet_requests())
    def case(request: tuple[str, str | None, str | None, dict[str, Any] | None]) -> None:
        method, pet_id, text, valid = request
        resource = "/petstore/v1/pets" if pet_id is None else "/petstore/v1/pets/{id}"
        event = lambda_event(caller, method, resource, text)
        event["pathParameters"] = None if pet_id is None else {"id": pet_id}
        status, body, before, after = run(pets.handler, event, {200, 400, 404, 409})
        diff = changed(before, after)
        if status == 200 and method == "POST":
            (new,) = diff
            assert new[0] == "pets"
            item = stored(after, new)
            assert item["created_by"] == f"sub#{caller}"
            assert body["pet"]["id"] == new[1]
            # Keep the table small (each snapshot reads all of it): remove what this case created.
            seeded.delete_item(
                TableName=support.RECORDS_TABLE, Key={"pk": {"S": "pets"}, "sk": {"S": new[1]}}
            )
        if status == 200 and method == "PUT":
            assert diff <= {("pets", pet_id)}
            if diff:
                assert (
                    stored(after, ("pets", str(pet_id)))["created_by"]
                    == stored(before, ("pets", str(pet_id)))["created_by"]
                )
        if valid is not None and method == "POST":  # valid by construction: a letter, then [a-z -]
            assert status == 200, body
            assert Decimal(str(body["pet"]["price"])) == Decimal(str(valid["price"])).quantize(
                Decimal("0.01")
            )

    case()
    assert run.statuses["200"] > 0
    figures.record(
        "fuzz",
        "backend: pet bodies and ids (lambda mode)",
        cases=run.statuses.total,
        outcomes=dict(run.statuses.items()),
    )


# --- request shapes ------------------------------------------------------------------------------

context_values = st.one_of(st.none(), strategies.odd_text, st.integers(), strategies.json_values)


@st.composite
def request_shapes(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    target = draw(st.sampled_from(["profiles", "pets", "news"]))
    mode = draw(st.sampled_from(["iam", "user_pool", "lambda"]))
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get", ""]))
    resource = draw(
        st.sampled_from(
            {
                "profiles": ["/cip", "/google", "/cup", "/cup/email", "/other", ""],
                "pets": [
                    "/petstore/v1/pets",
                    "/petstore/v1/pets/{id}",
                    "/petstore/v2/status",
                    "/petstore/v2/pets",
                    "/x",
                ],
                "news": ["/news"],
            }[target]
        )
    )
    if target == "news" and method.upper() == "DELETE":
        query: dict[str, Any] | None = {
            "id": draw(
                st.one_of(
                    st.sampled_from(["20260101T000000Z-0123abcd", "20260101T000000Z-ffffffff"]),
                    strategies.odd_text,
                )
            )
        }
    else:
        query = draw(
            st.one_of(
                st.none(),
                st.dictionaries(
                    st.sampled_from(["limit", "next", "id", "x"]), strategies.odd_text, max_size=3
                ),
            )
        )
    body = draw(st.one_of(st.none(), raw_bodies))
    builder = {"iam": iam_event, "user_pool": user_pool_event, "lambda": lambda_event}[mode]
    subject = draw(st.one_of(st.sampled_from([IDENTITY, SUB]), strategies.odd_text))
    event = builder(subject, method, resource, body)
    event["queryStringParameters"] = query
    event["pathParameters"] = draw(
        st.one_of(st.none(), st.fixed_dictionaries({"id": strategies.odd_text}), context_values)
    )
    event["isBase64Encoded"] = draw(st.booleans())
    mutation = draw(
        st.sampled_from(["none", "drop_identity", "both_identities", "garbage_context", "principal_mismatch"])
    )
    context = event["requestContext"]
    if mutation == "drop_identity":
        context.pop("identity", None)
        context.pop("authorizer", None)
    elif mutation == "both_identities":
        context["identity"] = {"cognitoIdentityId": IDENTITY}
        context["authorizer"] = {"claims": {"sub": SUB}}
    elif mutation == "garbage_context":
        context[draw(st.sampled_from(["identity", "authorizer"]))] = draw(context_values)
    elif mutation == "principal_mismatch":
        context["authorizer"] = {"sub": SUB, "principalId": draw(strategies.odd_text)}
    return target, event


def test_request_shapes_never_5xx_and_never_write_when_refused(seeded: Any) -> None:
    run = Run()
    handlers = {"profiles": profiles.handler, "pets": pets.handler, "news": news.handler}
    allowed = {200, 400, 403, 404, 405, 409}

    @_examples("backend_request_shapes")
    @given(shape=request_shapes())
    def case(shape: tuple[str, dict[str, Any]]) -> None:
        target, event = shape
        status, _, before, after = run(handlers[target], event, allowed)
        if status == 200 and target == "news":
            assert changed(before, after) <= {("news", str((event["queryStringParameters"] or {}).get("id")))}

    case()
    assert run.statuses["403"] > 0
    figures.record(
        "fuzz",
        "backend: request shapes, identities and query strings (all handlers)",
        cases=run.statuses.total,
        outcomes=dict(run.statuses.items()),
    )

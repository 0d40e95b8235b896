"""The revocation record and its per-container cache (functions/authorizer/authz/revocation.py), with a
fake DynamoDB client: what revokes a token, what is cached for how long, and that every failure to
read is a RevocationLookupError (the decision then fails closed)."""

from __future__ import annotations

from typing import Any

import pytest
from authz import revocation
from authz.revocation import NO_RECORD, Record, RevocationLookupError, RevocationStore, TokenRevoked
from authz.verify import Identity

SUB = "3f0c2a6e-9d4b-4a51-8c7e-2b1d0e9f8a77"


def _identity(iat: int = 1_000, origin_jti: str | None = "family-a", sub: str = SUB) -> Identity:
    return Identity(sub, "user", ("admin",), "client", issued_at=iat, origin_jti=origin_jti)


class _FakeClient:
    def __init__(self, items: dict[str, dict[str, Any]] | None = None, *, fail: bool = False) -> None:
        self.items = items or {}
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def get_item(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        if self.fail:
            raise ConnectionError("table unreachable")
        item = self.items.get(request["Key"]["sub"]["S"])
        return {"Item": item} if item is not None else {}


def _store(client: _FakeClient, ttl: float = 10.0, now: list[float] | None = None) -> RevocationStore:
    clock = now if now is not None else [0.0]
    return RevocationStore("revocations", ttl, lambda: client, clock=lambda: clock[0])  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize(
    ("record", "identity", "revoked"),
    [
        (NO_RECORD, _identity(), False),
        (Record(1000.5, frozenset()), _identity(iat=1000), True),  # the same second: issued before
        (Record(1000.5, frozenset()), _identity(iat=1001), False),  # issued after: a new sign-in
        (Record(1000.0, frozenset()), _identity(iat=1000), False),
        (Record(None, frozenset({"family-a"})), _identity(), True),
        (Record(None, frozenset({"family-b"})), _identity(), False),  # another session of the user
        (Record(None, frozenset({"family-a"})), _identity(origin_jti=None), False),
        (Record(5.0, frozenset()), _identity(iat=0, origin_jti=None), True),  # the default iat: revoked
    ],
)
def test_what_a_record_revokes(record: Record, identity: Identity, revoked: bool) -> None:
    assert record.revokes(identity) is revoked


def test_identity_defaults_are_on_the_revoked_side() -> None:
    """A caller that builds an Identity without the revocation fields (e.g. a new token kind) gets
    iat 0: earlier than any revocation of that user."""
    assert Identity("s", "u", (), "c").issued_at == 0
    assert Record(1.0, frozenset()).revokes(Identity("s", "u", (), "c"))


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (None, NO_RECORD),
        ({}, NO_RECORD),
        ({"sub": {"S": SUB}}, NO_RECORD),
        ({"revoked_before": {"N": "1700000000.125"}}, Record(1700000000.125, frozenset())),
        (
            {"families": {"M": {"f1": {"N": "1"}, "f2": {"N": "2"}}}},
            Record(None, frozenset({"f1", "f2"})),
        ),
        # Malformed attributes revoke everything they could have meant (fail closed).
        ({"revoked_before": {"S": "yesterday"}}, Record(float("inf"), frozenset())),
        ({"revoked_before": {"N": "NaN"}}, Record(float("inf"), frozenset())),
        ({"families": {"L": []}}, Record(float("inf"), frozenset())),
        ({"families": "f1"}, Record(float("inf"), frozenset())),
    ],
)
def test_parse_item(item: dict[str, Any] | None, expected: Record) -> None:
    assert revocation.parse_item(item) == expected


def test_a_revoked_token_raises_token_revoked_naming_the_identity() -> None:
    client = _FakeClient({SUB: {"revoked_before": {"N": "2000"}}})
    identity = _identity(iat=1500)
    with pytest.raises(TokenRevoked) as raised:
        _store(client).check(identity)
    assert raised.value.reason == "token_revoked"
    assert raised.value.identity is identity
    assert client.calls == [
        {
            "TableName": "revocations",
            "Key": {"sub": {"S": SUB}},
            "ConsistentRead": True,
            "ProjectionExpression": "revoked_before, families",
        }
    ]


def test_records_are_cached_per_user_for_the_interval_revoked_or_not() -> None:
    now = [100.0]
    client = _FakeClient({"revoked-user": {"revoked_before": {"N": "2000"}}})
    store = _store(client, ttl=10, now=now)
    assert store.check(_identity()) == 110.0  # the deadline: read at 100, fresh for 10 s
    assert store.check(_identity(iat=5)) == 110.0  # another token of the same user: no read
    for _ in range(5):  # a flood of one revoked user's tokens: one read
        with pytest.raises(TokenRevoked):
            store.check(_identity(sub="revoked-user"))
    assert [c["Key"]["sub"]["S"] for c in client.calls] == [SUB, "revoked-user"]
    client.items[SUB] = {"revoked_before": {"N": "5000"}}  # revoked now; the cache still says no
    now[0] = 109.9
    store.check(_identity())
    now[0] = 110.0  # the interval is over: read again, and refused
    with pytest.raises(TokenRevoked):
        store.check(_identity())
    assert store.reads == 3


def test_interval_zero_reads_on_every_check() -> None:
    client = _FakeClient()
    store = _store(client, ttl=0, now=[7.0])
    for _ in range(3):
        assert store.check(_identity()) == 7.0  # fresh until now: a cached decision is never reused
    assert store.reads == 3


def test_a_failed_read_is_a_lookup_error_and_is_not_cached() -> None:
    client = _FakeClient(fail=True)
    store = _store(client)
    for _ in range(2):
        with pytest.raises(RevocationLookupError, match="ConnectionError"):
            store.check(_identity())
    client.fail = False
    store.check(_identity())
    assert store.reads == 3


def test_the_client_is_created_once_on_the_first_read() -> None:
    created: list[int] = []
    client = _FakeClient()

    def factory() -> Any:
        created.append(1)
        return client

    store = RevocationStore("revocations", 10, factory, clock=lambda: 0.0)
    assert created == []
    store.check(_identity())
    store.check(_identity(sub="other"))
    assert created == [1]


def test_a_failing_client_factory_is_a_lookup_error() -> None:
    def factory() -> Any:
        raise ValueError("no region")

    with pytest.raises(RevocationLookupError):
        RevocationStore("revocations", 10, factory).check(_identity())


def test_cache_is_bounded_oldest_read_evicted_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revocation, "MAX_CACHED_USERS", 3)
    client = _FakeClient()
    store = _store(client)
    for sub in ("a", "b", "c", "d"):
        store.check(_identity(sub=sub))
    assert len(store._cache) == 3
    store.check(_identity(sub="a"))  # "a" was the oldest: evicted, read again
    store.check(_identity(sub="d"))  # still cached
    assert [c["Key"]["sub"]["S"] for c in client.calls] == ["a", "b", "c", "d", "a"]

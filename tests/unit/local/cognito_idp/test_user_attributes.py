"""The user-attribute rules on their own (their emulator wiring: the functional test of the same name)."""

from __future__ import annotations

import pytest

from local.cognito_idp import user_attributes as ua
from local.core.errors import AwsError

SCHEMA = ua.PoolSchema(
    custom=frozenset({"custom:tier", "dev:custom:note"}),
    immutable=frozenset({"custom:badge"}),
    verify_before_update=frozenset(),
)
VERIFY_EMAIL = ua.PoolSchema(SCHEMA.custom, SCHEMA.immutable, frozenset({"email"}))


@pytest.mark.parametrize(
    "name", ["cognito:preferred_role", "cognito:groups", "exp", "iss", "token_use", "aud", "custom:other"]
)
def test_names_outside_the_schema_are_refused(name: str) -> None:
    with pytest.raises(AwsError) as caught:
        ua.check_update([name], SCHEMA)
    assert (caught.value.code, caught.value.message) == (
        "InvalidParameterException",
        f"user.{name}: Attribute does not exist in the schema.",
    )
    with pytest.raises(AwsError, match="Attributes did not conform to the schema"):
        ua.check_new_user([name], SCHEMA)


def test_standard_and_declared_custom_attributes_exist() -> None:
    ua.check_update(["email", "given_name", "custom:tier", "dev:custom:note"], SCHEMA)
    ua.check_new_user(["email", "email_verified", "custom:tier"], SCHEMA)


def test_sub_and_immutable_attributes_cannot_be_updated() -> None:
    for name in ("sub", "custom:badge"):
        with pytest.raises(AwsError, match=f"user.{name}: Attribute cannot be updated"):
            ua.check_update(
                [name], ua.PoolSchema(SCHEMA.custom | {"custom:badge"}, SCHEMA.immutable, frozenset())
            )


@pytest.mark.parametrize(
    ("name", "write_attributes", "allowed"),
    [
        ("given_name", None, True),
        ("email", None, True),
        ("custom:tier", None, False),  # not a standard attribute: needs WriteAttributes
        ("email_verified", None, False),
        ("phone_number_verified", None, False),
        ("sub", None, False),
        ("custom:tier", ["custom:tier"], True),
        ("given_name", ["custom:tier"], False),
        ("email_verified", ["email_verified"], False),  # never a client's to set
    ],
)
def test_client_write_permissions(name: str, write_attributes: list[str] | None, allowed: bool) -> None:
    assert ua.client_may_write(name, write_attributes) is allowed
    if not allowed:
        with pytest.raises(AwsError) as caught:
            ua.check_client_write(["given_name", name], write_attributes or ["given_name"])
        assert caught.value.code == "NotAuthorizedException"
        assert caught.value.message == "A client attempted to write unauthorized attribute"


def test_a_changed_email_applies_unverified_by_default() -> None:
    current = {"email": "a@example.com", "email_verified": "true"}
    updated, pending = ua.apply_update(current, {"email": "b@example.com"}, SCHEMA, admin=False)
    assert updated == {"email": "b@example.com", "email_verified": "false"}
    assert pending == {}


def test_an_unchanged_email_keeps_its_verification() -> None:
    current = {"email": "a@example.com", "email_verified": "true", "given_name": "A"}
    updated, _ = ua.apply_update(current, {"email": "a@example.com", "given_name": "B"}, SCHEMA, admin=False)
    assert updated["email_verified"] == "true"
    assert updated["given_name"] == "B"


def test_a_changed_email_waits_when_the_pool_requires_verification() -> None:
    current = {"email": "a@example.com", "email_verified": "true"}
    updated, pending = ua.apply_update(current, {"email": "b@example.com"}, VERIFY_EMAIL, admin=False)
    assert updated == current
    assert pending == {"email": "b@example.com"}


def test_an_administrator_may_apply_a_verified_email_at_once() -> None:
    current = {"email": "a@example.com", "email_verified": "true"}
    requested = {"email": "b@example.com", "email_verified": "true"}
    updated, pending = ua.apply_update(current, requested, VERIFY_EMAIL, admin=True)
    assert updated == {"email": "b@example.com", "email_verified": "true"}
    assert pending == {}
    # Without the flag the administrator's change waits like anyone's.
    _, pending = ua.apply_update(current, {"email": "c@example.com"}, VERIFY_EMAIL, admin=True)
    assert pending == {"email": "c@example.com"}

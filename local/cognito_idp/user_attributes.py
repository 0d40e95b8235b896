"""User-attribute rules of Cognito user pools: which names exist, who may write them, email changes.

Pure functions (no moto), used by the cognito-idp patches on every path that writes attributes
(AdminCreateUser, SignUp, AdminUpdateUserAttributes, UpdateUserAttributes). moto stores whatever it
is given, so without these checks a user could write `cognito:preferred_role` (or `exp`, `iss`,
`token_use`, `email_verified`) into their own profile and see it in their next ID token.

What Cognito documents, and this module enforces:
- A pool's attributes are the standard ones plus the `custom:` (and developer-only `dev:custom:`)
  attributes declared in its schema; any other name is refused with InvalidParameterException
  (Developer Guide, "Working with user attributes").
- An app client writes only its WriteAttributes; without WriteAttributes it may write the standard
  attributes (API reference, UserPoolClientType.WriteAttributes). `sub`, `email_verified` and
  `phone_number_verified` are never written by a client: `sub` is immutable, and the verified flags
  are set by verification or by an administrator (AdminUpdateUserAttributes). A refused write is
  NotAuthorizedException "A client attempted to write unauthorized attribute".
- Immutable attributes cannot be changed after the user exists.
- Changing `email`/`phone_number` when the pool lists it in
  UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate leaves the old value in
  force until the new one is verified (VerifyUserAttribute, or an administrator setting the
  `*_verified` flag to true in the same request); otherwise the new value applies at once and is
  unverified (API reference, UserAttributeUpdateSettingsType). The emulator sends no codes and does
  not implement VerifyUserAttribute, so a user's own pending change never applies locally: stricter
  than AWS, never looser.

Messages are the ones Cognito returns, e.g. "user.custom:x: Attribute does not exist in the schema."
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from local.core.errors import invalid_parameter, not_authorized

#: Cognito's standard attributes (Developer Guide, "Standard attributes"), with the verified flags.
STANDARD_ATTRIBUTES = frozenset(
    {
        "address",
        "birthdate",
        "email",
        "email_verified",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "phone_number_verified",
        "picture",
        "preferred_username",
        "profile",
        "sub",
        "updated_at",
        "website",
        "zoneinfo",
    }
)
#: Set by Cognito itself (sub) or only through verification / an administrator (the flags).
NEVER_CLIENT_WRITABLE = frozenset({"sub", "email_verified", "phone_number_verified"})
#: What a client without WriteAttributes may write.
DEFAULT_CLIENT_WRITABLE = STANDARD_ATTRIBUTES - NEVER_CLIENT_WRITABLE
#: Attributes whose changes may require verification, with their verified flag.
VERIFIABLE = {"email": "email_verified", "phone_number": "phone_number_verified"}

UNAUTHORIZED_WRITE = "A client attempted to write unauthorized attribute"
NOT_IN_SCHEMA = "Attribute does not exist in the schema."
IMMUTABLE = "Attribute cannot be updated. (changing an immutable attribute)"


@dataclass(frozen=True)
class PoolSchema:
    """What the checks need to know about a pool: its declared extra attributes and mutability."""

    custom: frozenset[str]  # "custom:x" and "dev:custom:x" names
    immutable: frozenset[str]
    verify_before_update: frozenset[str]  # subset of {"email", "phone_number"}

    def exists(self, name: str) -> bool:
        return name in STANDARD_ATTRIBUTES or name in self.custom


def _unknown(names: Iterable[str], schema: PoolSchema) -> list[str]:
    return [n for n in names if not schema.exists(n)]


def check_new_user(names: Sequence[str], schema: PoolSchema) -> None:
    """AdminCreateUser/SignUp: every attribute must exist in the pool's schema."""
    unknown = _unknown(names, schema)
    if unknown:
        lines = "".join(f"{n}: {NOT_IN_SCHEMA}\n" for n in unknown)
        raise invalid_parameter(f"Attributes did not conform to the schema: {lines}")


def check_update(names: Sequence[str], schema: PoolSchema) -> None:
    """(Admin)UpdateUserAttributes: names must exist, and immutable ones cannot change."""
    unknown = _unknown(names, schema)
    if unknown:
        raise invalid_parameter("\n".join(f"user.{n}: {NOT_IN_SCHEMA}" for n in unknown))
    frozen = [n for n in names if n in schema.immutable or n == "sub"]
    if frozen:
        raise invalid_parameter("\n".join(f"user.{n}: {IMMUTABLE}" for n in frozen))


def client_may_write(name: str, write_attributes: Sequence[str] | None) -> bool:
    if name in NEVER_CLIENT_WRITABLE:
        return False
    if write_attributes:
        return name in write_attributes
    return name in DEFAULT_CLIENT_WRITABLE


def check_client_write(names: Sequence[str], write_attributes: Sequence[str] | None) -> None:
    """SignUp/UpdateUserAttributes: the app client must be allowed to write every attribute."""
    if not all(client_may_write(n, write_attributes) for n in names):
        raise not_authorized(UNAUTHORIZED_WRITE)


def apply_update(
    current: Mapping[str, str], requested: Mapping[str, str], schema: PoolSchema, *, admin: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """The attributes after an update that passed the checks, and the changes left pending.

    For `email`/`phone_number`: a changed value that requires verification before update stays
    pending (the old value remains) unless an administrator sets its verified flag to "true" in
    the same request; a changed value that applies at once is unverified unless an administrator
    says otherwise in the same request.
    """
    result = dict(current)
    pending: dict[str, str] = {}
    for name, value in requested.items():
        flag = VERIFIABLE.get(name)
        if flag is None or current.get(name) == value:
            result[name] = value
            continue
        verified_now = admin and str(requested.get(flag, "")).lower() == "true"
        if name in schema.verify_before_update and not verified_now:
            pending[name] = value
            continue
        result[name] = value
        if not (admin and flag in requested):
            result[flag] = "false"
    return result, pending

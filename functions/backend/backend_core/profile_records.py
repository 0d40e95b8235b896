"""A caller's own profile record: validation and storage (the plain functions behind `profiles`).

Item: `pk` = the caller's key (see identity.Caller.pk), `sk` = "profile"; attributes name, surname,
email, provider, version (N), updated_at (ISO-8601).

Writes: the body gives name, surname, email (in user_pool mode the token's given_name/family_name
claims fill what the body leaves out, and its email claim too, but only when `email_verified` is
true: an unverified token email is never stored as the caller's, the request is refused with 400
unless the body states the email itself). The key and the provider never come from the body:
a body naming `pk`, `sk`, `sub`, `provider`, ... is refused with 400, like any unknown field.
Every write increments `version`. Optimistic locking: a body with `"version": N` is applied only if
the stored version is still N, otherwise 409, so a client doing read-modify-write never silently
overwrites a concurrent update. A body without `version` is an unconditional upsert (the client
states the whole record; the response tells it the version it created).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from backend_core.http import ApiError
from backend_core.identity import Caller
from backend_core.store import Table, from_item, to_attrs

SK = "profile"
MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
TEXT_FIELDS = ("name", "surname", "email")
ALLOWED_FIELDS = frozenset({*TEXT_FIELDS, "version"})
CLAIM_DEFAULTS = {"name": "given_name", "surname": "family_name"}
UNVERIFIED_EMAIL = (
    "email is required: the token's email is not verified (email_verified is not true), so it is not"
    " used as yours; verify it, or send email in the body"
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PUBLIC_ATTRIBUTES = ("name", "surname", "email", "provider", "version", "updated_at")


@dataclass(frozen=True)
class ProfileInput:
    name: str
    surname: str
    email: str
    expected_version: int | None


def validate(body: dict[str, Any], caller: Caller) -> ProfileInput:
    """Check the body (already a JSON object); ApiError(400) names every problem at once."""
    unknown = sorted(set(body) - ALLOWED_FIELDS)
    if unknown:
        raise ApiError(
            400,
            f"field(s) not accepted: {', '.join(unknown)}; send only {', '.join(sorted(ALLOWED_FIELDS))}"
            " (the record's key and provider come from your verified identity)",
        )
    problems: list[str] = []
    values: dict[str, str] = {}
    for name in TEXT_FIELDS:
        raw, missing = _raw_value(name, body, caller)
        if raw is None:
            problems.append(missing)
            continue
        if not isinstance(raw, str):
            problems.append(f"{name} must be a string")
            continue
        value = raw.strip()
        limit = MAX_EMAIL_LENGTH if name == "email" else MAX_NAME_LENGTH
        if not value:
            problems.append(f"{name} must not be empty")
        elif len(value) > limit:
            problems.append(f"{name} must be at most {limit} characters")
        elif not value.isprintable():
            problems.append(f"{name} must not contain control characters")
        elif name == "email" and not _EMAIL.match(value):
            problems.append("email is not an email address")
        else:
            values[name] = value
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        problems.append("version must be a whole number >= 1 (the version you last read)")
    if problems:
        raise ApiError(400, "; ".join(problems))
    return ProfileInput(values["name"], values["surname"], values["email"], version)


def _raw_value(name: str, body: dict[str, Any], caller: Caller) -> tuple[object, str]:
    """A text field from the body or, in user_pool mode, the token; with the problem when absent."""
    raw = body.get(name)
    if raw is not None or caller.mode != "user_pool":
        return raw, f"{name} is required"
    if name != "email":
        return caller.claims.get(CLAIM_DEFAULTS[name]), f"{name} is required"
    if caller.verified_email is None and caller.claims.get("email"):
        return None, UNVERIFIED_EMAIL
    return caller.verified_email, f"{name} is required"


def public_view(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in PUBLIC_ATTRIBUTES if k in item}


def get_profile(table: Table, caller: Caller) -> dict[str, Any] | None:
    response = table.client.get_item(
        TableName=table.name, Key=to_attrs({"pk": caller.pk, "sk": SK}), ConsistentRead=True
    )
    item = response.get("Item")
    return public_view(from_item(item)) if item else None


def put_profile(
    table: Table, caller: Caller, data: ProfileInput, now: datetime | None = None
) -> dict[str, Any]:
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    values: dict[str, Any] = {
        ":name": data.name,
        ":surname": data.surname,
        ":email": data.email,
        ":provider": caller.provider,
        ":now": stamp,
        ":zero": 0,
        ":one": 1,
    }
    request: dict[str, Any] = {
        "TableName": table.name,
        "Key": to_attrs({"pk": caller.pk, "sk": SK}),
        "UpdateExpression": (
            "SET #name = :name, surname = :surname, email = :email, provider = :provider, "
            "updated_at = :now, version = if_not_exists(version, :zero) + :one"
        ),
        "ExpressionAttributeNames": {"#name": "name"},
        "ReturnValues": "ALL_NEW",
    }
    if data.expected_version is not None:
        request["ConditionExpression"] = "version = :expected"
        values[":expected"] = data.expected_version
    request["ExpressionAttributeValues"] = to_attrs(values)
    try:
        response = table.client.update_item(**request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise ApiError(
                409,
                f"the profile is no longer at version {data.expected_version}: GET it again and retry "
                "with its current version",
            ) from None
        raise
    return public_view(from_item(response["Attributes"]))

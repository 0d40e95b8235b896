"""Administrators' actions, from anywhere, into the revocation record (`feed.handler`).

An EventBridge rule on the default bus (terraform/stack/revocation.tf) sends this function the
"AWS API Call via CloudTrail" events of this user pool's AdminUserGlobalSignOut, AdminDisableUser,
AdminDeleteUser, AdminRemoveUserFromGroup and AdminAddUserToGroup calls that succeeded, whoever
made them (console, CLI, another system). What AWS documents about these events, and so the bound
(docs/architecture.md, "Revocation"):
- EventBridge receives them only while a CloudTrail trail with logging on records the account's
  management events, and CloudTrail delivers them on a best-effort basis;
- Cognito records the user's `sub` (in `additionalEventData.sub`) but not the user name, so the
  record is keyed by what the authorizer keys it by;
- `eventTime` is the call's time, to the second.

Each event revokes every token of the user issued before the call (a group change too: those tokens
carry the old `cognito:groups`). CloudTrail gives the call's second only, and `iat` is whole seconds,
so a token issued within that second cannot be placed before or after the call:
- AdminDisableUser, AdminDeleteUser: `revoked_before` = the second after `eventTime`: that whole
  second is revoked (the safe side; no valid token can follow the call in it);
- AdminUserGlobalSignOut and the group changes: `revoked_before` = `eventTime`: tokens of earlier
  seconds are revoked, tokens of the call's own second are kept. A client that signs in (or
  refreshes) right after the change gets a token of that second, and it must work: "create a user,
  add it to a group, sign in" is what every provisioning script does. The price, documented in
  docs/architecture.md ("Revocation"): a token issued earlier within that same second keeps its old
  groups until it expires. (The product's own sign-out records the instant to the millisecond.)
Delivery is at least once and may be late: the same event written twice changes nothing, and a late
event revokes only tokens issued before the call, never a sign-in that followed it. Then, once
REVOCATION_CHECK_SECONDS have passed, the stage's authorizer cache is flushed
(revocation_core/gateway.py says why it waits).

An event this function cannot use (another pool, a failed call, no `sub`) is logged; one without a
`sub` raises (the function's Errors metric counts it: the revocation did not happen). A record that
cannot be written raises too, and Lambda retries the asynchronous invocation.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from revocation_core import aws, gateway, settings
from revocation_core.logs import log
from revocation_core.record import RecordWriter, Revocation

HANDLED = frozenset(
    {
        "AdminUserGlobalSignOut",
        "AdminDisableUser",
        "AdminDeleteUser",
        "AdminRemoveUserFromGroup",
        "AdminAddUserToGroup",
    }
)
# Actions after which no valid token of the user can be issued within the same second.
WHOLE_SECOND = frozenset({"AdminDisableUser", "AdminDeleteUser"})
DETAIL_TYPE = "AWS API Call via CloudTrail"
EVENT_SOURCE = "cognito-idp.amazonaws.com"


class FeedError(RuntimeError):
    """The event should have revoked tokens and did not (the message says why)."""


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    detail = event.get("detail") if isinstance(event.get("detail"), Mapping) else {}
    assert isinstance(detail, Mapping)
    name = detail.get("eventName")
    fields: dict[str, Any] = {
        "event_name": name,
        "event_id": detail.get("eventID"),
        "request_id": getattr(context, "aws_request_id", None),
    }
    skip = _skip_reason(event, detail)
    if skip:
        log("INFO", "admin action ignored", reason=skip, **fields)
        return {"revoked": False, "reason": skip}
    additional = detail.get("additionalEventData")
    sub = additional.get("sub") if isinstance(additional, Mapping) else None
    if not isinstance(sub, str) or not sub:
        log("ERROR", "admin action without the user's sub", **fields)
        raise FeedError(f"{name} event {detail.get('eventID')} has no additionalEventData.sub")
    at = _event_second(detail.get("eventTime")) + (1.0 if name in WHOLE_SECOND else 0.0)
    writer = RecordWriter(
        settings.required("TABLE_NAME"),
        settings.seconds("TOKEN_LIFETIME_SECONDS", minimum=1),
        lambda: aws.client("dynamodb"),
    )
    writer.write(Revocation(sub, at, None, str(name)))  # RecordError: Lambda retries the event
    flush = gateway.flush_after_check(
        settings.required("REST_API_ID"),
        settings.required("STAGE_NAME"),
        check_seconds=settings.seconds("REVOCATION_CHECK_SECONDS"),
        result_ttl_seconds=settings.seconds("RESULT_TTL_SECONDS"),
        written_at=time.monotonic(),
    )
    log("INFO", "admin action revoked tokens", sub=sub, revoked_before=at, flushed=flush.flushed, **fields)
    return {"revoked": True, "sub": sub, "revoked_before": at, "authorizer_cache_flushed": flush.flushed}


def _skip_reason(event: Mapping[str, Any], detail: Mapping[str, Any]) -> str:
    if event.get("detail-type") != DETAIL_TYPE or detail.get("eventSource") != EVENT_SOURCE:
        return "not a Cognito user pools API call"
    if detail.get("eventName") not in HANDLED:
        return "not an action that revokes tokens"
    if detail.get("errorCode"):
        return "the call failed"
    parameters = detail.get("requestParameters")
    pool = parameters.get("userPoolId") if isinstance(parameters, Mapping) else None
    if pool != settings.required("USER_POOL_ID"):
        return "another user pool"
    return ""


def _event_second(raw: object) -> float:
    """CloudTrail's eventTime (`2024-05-01T12:34:56Z`) as epoch seconds."""
    if not isinstance(raw, str):
        raise FeedError("the event has no eventTime")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise FeedError(f"eventTime {raw!r} is not an ISO 8601 time") from None

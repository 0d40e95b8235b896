"""The product's sign-out: `POST /session/signout` (`signout.handler`), for the console and any SPA.

Not a route of the access model (tests/contract/access.yaml, "revocation", says what it is): the
method is declared by the stack itself, behind API Gateway's Cognito user-pool authorizer, which
verifies the caller's access token (scope `openid` or `aws.cognito.signin.user.admin`) and hands
its claims over in `requestContext.authorizer.claims`. Nothing here trusts anything else.

Request body (JSON, optional fields):
- `refresh_token`: the session's refresh token. Revoked at Cognito (RevokeToken, with the token's
  own app client), which refuses it from then on; every access and ID token minted from it
  carries the access token's `origin_jti`, and that family is written to the revocation record;
- `global: true`: sign the user out everywhere instead (AdminUserGlobalSignOut: every refresh
  token of the user is refused) and revoke every token of the user issued before now.
One of the two is required: revoking only the access token's family without its refresh token
would let the refresh token mint new tokens of that family once the record entry expires.

Then, in order, and the answer only once all are done: Cognito revokes, the record is written
(functions/revocation/revocation_core/record.py), and once REVOCATION_CHECK_SECONDS have passed
(every authorizer container then reads the new record) the stage's authorizer cache is flushed
(revocation_core/gateway.py): the answer comes that much later. 200 `{"signed_out":
"session"|"everywhere", "lambda_routes_refuse_within_seconds": N, "authorizer_cache_flushed":
bool}`: N is REVOCATION_CHECK_SECONDS (+0.2 s, rounded up) after a flush, RESULT_TTL_SECONDS +
REVOCATION_CHECK_SECONDS without one. user_pool and iam routes are bounded by the token lifetime
(docs/architecture.md).
Errors: 400 (bad body, Cognito refused the refresh token: nothing was recorded), 401 (no verified
access token: API Gateway answers it before this function), 403 (a token of another app client),
503 (Cognito or the table unavailable: try again; a repeated sign-out is harmless).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from revocation_core import aws, gateway, settings
from revocation_core.http import ApiError, Event, json_body, json_response
from revocation_core.logs import log
from revocation_core.record import RecordError, RecordWriter, Revocation

BODY_KEYS = frozenset({"refresh_token", "global"})
# Cognito's answers to a refresh token it will not revoke for this client: the caller's mistake.
REFUSED_BY_COGNITO = frozenset(
    {
        "InvalidParameterException",
        "UnauthorizedException",
        "UnsupportedTokenTypeException",
        "UnsupportedOperationException",
        "NotAuthorizedException",
        "UserNotFoundException",
    }
)


def handler(event: Event, context: Any = None) -> dict[str, Any]:
    started = time.perf_counter()
    fields: dict[str, Any] = {"request_id": getattr(context, "aws_request_id", None)}
    level = "INFO"
    try:
        status, body = sign_out(event, fields)
    except ApiError as exc:
        status, body = exc.status, {"message": exc.message}
        fields["error"] = exc.message
        level = "WARNING" if exc.status >= 500 else "INFO"
    except settings.ConfigError as exc:
        status, body = 500, {"message": "Internal server error"}
        fields["error"] = str(exc)
        level = "ERROR"
    except Exception as exc:
        status, body = 500, {"message": "Internal server error"}
        fields["error"] = type(exc).__name__
        level = "ERROR"
    fields.update(status=status, duration_ms=round((time.perf_counter() - started) * 1000, 3))
    log(level, "sign-out", **fields)
    return json_response(status, body, event)


def _claims(event: Event) -> Mapping[str, Any]:
    context = event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    if not isinstance(claims, Mapping) or claims.get("token_use") != "access":
        # API Gateway's authorizer lets only verified access tokens through; anything else is a
        # misconfigured method, never a caller to trust.
        raise ApiError(401, "a verified access token is required")
    return claims


def sign_out(event: Event, fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if event.get("httpMethod") != "POST":
        raise ApiError(405, "use POST")
    claims = _claims(event)
    sub, client_id = str(claims.get("sub") or ""), str(claims.get("client_id") or "")
    fields.update(sub=sub, client_id=client_id)
    if not sub:
        raise ApiError(401, "a verified access token is required")
    if client_id not in settings.names("ALLOWED_CLIENT_IDS"):
        raise ApiError(403, "this endpoint signs out sessions of the web app's client only")
    body = json_body(event)
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        raise ApiError(400, f"unknown field(s) {unknown}; allowed: {sorted(BODY_KEYS)}")
    everywhere = body.get("global", False)
    if not isinstance(everywhere, bool):
        raise ApiError(400, "global must be true or false")
    refresh_token = body.get("refresh_token")
    if refresh_token is not None and (not isinstance(refresh_token, str) or not refresh_token):
        raise ApiError(400, "refresh_token must be the session's refresh token (a string)")
    if not everywhere and refresh_token is None:
        raise ApiError(400, "give the session's refresh_token, or global: true to sign out everywhere")

    family = claims.get("origin_jti") if isinstance(claims.get("origin_jti"), str) else None
    if everywhere:
        username = str(claims.get("username") or sub)
        _cognito(
            "AdminUserGlobalSignOut",
            lambda: aws.client("cognito-idp").admin_user_global_sign_out(
                UserPoolId=settings.required("USER_POOL_ID"), Username=username
            ),
        )
        revocation = Revocation(sub, time.time(), None, "GlobalSignOut")
    else:
        _cognito(
            "RevokeToken",
            lambda: aws.client("cognito-idp").revoke_token(Token=refresh_token, ClientId=client_id),
        )
        # A token without origin_jti (its client has token revocation off) has no family to name:
        # revoke every token of the user issued until now instead (the safe side).
        revocation = Revocation(sub, time.time(), family or None, "RevokeToken")
    writer = RecordWriter(
        settings.required("TABLE_NAME"), settings.seconds("TOKEN_LIFETIME_SECONDS", minimum=1), _dynamodb
    )
    try:
        writer.write(revocation)
        written_at = time.monotonic()
    except RecordError as exc:
        fields["record_error"] = str(exc)
        message = "signed out at Cognito, but the revocation could not be recorded: try again"
        raise ApiError(503, message) from exc
    context = event.get("requestContext")
    api_id = str(context.get("apiId") or "") if isinstance(context, Mapping) else ""
    stage = str(context.get("stage") or "") if isinstance(context, Mapping) else ""
    flush = gateway.flush_after_check(
        api_id,
        stage,
        check_seconds=settings.seconds("REVOCATION_CHECK_SECONDS"),
        result_ttl_seconds=settings.seconds("RESULT_TTL_SECONDS"),
        written_at=written_at,
    )
    scope = "everywhere" if everywhere or revocation.family is None else "session"
    fields.update(signed_out=scope, flushed=flush.flushed)
    return 200, {
        "signed_out": scope,
        "lambda_routes_refuse_within_seconds": flush.bound_seconds,
        "authorizer_cache_flushed": flush.flushed,
    }


def _dynamodb() -> Any:
    return aws.client("dynamodb")


def _cognito(action: str, call: Any) -> None:
    try:
        call()
    except Exception as exc:
        code = aws.error_code(exc)
        if code in REFUSED_BY_COGNITO:
            raise ApiError(400, f"Cognito refused the {action}: {code}") from exc
        raise ApiError(503, f"Cognito is unavailable ({code}): nothing was signed out, try again") from exc

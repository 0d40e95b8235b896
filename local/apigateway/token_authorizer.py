"""Lambda `TOKEN` authorizer: invoke the deployed function, cache its answer, apply its policy.

Contract (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html):
* the token is the header named by `identitySource` (`method.request.header.<Name>`); missing or
  empty, or not matching `identityValidationExpression` (a full match) → 401 ``Unauthorized``
  without invoking the function;
* the function gets ``{"type": "TOKEN", "authorizationToken": ..., "methodArn": ...}``;
  it failing with the message ``Unauthorized`` → 401; any other failure, or an answer without a
  ``principalId`` and a usable ``policyDocument``, or a ``context`` value that is not a string,
  number or boolean → 500 ``{"message": null}`` (AuthorizerConfigurationException);
* the answer is cached per stage, authorizer and identity-source value for
  `authorizerResultTtlInSeconds` (API reference, Authorizer: 0 disables caching, unset means 300,
  at most 3600; an out-of-range value, which API Gateway would have refused to store, is a
  configuration error here rather than a longer cache); the cache never looks at the token's
  `exp`, so a cached Allow outlives the token by up to the TTL (docs/architecture.md, "Authorizer
  cache window"); the cached policy is evaluated again against each request's method ARN, which
  is why an authorizer must return a policy covering every route the caller may use; a new
  deployment of the stage flushes the cache (`TokenAuthorizers.clear`, called on reload), and so
  does FlushStageAuthorizersCache on that stage (`local.apigateway.flushes`, counted by the
  emulator's route for it);
* Allow → the request continues with `requestContext.authorizer` = ``principalId``, the context
  values as strings and ``integrationLatency``; explicit Deny → 403 ``User is not authorized to
  access this resource with an explicit deny``; no matching Allow → 403 ``User is not authorized to
  access this resource``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local.apigateway import flushes
from local.apigateway.api_model import Authorizer
from local.apigateway.logs import emit, log
from local.apigateway.messages import HttpRequest
from local.apigateway.responses import GatewayError
from local.awslambda.types import LambdaRuntime
from tools import iam_policy

__all__ = ["AuthorizerOutput", "TokenAuthorizers", "header_name"]

HEADER_SOURCE = "method.request.header."
#: authorizerResultTtlInSeconds bounds (API reference, Authorizer).
MAX_RESULT_TTL_SECONDS = 3600


@dataclass(frozen=True)
class AuthorizerOutput:
    principal_id: str
    policy: Mapping[str, Any]
    context: Mapping[str, str]
    latency_ms: int


def header_name(identity_source: str) -> str | None:
    source = identity_source.strip()
    return source[len(HEADER_SOURCE) :] if source.startswith(HEADER_SOURCE) else None


def _unauthorized(reason: str) -> GatewayError:
    return GatewayError("UNAUTHORIZED", "Unauthorized", "UnauthorizedException", reason=reason)


def _configuration_error(reason: str) -> GatewayError:
    return GatewayError(
        "AUTHORIZER_CONFIGURATION_ERROR", None, "AuthorizerConfigurationException", reason=reason
    )


def _stage_of(method_arn: str) -> str:
    """`arn:aws:execute-api:<region>:<account>:<api>/<stage>/<verb>/<path>` -> `<stage>`."""
    return _api_stage_of(method_arn)[1]


def _api_stage_of(method_arn: str) -> tuple[str, str]:
    """`arn:aws:execute-api:<region>:<account>:<api>/<stage>/<verb>/<path>` -> (`<api>`, `<stage>`)."""
    resource = method_arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[0], (parts[1] if len(parts) > 1 else "")


def _context_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(type(value).__name__)


def parse_output(payload: Any, latency_ms: int) -> AuthorizerOutput:
    """Validate the function's answer; ValueError with a reason when API Gateway would refuse it."""
    if not isinstance(payload, dict):
        raise ValueError("the authorizer returned no object")
    principal = payload.get("principalId")
    if principal is None or isinstance(principal, dict | list) or str(principal) == "":
        raise ValueError("principalId is missing")
    policy = payload.get("policyDocument")
    if not isinstance(policy, dict):
        raise ValueError("policyDocument is missing or not an object")
    problems = iam_policy.validate(policy)
    if problems:
        raise ValueError("policyDocument: " + "; ".join(problems))
    raw_context = payload.get("context") or {}
    if not isinstance(raw_context, dict):
        raise ValueError("context must be an object")
    try:
        context = {str(k): _context_value(v) for k, v in raw_context.items()}
    except ValueError as exc:
        raise ValueError(f"context values must be strings, numbers or booleans, not {exc}") from None
    return AuthorizerOutput(str(principal), policy, context, latency_ms)


class TokenAuthorizers:
    """Runs TOKEN authorizers and keeps their cache (clear it when the API is redeployed)."""

    def __init__(self, runtime: Callable[[], LambdaRuntime], clock: Callable[[], float]) -> None:
        self._runtime = runtime
        self._clock = clock
        self._cache: dict[tuple[str, str, str], tuple[float, AuthorizerOutput]] = {}
        self._lock = threading.Lock()
        self._flushes_seen: dict[tuple[str, str], int] = {}  # (api, stage) -> flush generation

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def _apply_flushes(self, method_arn: str) -> None:
        """Drop the stage's cached results if FlushStageAuthorizersCache ran since last seen."""
        api_stage = _api_stage_of(method_arn)
        current = flushes.generation(*api_stage)
        if self._flushes_seen.get(api_stage, 0) == current:
            return
        with self._lock:
            stage = api_stage[1]
            for key in [k for k in self._cache if k[0] == stage]:
                del self._cache[key]
            self._flushes_seen[api_stage] = current

    def _cached(self, key: tuple[str, str, str]) -> AuthorizerOutput | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                return None
            if self._clock() >= hit[0]:
                del self._cache[key]
                return None
            return hit[1]

    def authorize(
        self,
        authorizer: Authorizer,
        request: HttpRequest,
        method_arn: str,
        condition_context: Mapping[str, Any],
        check_permission: Callable[[str], bool],
    ) -> AuthorizerOutput:
        """The output to pass on (Allow), or a :class:`GatewayError` (see the module docstring)."""
        name = header_name(authorizer.identity_source)
        if name is None:
            raise _configuration_error(
                f"identity source {authorizer.identity_source!r} is not a request header"
            )
        token = request.header(name)
        if token is None or not token.strip():
            raise _unauthorized("identity source missing")
        expression = authorizer.identity_validation_expression
        if expression:
            try:
                valid = re.fullmatch(expression, token) is not None
            except re.error:
                raise _configuration_error("identityValidationExpression is not a valid regex") from None
            if not valid:
                raise _unauthorized("token does not match identityValidationExpression")

        ttl = authorizer.ttl_seconds
        if not 0 <= ttl <= MAX_RESULT_TTL_SECONDS:
            raise _configuration_error(
                f"authorizerResultTtlInSeconds {ttl} is outside 0-{MAX_RESULT_TTL_SECONDS}"
            )
        key = (_stage_of(method_arn), authorizer.id, token)
        self._apply_flushes(method_arn)
        output = self._cached(key) if ttl > 0 else None
        cached = output is not None
        if output is None:
            output = self._invoke(authorizer, token, method_arn, check_permission)
            if ttl > 0:
                with self._lock:
                    self._cache[key] = (self._clock() + ttl, output)

        decision = iam_policy.evaluate([output.policy], "execute-api:Invoke", method_arn, condition_context)
        emit(
            log,
            logging.INFO,
            "lambda_authorizer_decision",
            authorizer=authorizer.name,
            principal_id=output.principal_id,
            decision=decision.effect.value,
            sid=decision.sid,
            cached=cached,
            method_arn=method_arn,
        )
        if decision.effect is iam_policy.Effect.EXPLICIT_DENY:
            raise GatewayError(
                "ACCESS_DENIED",
                "User is not authorized to access this resource with an explicit deny",
                "AccessDeniedException",
                body_key="Message",
                reason="authorizer policy: explicit deny",
            )
        if decision.effect is iam_policy.Effect.IMPLICIT_DENY:
            raise GatewayError(
                "ACCESS_DENIED",
                "User is not authorized to access this resource",
                "AccessDeniedException",
                body_key="Message",
                reason="authorizer policy: no statement allows",
            )
        return output

    def _invoke(
        self, authorizer: Authorizer, token: str, method_arn: str, check_permission: Callable[[str], bool]
    ) -> AuthorizerOutput:
        function = authorizer.function_arn
        if function is None:
            raise _configuration_error("authorizerUri does not name a Lambda function")
        if not check_permission(function):
            raise _configuration_error("the function's resource policy does not let API Gateway invoke it")
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        result = self._runtime().invoke(function, event)
        if result.error_type is not None:
            if (result.error_message or "").strip() == "Unauthorized":
                raise _unauthorized("authorizer answered Unauthorized")
            raise _configuration_error(f"authorizer failed: {result.error_type}")
        try:
            return parse_output(result.payload, round(result.duration_ms))
        except ValueError as exc:
            raise _configuration_error(f"authorizer answer refused: {exc}") from None

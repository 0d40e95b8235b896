"""The gateway core: one HTTP request in, API Gateway's answer out (no sockets here).

Pipeline per request, in API Gateway's order:
1. stage (first path segment) and route → else 403 ``Missing Authentication Token``;
2. the method's authorization (``NONE``, ``AWS_IAM``, ``COGNITO_USER_POOLS``, ``CUSTOM`` TOKEN);
3. the integration (``MOCK`` for CORS preflight, ``AWS_PROXY`` to the deployed Lambda zip);
4. refusals rendered as the API's gateway responses; one JSON access-log line.

The API is read from the emulator lazily and again whenever a stage points at a new deployment
(or on :meth:`GatewayApp.reload`); a reload also flushes the Lambda authorizer cache, as a
redeployment does on AWS.

What the pipeline reads from the emulator per request (the stage list, to notice a redeployment;
the invoked function's resource policy; the caller's role policies in iam mode; the function's
configuration, in the Lambda runtime) is kept for as long as the emulator's change count stays
the same: each request first asks the emulator's change feed (`local/core/changes.py`), one small
HTTP request, and everything read under an older count is read again. An emulator without the
feed (a plain moto server) gets every read on every request, as before. The emulator not
answering the feed is a 503, as a failed read was.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.apigateway import access_log, sigv4
from local.apigateway.api_model import ApiModel, ApiNotFound, Integration, Method, load_api
from local.apigateway.cognito import CognitoAuthError, CognitoVerifier, stringify_claims
from local.apigateway.iam_auth import (
    RoleNotFound,
    RolePolicies,
    condition_context,
    denied_message,
    identity_fields,
)
from local.apigateway.logs import access_log as access_logger
from local.apigateway.logs import emit, log
from local.apigateway.messages import HttpRequest, HttpResponse
from local.apigateway.permissions import invoke_allowed
from local.apigateway.proxy import (
    ProxyResponseError,
    build_event,
    extended_request_id,
    parse_query,
    proxy_response,
)
from local.apigateway.responses import GatewayError, RequestValues, render
from local.apigateway.router import Router, split_path
from local.apigateway.token_authorizer import TokenAuthorizers, header_name
from local.awslambda.types import LambdaRuntime
from local.core.changes import ChangeFeed, EmulatorUnreachable, Generation, Versioned, observing
from local.logs.shipper import shipper_for
from tools import iam_policy

__all__ = ["MAX_REQUEST_HEAD_BYTES", "GatewayApp", "request_head_bytes"]

Clock = Callable[[], datetime]
#: REST API quota "Total combined size of request line and header values": 10,240 bytes, not
#: adjustable (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html).
MAX_REQUEST_HEAD_BYTES = 10_240
#: What API Gateway answers past it. Not in AWS's documentation; reported by its users: status 431
#: and the text "HTTP header is larger than 10240 bytes." from API Gateway's front end, before the
#: API is looked at (no gateway response, no CORS headers). The content type is the one the same
#: front end sends with its sibling refusal, 413 "HTTP content length exceeded 10485760 bytes.".
HEAD_TOO_LARGE_STATUS = 431
HEAD_TOO_LARGE_BODY = f"HTTP header is larger than {MAX_REQUEST_HEAD_BYTES} bytes.".encode()
HEAD_TOO_LARGE_TYPE = "text; charset=utf-8"
# Refusals that come from authentication/authorization (logged as `authorizerError`).
_AUTH_RESPONSE_TYPES = frozenset(
    {
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "AUTHORIZER_FAILURE",
        "AUTHORIZER_CONFIGURATION_ERROR",
        "INVALID_SIGNATURE",
        "EXPIRED_TOKEN",
    }
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _missing_token() -> GatewayError:
    return GatewayError(
        "MISSING_AUTHENTICATION_TOKEN",
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
        reason="no such stage, resource or method",
    )


def _internal(reason: str) -> GatewayError:
    return GatewayError("API_CONFIGURATION_ERROR", "Internal server error", reason=reason)


def _bad_gateway(reason: str) -> GatewayError:
    # A failed or malformed Lambda proxy answer: DEFAULT_5XX applies, status 502.
    return GatewayError("DEFAULT_5XX", "Internal server error", status=502, reason=reason)


@dataclass(frozen=True)
class _Loaded:
    model: ApiModel
    router: Router
    signature: tuple[tuple[str, str | None], ...]


@dataclass
class Invocation:
    """One request on its way through the pipeline (LocalStack calls it the invocation context).

    `handle` creates it with what the request says (which stage, which path, ids, the time, the
    API as loaded); the steps of `_dispatch` add what they learn (the matched resource and path
    parameters, for gateway responses; access-log fields in `log_fields`).
    """

    request: HttpRequest
    loaded: _Loaded
    stage_name: str
    rest_raw: str  # the path after the stage, as sent
    request_id: str
    extended_id: str
    now: datetime
    log_fields: dict[str, Any]
    generation: Generation | None  # the emulator's change count when the request started
    resource_path: str = ""
    path_parameters: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def model(self) -> ApiModel:
        return self.loaded.model


@dataclass
class _Outcome:
    identity: dict[str, Any]
    authorizer: dict[str, Any] | None = None


def _wire_bytes(text: str) -> int:
    """Bytes `text` took on the wire (http.server decodes request lines and headers as Latin-1;
    text given in-process that Latin-1 cannot hold is counted as UTF-8)."""
    try:
        return len(text.encode("latin-1"))
    except UnicodeEncodeError:
        return len(text.encode("utf-8"))


def request_head_bytes(request: HttpRequest) -> int:
    """What counts against MAX_REQUEST_HEAD_BYTES: the request line and every header value."""
    target = request.raw_path + (f"?{request.query}" if request.query else "")
    line = f"{request.method} {target} {request.protocol}"
    return _wire_bytes(line) + sum(_wire_bytes(value) for _, value in request.headers)


class GatewayApp:
    """Serves one REST API from the emulator (see the module docstring)."""

    def __init__(
        self,
        *,
        clients: Mapping[str, Any],
        region: str,
        api_id: str | None,
        runtime: Callable[[], LambdaRuntime],
        jwks_url: Callable[[str], str],
        resolver: sigv4.CredentialsResolver = sigv4.default_resolver,
        clock: Clock = utc_now,
        enforce_lambda_permissions: bool = True,
        watch_deployments: bool = True,
        changes: ChangeFeed | None = None,
    ) -> None:
        self._clients = clients
        self._region = region
        self._api_id = api_id
        self._runtime = runtime
        self._resolver = resolver
        self._clock = clock
        self._enforce_permissions = enforce_lambda_permissions
        self._watch = watch_deployments
        self._roles = RolePolicies(clients["iam"])
        self._cognito = CognitoVerifier(jwks_url)
        self._tokens = TokenAuthorizers(runtime, lambda: self._clock().timestamp())
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._changes = changes
        # The generation under which the stage list last matched the loaded API (None: check).
        self._stages_checked: Generation | None = None
        # Function ARN -> its resource policy (None: it has none, or the function is missing).
        self._policies: Versioned[str, tuple[str | None]] = Versioned()

    # --- API model ---------------------------------------------------------------------------

    def _signature(self, api_id: str) -> tuple[tuple[str, str | None], ...]:
        stages = self._clients["apigateway"].get_stages(restApiId=api_id).get("item", [])
        return tuple(sorted((str(s["stageName"]), s.get("deploymentId")) for s in stages))

    def reload(self, generation: Generation | None = None) -> ApiModel:
        """Read the API again (after a new deployment) and flush the authorizer cache.

        `generation`: the emulator's change count observed before this read, if known."""
        with self._lock:
            model = load_api(self._clients, self._region, self._api_id)
            self._loaded = _Loaded(model, Router(model.resources), self._signature(model.api_id))
            self._stages_checked = generation
            self._tokens.clear()
        emit(log, logging.INFO, "api_loaded", api_id=model.api_id, stages=sorted(model.stages))
        return model

    def _stale(self, loaded: _Loaded, generation: Generation | None) -> bool:
        if not self._watch:
            return False
        checked = self._stages_checked
        if generation is not None and checked is not None and not generation.supersedes(checked):
            return False  # nothing changed in the emulator since the stages last matched
        try:
            stale = self._signature(loaded.model.api_id) != loaded.signature
        except ClientError:
            return True  # the API is gone (e.g. destroyed and re-created): load again
        if not stale and generation is not None:
            with self._lock:
                if self._loaded is loaded and (checked is None or generation.supersedes(checked)):
                    self._stages_checked = generation
        return stale

    def _current(self, generation: Generation | None = None) -> _Loaded:
        loaded = self._loaded
        if loaded is None or self._stale(loaded, generation):
            self.reload(generation)
        assert self._loaded is not None
        return self._loaded

    @property
    def model(self) -> ApiModel:
        return self._current().model

    # --- requests ----------------------------------------------------------------------------

    def handle(self, request: HttpRequest, *, too_large: bool = False) -> HttpResponse:
        """API Gateway's answer to `request`; `too_large`: the server refused to read its body
        (answered as the REQUEST_TOO_LARGE gateway response, with the API's headers such as CORS)."""
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        if request_head_bytes(request) > MAX_REQUEST_HEAD_BYTES:
            refused = HttpResponse(
                HEAD_TOO_LARGE_STATUS, [("Content-Type", HEAD_TOO_LARGE_TYPE)], HEAD_TOO_LARGE_BODY
            )
            self._access_log(request, request_id, refused, started, {"error": "request head too large"})
            return refused
        extended_id = extended_request_id()
        now = self._clock()
        log_fields: dict[str, Any] = {"cognitoIdentityId": None}
        try:
            generation = self._changes.observe() if self._changes is not None else None
            loaded = self._current(generation)
        except (ApiNotFound, ClientError, BotoCoreError, EmulatorUnreachable) as exc:
            # Local-only condition (nothing deployed, or the emulator is down): say so plainly.
            message = (
                str(exc) if isinstance(exc, ApiNotFound) else f"cannot read the API from the emulator: {exc}"
            )
            response = HttpResponse(
                503, [("Content-Type", "application/json")], json.dumps({"message": message}).encode()
            )
            self._access_log(request, request_id, response, started, {"error": type(exc).__name__})
            return response

        model = loaded.model
        segments = [s for s in request.raw_path.split("/") if s]
        stage_name = urllib.parse.unquote(segments[0]) if segments else ""
        rest_raw = "/" + "/".join(segments[1:])
        query_pairs = parse_query(request.query)
        values = RequestValues(
            request_id=request_id,
            headers={k.lower(): v for k, v in request.headers},
            query=dict(query_pairs),
            path_parameters={},
            stage_variables=dict(model.stages[stage_name].variables) if stage_name in model.stages else {},
            http_method=request.method.upper(),
            stage=stage_name,
        )
        invocation = Invocation(
            request=request,
            loaded=loaded,
            stage_name=stage_name,
            rest_raw=rest_raw,
            request_id=request_id,
            extended_id=extended_id,
            now=now,
            log_fields=log_fields,
            generation=generation,
        )
        try:
            if too_large:
                raise GatewayError("REQUEST_TOO_LARGE", "Request Too Long", reason="payload over 10 MB")
            if self._changes is None:
                response = self._dispatch(invocation)
            else:
                # The Lambda runtime reads the function's configuration under the same count.
                with observing(self._changes.url, generation):
                    response = self._dispatch(invocation)
        except GatewayError as err:
            values = dataclasses.replace(
                values, path_parameters=invocation.path_parameters, resource_path=invocation.resource_path
            )
            response = render(model, err, values)
            log_fields["responseType"] = err.response_type
            key = "authorizerError" if err.response_type in _AUTH_RESPONSE_TYPES else "error"
            log_fields[key] = err.reason or err.message
            log_fields["errorMessage"] = err.message
        except Exception as exc:  # a bug or an emulator failure: answer like API Gateway, log it
            log.exception("gateway failure")
            response = render(model, _internal(f"{type(exc).__name__}: {exc}"), values)
            log_fields["error"] = f"{type(exc).__name__}"
        response.headers.append(("x-amzn-RequestId", request_id))
        response.headers.append(("x-amz-apigw-id", extended_id))
        self._access_log(request, request_id, response, started, log_fields)
        self._stage_access_log(invocation, response)
        return response

    def _stage_access_log(self, invocation: Invocation, response: HttpResponse) -> None:
        """The stage's own access-log line, in its configured format, into its log group (batched
        off the request path by local/logs/shipper.py), as API Gateway delivers it."""
        model = invocation.model
        stage = model.stages.get(invocation.stage_name)
        if stage is None or stage.access_log is None or stage.access_log.log_group is None:
            return
        settings, group = stage.access_log, stage.access_log.log_group
        values = access_log.context_values(
            request_id=invocation.request_id,
            request_time_ms=int(invocation.now.timestamp() * 1000),
            method=invocation.request.method.upper(),
            source_ip=invocation.request.source_ip,
            status=response.status,
            response_length=len(response.body),
            fields=invocation.log_fields,
        )
        # Rendered at delivery, on the shipper's thread: the request only builds the values.
        shipper_for(model.account_id, model.region).add(
            group,
            f"{model.api_id}/{stage.name}",
            functools.partial(access_log.render, settings.format, values),
        )

    def _access_log(
        self,
        request: HttpRequest,
        request_id: str,
        response: HttpResponse,
        started: float,
        fields: Mapping[str, Any],
    ) -> None:
        emit(
            access_logger,
            logging.INFO,
            "access",
            requestId=request_id,
            ip=request.source_ip,
            method=request.method.upper(),
            path=request.raw_path,
            status=response.status,
            latencyMs=round((time.perf_counter() - started) * 1000, 1),
            **fields,
        )

    def _dispatch(self, invocation: Invocation) -> HttpResponse:
        model, request, now = invocation.model, invocation.request, invocation.now
        log_fields = invocation.log_fields
        stage = model.stages.get(invocation.stage_name)
        if stage is None:
            raise _missing_token()
        match = invocation.loaded.router.match(request.method, invocation.rest_raw)
        if match is None:
            raise _missing_token()
        log_fields["resourcePath"] = invocation.resource_path = match.resource.path
        invocation.path_parameters = dict(match.path_parameters)
        path = "/" + "/".join(split_path(invocation.rest_raw))
        arn = iam_policy.method_arn(
            region=model.region,
            account_id=model.account_id,
            api_id=model.api_id,
            stage=stage.name,
            http_method=request.method,
            path=path,
        )
        outcome = self._authorize(invocation, match.method, arn)
        if match.method.api_key_required:
            # API keys and usage plans are not emulated, so no key can be valid here: refuse the
            # way API Gateway refuses a missing or unknown key, rather than skip the requirement.
            raise GatewayError(
                "INVALID_API_KEY", "Forbidden", "ForbiddenException", reason="API keys are not emulated"
            )
        integration = match.method.integration
        if integration is None:
            raise _internal("the method has no integration")
        if integration.type == "MOCK":
            return self._mock(integration)
        if integration.type != "AWS_PROXY":
            raise _internal(f"integration type {integration.type} is not supported by the local gateway")
        function = integration.function_arn
        if function is None:
            raise _internal("the AWS_PROXY integration URI does not name a Lambda function")
        api_arn = f"arn:aws:execute-api:{model.region}:{model.account_id}:{model.api_id}"
        sources = [
            f"{api_arn}/{stage.name}/{request.method.upper()}{match.resource.path}",
            f"{api_arn}/{stage.name}/{request.method.upper()}{path}",
        ]
        if not self._permitted(function, sources, model.account_id, invocation.generation):
            raise _internal("the function's resource policy does not let API Gateway invoke it")
        event = build_event(
            request=request,
            resource_path=match.resource.path,
            path=path,
            path_parameters=match.path_parameters,
            stage=stage.name,
            stage_variables=stage.variables,
            api_id=model.api_id,
            account_id=model.account_id,
            resource_id=match.resource.id,
            request_id=invocation.request_id,
            extended_id=invocation.extended_id,
            now=now,
            domain_name=request.header("host") or f"{model.api_id}.execute-api.{model.region}.amazonaws.com",
            identity=outcome.identity,
            authorizer=outcome.authorizer,
            binary_media_types=model.binary_media_types,
        )
        result = self._runtime().invoke(function, event)
        log_fields["integrationLatencyMs"] = round(result.duration_ms, 1)
        # API Gateway stops waiting at the integration timeout, so an invocation that overran it
        # is a 504 whatever it ended with (a function timing out at its own, longer timeout too).
        if result.duration_ms > integration.timeout_ms:
            raise GatewayError(
                "INTEGRATION_TIMEOUT", "Endpoint request timed out", reason="integration timeout exceeded"
            )
        if result.error_type is not None:
            if result.is_service_error:
                raise _internal(f"Lambda could not run the function: {result.error_type}")
            raise _bad_gateway(f"function error: {result.error_type}")
        try:
            return proxy_response(result.payload)
        except ProxyResponseError as exc:
            raise _bad_gateway(f"malformed Lambda proxy response: {exc}") from None

    def _permitted(
        self, function_arn: str, source_arns: list[str], account_id: str, generation: Generation | None
    ) -> bool:
        if not self._enforce_permissions:
            return True
        cached = self._policies.get(function_arn, generation)
        if cached is None:
            try:
                policy: str | None = self._clients["lambda"].get_policy(FunctionName=function_arn)["Policy"]
            except ClientError:  # no policy (or no function) means no permission
                policy = None
            cached = (policy,)
            self._policies.put(function_arn, cached, generation)
        (policy,) = cached
        if policy is None:
            return False
        return invoke_allowed(policy, function_arn, source_arns, account_id)

    # --- authorization ----------------------------------------------------------------------

    def _authorize(self, invocation: Invocation, method: Method, arn: str) -> _Outcome:
        model, request, now = invocation.model, invocation.request, invocation.now
        log_fields = invocation.log_fields
        identity: dict[str, Any] = {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("user-agent"),
            "user": None,
        }
        kind = method.authorization_type
        log_fields["authorizationType"] = kind
        if kind == "NONE":
            return _Outcome(identity)
        if kind == "AWS_IAM":
            return self._authorize_iam(invocation, arn, identity)
        authorizer = model.authorizers.get(method.authorizer_id or "")
        if authorizer is None:
            raise GatewayError(
                "AUTHORIZER_CONFIGURATION_ERROR",
                None,
                "AuthorizerConfigurationException",
                reason="no authorizer",
            )
        if kind == "COGNITO_USER_POOLS":
            name = header_name(authorizer.identity_source) or "Authorization"
            try:
                claims = self._cognito.verify(
                    request.header(name), authorizer.provider_arns, method.authorization_scopes
                )
            except CognitoAuthError as exc:
                raise GatewayError(
                    "UNAUTHORIZED", "Unauthorized", "UnauthorizedException", reason=str(exc)
                ) from None
            log_fields["sub"] = claims.get("sub")
            return _Outcome(identity, {"claims": stringify_claims(claims)})
        if kind == "CUSTOM" and authorizer.type == "TOKEN":
            output = self._tokens.authorize(
                authorizer,
                request,
                arn,
                self._request_context_keys(request, now),
                lambda fn: self._permitted(
                    fn,
                    [
                        f"arn:aws:execute-api:{model.region}:{model.account_id}:{model.api_id}/authorizers/{authorizer.id}"
                    ],
                    model.account_id,
                    invocation.generation,
                ),
            )
            log_fields["principalId"] = output.principal_id
            return _Outcome(
                identity,
                {
                    **output.context,
                    "principalId": output.principal_id,
                    "integrationLatency": output.latency_ms,
                },
            )
        raise GatewayError(
            "AUTHORIZER_CONFIGURATION_ERROR",
            None,
            "AuthorizerConfigurationException",
            reason=f"authorization {kind}/{authorizer.type} is not supported by the local gateway",
        )

    @staticmethod
    def _request_context_keys(request: HttpRequest, now: datetime) -> dict[str, Any]:
        return {
            "aws:SourceIp": request.source_ip,
            "aws:CurrentTime": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": int(now.timestamp()),
            "aws:SecureTransport": False,
        }

    def _authorize_iam(self, invocation: Invocation, arn: str, identity: dict[str, Any]) -> _Outcome:
        request, now, log_fields = invocation.request, invocation.now, invocation.log_fields
        try:
            creds = sigv4.verify(
                method=request.method,
                raw_path=request.raw_path,
                query=request.query,
                headers=list(request.headers),
                body=request.body,
                region=self._region,
                resolver=self._resolver,
                now=now,
            )
        except sigv4.SigV4Error as exc:
            raise GatewayError(
                exc.response_type, exc.message, exc.error_type, reason=exc.error_type
            ) from None
        log_fields["cognitoIdentityId"] = creds.identity_id
        try:
            role = self._roles.load(creds.role_arn, invocation.generation)
        except RoleNotFound as exc:
            raise GatewayError(
                "ACCESS_DENIED",
                denied_message(creds, arn, explicit=False),
                "AccessDeniedException",
                body_key="Message",
                reason=f"role not found: {exc}",
            ) from None
        keys = condition_context(creds, role.role_id, request.source_ip, now)
        decision = iam_policy.evaluate(role.policies, "execute-api:Invoke", arn, keys)
        emit(
            log,
            logging.INFO,
            "iam_decision",
            role=role.arn,
            decision=decision.effect.value,
            sid=decision.sid,
            method_arn=arn,
            warnings=list(decision.warnings),
        )
        if not decision.allowed:
            explicit = decision.effect is iam_policy.Effect.EXPLICIT_DENY
            raise GatewayError(
                "ACCESS_DENIED",
                denied_message(creds, arn, explicit=explicit),
                "AccessDeniedException",
                body_key="Message",
                reason=f"iam policy: {decision.effect.value}",
            )
        identity.update(identity_fields(creds, role.role_id))
        return _Outcome(identity)

    # --- MOCK integration (CORS preflight) --------------------------------------------------

    @staticmethod
    def _mock(integration: Integration) -> HttpResponse:
        status = "200"
        template = integration.request_templates.get("application/json")
        if template:
            try:
                parsed = json.loads(template)
                status = str(int(parsed.get("statusCode", 200)))
            except (ValueError, TypeError, AttributeError):
                status = "200"
        chosen = integration.responses.get(status) or next(
            (r for r in integration.responses.values() if not r.selection_pattern), None
        )
        if chosen is None:
            raise _internal("MOCK integration: no integration response for the selected status")
        headers: list[tuple[str, str]] = []
        for name, expression in chosen.response_parameters.items():
            if name.startswith("method.response.header.") and len(expression) >= 2 and expression[0] == "'":
                headers.append((name[len("method.response.header.") :], expression[1:-1]))
        body_template = chosen.response_templates.get("application/json") or ""
        body = body_template if "$" not in body_template and "#" not in body_template else ""
        response = HttpResponse(int(chosen.status_code), headers, body.encode())
        response.set_default_header("Content-Type", "application/json")
        return response

"""Load the REST API that Terraform deployed, from the emulator, into immutable route data.

Why: the local gateway must serve exactly what was deployed (resources, methods, authorizers,
integrations, gateway responses, stages, Lambda configuration), not a second copy of the routes,
so that a Terraform mistake shows up locally the way it would on AWS. Everything is read through
the public API Gateway / Lambda / STS APIs of the emulator with boto3.

Contract: :func:`load_api` returns an :class:`ApiModel`; it raises :class:`ApiNotFound` when the
API does not exist, or when ``api_id`` is None and the emulator does not hold exactly one REST API.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from local.apigateway.access_log import AccessLogSettings
from local.apigateway.logs import emit, log

__all__ = [
    "ApiModel",
    "ApiNotFound",
    "Authorizer",
    "FunctionInfo",
    "GatewayResponseConfig",
    "Integration",
    "IntegrationResponse",
    "Method",
    "Resource",
    "Stage",
    "emulator_clients",
    "load_api",
]

DEFAULT_AUTHORIZER_TTL = 300  # API Gateway's default authorizerResultTtlInSeconds
_LAMBDA_URI = re.compile(
    r"^arn:aws[\w-]*:apigateway:[^:]+:lambda:path/[^/]+/functions/(?P<arn>.+)/invocations$"
)


class ApiNotFound(LookupError):
    """No (or no unambiguous) REST API to serve."""


@dataclass(frozen=True)
class IntegrationResponse:
    status_code: str
    selection_pattern: str | None
    response_parameters: Mapping[str, str]
    response_templates: Mapping[str, str]


@dataclass(frozen=True)
class Integration:
    type: str
    uri: str | None
    function_arn: str | None  # for AWS_PROXY/AWS Lambda integrations
    timeout_ms: int
    request_templates: Mapping[str, str]
    responses: Mapping[str, IntegrationResponse]


@dataclass(frozen=True)
class Method:
    http_method: str
    authorization_type: str
    authorizer_id: str | None
    authorization_scopes: tuple[str, ...]
    api_key_required: bool
    integration: Integration | None


@dataclass(frozen=True)
class Resource:
    id: str
    path: str
    methods: Mapping[str, Method]


@dataclass(frozen=True)
class Authorizer:
    id: str
    name: str
    type: str  # TOKEN | REQUEST | COGNITO_USER_POOLS
    provider_arns: tuple[str, ...]
    function_arn: str | None
    identity_source: str
    identity_validation_expression: str | None
    ttl_seconds: int


@dataclass(frozen=True)
class GatewayResponseConfig:
    response_type: str
    status_code: int | None
    response_parameters: Mapping[str, str]
    response_templates: Mapping[str, str]


@dataclass(frozen=True)
class Stage:
    name: str
    deployment_id: str | None
    variables: Mapping[str, str]
    access_log: AccessLogSettings | None = None


@dataclass(frozen=True)
class FunctionInfo:
    arn: str
    name: str
    timeout_seconds: int
    handler: str | None
    runtime: str | None


@dataclass(frozen=True)
class ApiModel:
    api_id: str
    name: str
    region: str
    account_id: str
    resources: tuple[Resource, ...]
    authorizers: Mapping[str, Authorizer]
    stages: Mapping[str, Stage]
    gateway_responses: Mapping[str, GatewayResponseConfig]
    functions: Mapping[str, FunctionInfo]  # keyed by the ARN the API references
    binary_media_types: tuple[str, ...] = field(default=())


_SESSION_LOCK = threading.Lock()
_BOTOCORE: list[botocore.session.Session] = []  # one shared session: its loader caches service models


def emulator_clients(emulator_url: str, region: str) -> dict[str, Any]:
    """boto3 clients bound to the emulator (dummy keys: the emulator does not check them)."""
    with _SESSION_LOCK:
        if not _BOTOCORE:
            _BOTOCORE.append(botocore.session.get_session())
        session = boto3.session.Session(
            aws_access_key_id="gateway",
            aws_secret_access_key="gateway",  # noqa: S106 (the emulator ignores it)
            region_name=region,
            botocore_session=_BOTOCORE[0],
        )
        config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
        return {
            name: session.client(name, endpoint_url=emulator_url, region_name=region, config=config)
            for name in ("apigateway", "lambda", "sts", "iam")
        }


def function_arn_from_uri(uri: str | None) -> str | None:
    """`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations`."""
    if not uri:
        return None
    m = _LAMBDA_URI.match(uri)
    return m.group("arn") if m else None


def _integration(raw: Mapping[str, Any] | None) -> Integration | None:
    if not raw:
        return None
    responses = {
        str(code): IntegrationResponse(
            status_code=str(code),
            selection_pattern=r.get("selectionPattern"),
            response_parameters=dict(r.get("responseParameters") or {}),
            response_templates=dict(r.get("responseTemplates") or {}),
        )
        for code, r in (raw.get("integrationResponses") or {}).items()
    }
    uri = raw.get("uri")
    return Integration(
        type=str(raw.get("type", "")).upper(),
        uri=uri,
        function_arn=function_arn_from_uri(uri),
        timeout_ms=int(raw.get("timeoutInMillis") or 29000),
        request_templates=dict(raw.get("requestTemplates") or {}),
        responses=responses,
    )


def _method(apigw: Any, api_id: str, resource_id: str, verb: str, embedded: Mapping[str, Any]) -> Method:
    raw = dict(embedded)
    if "methodIntegration" not in raw:
        # Not embedded (or no integration at all): ask for the full method.
        raw = apigw.get_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb)
    return Method(
        http_method=verb.upper(),
        authorization_type=str(raw.get("authorizationType") or "NONE").upper(),
        authorizer_id=raw.get("authorizerId"),
        authorization_scopes=tuple(raw.get("authorizationScopes") or ()),
        api_key_required=bool(raw.get("apiKeyRequired")),
        integration=_integration(raw.get("methodIntegration")),
    )


def _pick_api(apigw: Any, api_id: str | None) -> dict[str, Any]:
    if api_id is not None:
        try:
            api: dict[str, Any] = apigw.get_rest_api(restApiId=api_id)
        except ClientError as exc:
            raise ApiNotFound(f"REST API {api_id!r} does not exist in the emulator") from exc
        return api
    apis = [a for page in apigw.get_paginator("get_rest_apis").paginate() for a in page.get("items", [])]
    if len(apis) != 1:
        names = ", ".join(f"{a['id']} ({a.get('name')})" for a in apis) or "none"
        raise ApiNotFound(f"expected exactly one REST API in the emulator, found: {names}; pass api_id")
    return dict(apis[0])


def _function(lam: Any, arn: str) -> FunctionInfo | None:
    try:
        cfg = lam.get_function_configuration(FunctionName=arn)
    except ClientError as exc:
        emit(log, logging.WARNING, "function_not_found", function=arn, error=exc.response["Error"]["Code"])
        return None
    return FunctionInfo(
        arn=str(cfg["FunctionArn"]),
        name=str(cfg["FunctionName"]),
        timeout_seconds=int(cfg.get("Timeout") or 3),
        handler=cfg.get("Handler"),
        runtime=cfg.get("Runtime"),
    )


def load_api(clients: Mapping[str, Any], region: str, api_id: str | None = None) -> ApiModel:
    """Read the deployed API (see the module docstring)."""
    apigw, lam = clients["apigateway"], clients["lambda"]
    api = _pick_api(apigw, api_id)
    rid = str(api["id"])
    account_id = str(clients["sts"].get_caller_identity()["Account"])

    resources: list[Resource] = []
    for page in apigw.get_paginator("get_resources").paginate(restApiId=rid, embed=["methods"]):
        for item in page.get("items", []):
            methods = {
                verb.upper(): _method(apigw, rid, item["id"], verb, raw)
                for verb, raw in (item.get("resourceMethods") or {}).items()
            }
            resources.append(Resource(id=str(item["id"]), path=str(item["path"]), methods=methods))

    authorizers: dict[str, Authorizer] = {}
    for a in apigw.get_authorizers(restApiId=rid).get("items", []):
        ttl = a.get("authorizerResultTtlInSeconds")
        authorizers[str(a["id"])] = Authorizer(
            id=str(a["id"]),
            name=str(a.get("name", "")),
            type=str(a.get("type", "")).upper(),
            provider_arns=tuple(a.get("providerARNs") or ()),
            function_arn=function_arn_from_uri(a.get("authorizerUri")),
            identity_source=str(a.get("identitySource") or "method.request.header.Authorization"),
            identity_validation_expression=a.get("identityValidationExpression") or None,
            ttl_seconds=DEFAULT_AUTHORIZER_TTL if ttl is None else int(ttl),
        )

    stages = {
        str(s["stageName"]): Stage(
            name=str(s["stageName"]),
            deployment_id=s.get("deploymentId"),
            variables=dict(s.get("variables") or {}),
            access_log=AccessLogSettings.from_stage(s),
        )
        for s in apigw.get_stages(restApiId=rid).get("item", [])
    }

    gateway_responses: dict[str, GatewayResponseConfig] = {}
    for g in apigw.get_gateway_responses(restApiId=rid).get("items", []):
        code = g.get("statusCode")
        gateway_responses[str(g["responseType"])] = GatewayResponseConfig(
            response_type=str(g["responseType"]),
            status_code=int(code) if code not in (None, "") else None,
            response_parameters=dict(g.get("responseParameters") or {}),
            response_templates=dict(g.get("responseTemplates") or {}),
        )

    arns = {a.function_arn for a in authorizers.values() if a.function_arn}
    arns |= {
        m.integration.function_arn
        for r in resources
        for m in r.methods.values()
        if m.integration is not None and m.integration.function_arn
    }
    functions = {arn: info for arn in sorted(arns) if (info := _function(lam, arn)) is not None}

    return ApiModel(
        api_id=rid,
        name=str(api.get("name", "")),
        region=region,
        account_id=account_id,
        resources=tuple(resources),
        authorizers=authorizers,
        stages=stages,
        gateway_responses=gateway_responses,
        functions=functions,
        binary_media_types=tuple(api.get("binaryMediaTypes") or ()),
    )

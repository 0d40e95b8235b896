"""Fixtures: an in-process moto server holding a small REST API built with boto3 (every route
shape and authorizer type the gateway supports), a local JWKS endpoint for a test user pool, a
fake Lambda runtime that calls Python functions, and a gateway per test with an injectable clock.
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from moto.server import ThreadedMotoServer

from local.apigateway.server import GatewayHandle, start_gateway
from local.awslambda.types import InvokeResult

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "local"
POOL_ID = "us-east-1_TestPool"
POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{POOL_ID}"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
CORS = {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}


# --- emulator and API -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass
class Deployed:
    url: str
    api_id: str
    functions: dict[str, str]  # short name -> ARN
    role_arn: str
    admin_role_arn: str
    resources: dict[str, str]  # path -> resource id
    token_authorizer_id: str

    def client(self, service: str) -> Any:
        return _client(self.url, service)

    @property
    def api_arn(self) -> str:
        return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api_id}/{STAGE}"


# A real handler for the test that runs through the real Lambda runtime (worker processes).
REAL_HANDLER = """
import json
import os


def handler(event, context):
    if (event.get("queryStringParameters") or {}).get("fail"):
        raise RuntimeError("handler failed")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(
            {
                "greeting": os.environ["GREETING"],
                "path": event["path"],
                "resource": event["resource"],
                "requestId": event["requestContext"]["requestId"],
                "function": context.function_name,
            }
        ),
    }
"""


def _zip(source: str = "def handler(event, context):\n    return {}\n") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()


FUNCTIONS = ("backend", "authorizer", "nocache_authorizer", "unpermitted", "real")


@pytest.fixture(scope="module")
def deployed(emulator_url: str) -> Deployed:
    iam, lam, apigw = (_client(emulator_url, s) for s in ("iam", "lambda", "apigateway"))
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    exec_role = iam.create_role(RoleName="gw-test-exec", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    api_id = apigw.create_rest_api(name="gateway-functional")["id"]
    api_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}"

    functions: dict[str, str] = {}
    for name in FUNCTIONS:
        arn = lam.create_function(
            FunctionName=f"gw-test-{name}",
            Runtime="python3.12",
            Role=exec_role,
            Handler="app.handler",
            Code={
                "ZipFile": _zip(
                    REAL_HANDLER if name == "real" else "def handler(event, context):\n    return {}\n"
                )
            },
            Environment={"Variables": {"GREETING": "hello from the deployed zip"}},
            Timeout=10,
        )["FunctionArn"]
        functions[name] = arn
        if name != "unpermitted":
            source = f"{api_arn}/authorizers/*" if "authorizer" in name else f"{api_arn}/*/*"
            lam.add_permission(
                FunctionName=arn,
                StatementId="apigateway",
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=source,
            )

    def uri(fn: str) -> str:
        return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{functions[fn]}/invocations"

    cognito = apigw.create_authorizer(
        restApiId=api_id,
        name="cognito",
        type="COGNITO_USER_POOLS",
        providerARNs=[POOL_ARN],
        identitySource="method.request.header.Authorization",
    )["id"]
    token = apigw.create_authorizer(
        restApiId=api_id,
        name="token",
        type="TOKEN",
        authorizerUri=uri("authorizer"),
        identitySource="method.request.header.Authorization",
        identityValidationExpression=r"^Bearer [-0-9a-zA-Z._]+$",
        authorizerResultTtlInSeconds=300,
    )["id"]
    # moto 5.2.5 drops identityValidationExpression on create (a misspelt keyword in its backend);
    # an update stores it.
    apigw.update_authorizer(
        restApiId=api_id,
        authorizerId=token,
        patchOperations=[
            {"op": "replace", "path": "/identityValidationExpression", "value": r"^Bearer [-0-9a-zA-Z._]+$"}
        ],
    )
    nocache = apigw.create_authorizer(
        restApiId=api_id,
        name="token-nocache",
        type="TOKEN",
        authorizerUri=uri("nocache_authorizer"),
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )["id"]

    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    resources: dict[str, str] = {"/": root}

    def resource(path: str) -> str:
        if path in resources:
            return resources[path]
        parent, _, part = path.rpartition("/")
        parent_id = resource(parent or "/")
        resources[path] = apigw.create_resource(restApiId=api_id, parentId=parent_id, pathPart=part)["id"]
        return resources[path]

    def method(
        path: str,
        verb: str,
        *,
        auth: str = "NONE",
        authorizer: str | None = None,
        scopes: list[str] | None = None,
        fn: str = "backend",
        api_key_required: bool = False,
    ) -> None:
        rid = resource(path)
        kwargs: dict[str, Any] = {"apiKeyRequired": api_key_required}
        if authorizer:
            kwargs["authorizerId"] = authorizer
        if scopes:
            kwargs["authorizationScopes"] = scopes
        apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod=verb, authorizationType=auth, **kwargs)
        apigw.put_integration(
            restApiId=api_id,
            resourceId=rid,
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri(fn),
        )

    method("/open", "GET")
    method("/open", "POST")
    method("/items/{id}", "ANY")
    method("/items/special", "GET")
    method("/files/{proxy+}", "GET")
    method("/iam", "GET", auth="AWS_IAM")
    method("/iam", "POST", auth="AWS_IAM")
    method("/iam/admin", "GET", auth="AWS_IAM")
    method("/cup", "GET", auth="COGNITO_USER_POOLS", authorizer=cognito)
    method("/cup/email", "GET", auth="COGNITO_USER_POOLS", authorizer=cognito, scopes=["email"])
    method("/pets", "ANY", auth="CUSTOM", authorizer=token)
    method("/pets/{id}", "ANY", auth="CUSTOM", authorizer=token)
    method("/status", "GET", auth="CUSTOM", authorizer=token)
    method("/nocache", "GET", auth="CUSTOM", authorizer=nocache)
    method("/unpermitted", "GET", fn="unpermitted")
    method("/real/{id}", "GET", fn="real")
    method("/keyed", "GET", api_key_required=True)

    # CORS preflight on /cup: MOCK integration answering from its integration response.
    cup = resource("/cup")
    apigw.put_method(restApiId=api_id, resourceId=cup, httpMethod="OPTIONS", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id,
        resourceId=cup,
        httpMethod="OPTIONS",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    apigw.put_method_response(
        restApiId=api_id,
        resourceId=cup,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={
            "method.response.header.Access-Control-Allow-Origin": False,
            "method.response.header.Access-Control-Allow-Methods": False,
            "method.response.header.Access-Control-Allow-Headers": False,
        },
    )
    apigw.put_integration_response(
        restApiId=api_id,
        resourceId=cup,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={
            "method.response.header.Access-Control-Allow-Origin": "'http://localhost:3000'",
            "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
            "method.response.header.Access-Control-Allow-Headers": "'Authorization,Content-Type'",
        },
        responseTemplates={"application/json": ""},
    )

    for kind in ("DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED"):
        apigw.put_gateway_response(restApiId=api_id, responseType=kind, responseParameters=CORS)

    apigw.create_deployment(restApiId=api_id, stageName=STAGE)

    role = iam.create_role(RoleName="gw-test-cip-users", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="gw-test-cip-users",
        PolicyName="cip",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OwnCipRecord",
                        "Effect": "Allow",
                        "Action": "execute-api:Invoke",
                        "Resource": [f"{api_arn}/{STAGE}/GET/iam", f"{api_arn}/{STAGE}/POST/iam"],
                    }
                ],
            }
        ),
    )
    admin = iam.create_role(RoleName="gw-test-admin", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    managed = iam.create_policy(
        PolicyName="gw-test-admin-all",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "execute-api:*", "Resource": f"{api_arn}/*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="gw-test-admin", PolicyArn=managed)
    iam.put_role_policy(
        RoleName="gw-test-admin",
        PolicyName="no-post",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "NoPost",
                        "Effect": "Deny",
                        "Action": "execute-api:Invoke",
                        "Resource": f"{api_arn}/*/POST/*",
                    }
                ],
            }
        ),
    )
    return Deployed(emulator_url, api_id, functions, role, admin, resources, token)


# --- user pool keys ---------------------------------------------------------------------------


@dataclass
class Keys:
    private: rsa.RSAPrivateKey
    kid: str
    jwks_base: str
    fetches: list[str] = field(default_factory=list)

    def token(self, *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER,
            "sub": "sub-123",
            "iat": now,
            "exp": now + 3600,
            "auth_time": now,
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.private, algorithm="RS256", headers={"kid": kid or self.kid})

    def id_token(self, **claims: Any) -> str:
        defaults: dict[str, Any] = {
            "token_use": "id",
            "aud": "client-1",
            "cognito:username": "ann",
            "cognito:groups": ["cip-users", "admin"],
            "email": "ann@example.com",
            "email_verified": True,
            "given_name": "Ann",
        }
        return self.token(**{**defaults, **claims})

    def access_token(self, scope: str = "openid email", **claims: Any) -> str:
        return self.token(token_use="access", client_id="client-1", scope=scope, username="ann", **claims)


@pytest.fixture(scope="module")
def keys() -> Iterator[Keys]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk.update({"kid": "test-kid", "alg": "RS256", "use": "sig"})
    document = json.dumps({"keys": [jwk]}).encode()
    fetches: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetches.append(self.path)
            if self.path == f"/{POOL_ID}/.well-known/jwks.json":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)
            else:
                self.send_error(404)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Keys(private, "test-kid", f"http://127.0.0.1:{server.server_address[1]}", fetches)
    server.shutdown()
    server.server_close()


# --- Lambda runtime and credentials ------------------------------------------------------------


class FakeRuntime:
    """Calls Python functions in-process; records every invocation."""

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self.results: dict[str, InvokeResult] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.closed = False

    def invoke(self, function_name_or_arn: str, event: dict[str, Any]) -> InvokeResult:
        self.calls.append((function_name_or_arn, event))
        if function_name_or_arn in self.results:
            return self.results[function_name_or_arn]
        handler = self.handlers[function_name_or_arn]
        try:
            return InvokeResult(handler(event), None, None, 2.0)
        except Exception as exc:
            return InvokeResult(None, type(exc).__name__, str(exc), 2.0)

    def calls_to(self, arn: str) -> list[dict[str, Any]]:
        return [event for fn, event in self.calls if fn == arn]

    def close(self) -> None:
        self.closed = True


def echo(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}


@dataclass(frozen=True)
class FakeCredentials:
    access_key_id: str
    secret_key: str
    session_token: str
    expiration: datetime
    account_id: str
    region: str
    identity_pool_id: str
    identity_id: str
    role_arn: str
    provider: str
    authentication_provider: str
    authentication_type: str = "authenticated"
    issued_at: datetime | None = None  # aws:TokenIssueTime (None: the key is absent)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Env:
    deployed: Deployed
    gateway: GatewayHandle
    runtime: FakeRuntime
    keys: Keys
    clock: Clock
    credentials: dict[str, FakeCredentials]

    @property
    def base(self) -> str:
        return f"{self.gateway.url}/{STAGE}"


def credentials_for(role_arn: str, name: str) -> FakeCredentials:
    provider = f"cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
    return FakeCredentials(
        access_key_id=f"ASIA{name.upper():0<16}"[:20],
        secret_key=f"secret-{name}",
        session_token=f"token-{name}",
        expiration=datetime.now(UTC) + timedelta(hours=1),
        account_id=ACCOUNT,
        region=REGION,
        identity_pool_id=f"{REGION}:pool-1",
        identity_id=f"{REGION}:identity-{name}",
        role_arn=role_arn,
        provider=provider,
        authentication_provider=f"{provider},{provider}:CognitoSignIn:sub-{name}",
    )


@pytest.fixture
def env(deployed: Deployed, keys: Keys) -> Iterator[Env]:
    runtime = FakeRuntime()
    runtime.handlers[deployed.functions["backend"]] = echo
    clock = Clock()
    creds = {
        "cip": credentials_for(deployed.role_arn, "cip"),
        "admin": credentials_for(deployed.admin_role_arn, "admin"),
        # A role deleted after the credentials were issued, and a same-named role of another
        # account: neither may borrow the policies of a role the gateway's account holds.
        "ghost": credentials_for(f"arn:aws:iam::{ACCOUNT}:role/gw-test-deleted", "ghost"),
        "foreign": credentials_for(deployed.role_arn.replace(f"::{ACCOUNT}:", "::210987654321:"), "foreign"),
    }
    by_key = {c.access_key_id: c for c in creds.values()}
    gateway = start_gateway(
        deployed.url,
        REGION,
        deployed.api_id,
        runtime=runtime,
        resolver=by_key.get,
        clock=clock,
        jwks_url=lambda pool: f"{keys.jwks_base}/{pool}/.well-known/jwks.json",
    )
    try:
        yield Env(deployed, gateway, runtime, keys, clock, creds)
    finally:
        gateway.stop()

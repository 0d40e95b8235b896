"""The gateway and the Lambda runtime on the project's emulator, whose change feed lets them keep
what they read (stage list, resource policies, role policies, function configurations): a warm
request reads nothing from the control plane, and each kind of change reaches the very next request.

The module builds its own small API with unique names on a module-scoped emulator; every test puts
back what it changed.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.client
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.apigateway.logs import access_log
from local.apigateway.server import GatewayHandle, start_gateway
from local.awslambda import LambdaRuntime, make_runtime
from local.emulator.server import EmulatorHandle, start_emulator

from .conftest import ACCOUNT, REGION, STAGE, FakeCredentials, FakeRuntime, credentials_for, echo

# botocore's signer (the client side of these tests) still calls datetime.utcnow().
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

REAL_HANDLER = """
import os


def handler(event, context):
    return {"statusCode": 200, "body": os.environ["GREETING"]}
"""


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


@dataclass
class Api:
    emulator: EmulatorHandle
    api_id: str
    suffix: str
    functions: dict[str, str]  # short name -> ARN
    resources: dict[str, str]  # path -> resource id
    role_name: str
    role_arn: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.emulator.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    @property
    def api_arn(self) -> str:
        return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api_id}"

    def function_uri(self, name: str) -> str:
        return (
            f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{self.functions[name]}/invocations"
        )

    def allow_apigateway(self, name: str, source_arn: str) -> None:
        self.client("lambda").add_permission(
            FunctionName=self.functions[name],
            StatementId="apigateway",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=source_arn,
        )


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with start_emulator() as emulator:
        suffix = uuid.uuid4().hex[:8]
        options: dict[str, Any] = {
            "endpoint_url": emulator.url,
            "region_name": REGION,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        iam, lam, apigw = (boto3.client(s, **options) for s in ("iam", "lambda", "apigateway"))  # type: ignore[call-overload]
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        exec_role = iam.create_role(RoleName=f"feed-exec-{suffix}", AssumeRolePolicyDocument=trust)
        api_id = apigw.create_rest_api(name=f"feed-{suffix}")["id"]
        built = Api(emulator, api_id, suffix, {}, {}, f"feed-caller-{suffix}", "")
        for name in ("backend", "authorizer", "real"):
            built.functions[name] = lam.create_function(
                FunctionName=f"feed-{name}-{suffix}",
                Runtime="python3.12",
                Role=exec_role["Role"]["Arn"],
                Handler="app.handler",
                Code={"ZipFile": _zip(REAL_HANDLER)},
                Environment={"Variables": {"GREETING": "first"}},
                Timeout=10,
            )["FunctionArn"]
        built.allow_apigateway("backend", f"{built.api_arn}/*/*")
        built.allow_apigateway("real", f"{built.api_arn}/*/*")
        built.allow_apigateway("authorizer", f"{built.api_arn}/authorizers/*")
        token = apigw.create_authorizer(
            restApiId=api_id,
            name="token",
            type="TOKEN",
            authorizerUri=built.function_uri("authorizer"),
            identitySource="method.request.header.Authorization",
            authorizerResultTtlInSeconds=300,
        )["id"]
        uncached = apigw.create_authorizer(
            restApiId=api_id,
            name="token-uncached",
            type="TOKEN",
            authorizerUri=built.function_uri("authorizer"),
            identitySource="method.request.header.Authorization",
            authorizerResultTtlInSeconds=0,
        )["id"]
        root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
        built.resources["/"] = root
        routes = {
            "open": ("NONE", None, "backend"),
            "pets": ("CUSTOM", token, "backend"),
            "uncached": ("CUSTOM", uncached, "backend"),
            "iam": ("AWS_IAM", None, "backend"),
            "real": ("NONE", None, "real"),
        }
        for part, (auth, authorizer, function) in routes.items():
            rid = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
            built.resources[f"/{part}"] = rid
            extra = {"authorizerId": authorizer} if authorizer else {}
            apigw.put_method(
                restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType=auth, **extra
            )
            apigw.put_integration(
                restApiId=api_id,
                resourceId=rid,
                httpMethod="GET",
                type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=built.function_uri(function),
            )
        apigw.create_deployment(restApiId=api_id, stageName=STAGE)
        built.role_arn = iam.create_role(RoleName=built.role_name, AssumeRolePolicyDocument=trust)["Role"][
            "Arn"
        ]
        iam.put_role_policy(
            RoleName=built.role_name,
            PolicyName="invoke",
            PolicyDocument=_policy("Allow", f"{built.api_arn}/{STAGE}/GET/iam"),
        )
        yield built


def _policy(effect: str, resource: str) -> str:
    statement = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def token_answer(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
        },
    }


@dataclass
class Gateway:
    api: Api
    handle: GatewayHandle
    runtime: FakeRuntime
    caller: FakeCredentials

    def get(self, path: str, **headers: str) -> requests.Response:
        return requests.get(f"{self.handle.url}/{STAGE}{path}", headers=headers, timeout=30)

    def signed(self, path: str) -> requests.Response:
        url = f"{self.handle.url}/{STAGE}{path}"
        creds = self.caller
        request = AWSRequest(method="GET", url=url, headers={})
        SigV4Auth(
            Credentials(creds.access_key_id, creds.secret_key, creds.session_token), "execute-api", REGION
        ).add_auth(request)
        headers = dict(request.headers.items())
        headers["Host"] = urlsplit(url).netloc
        return requests.get(url, headers=headers, timeout=30)


@pytest.fixture
def gateway(api: Api) -> Iterator[Gateway]:
    runtime = FakeRuntime()
    runtime.handlers[api.functions["backend"]] = echo
    runtime.handlers[api.functions["authorizer"]] = token_answer
    caller = credentials_for(api.role_arn, "feed")
    handle = start_gateway(
        api.emulator.url,
        REGION,
        api.api_id,
        runtime=runtime,
        resolver={caller.access_key_id: caller}.get,
    )
    try:
        yield Gateway(api, handle, runtime, caller)
    finally:
        handle.stop()


class ApiCalls:
    """Counts the AWS API calls botocore makes in this process (the gateway's, the runtime's)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._lock = threading.Lock()

    def take(self) -> list[str]:
        with self._lock:
            names, self.names = self.names, []
        return names


@pytest.fixture
def api_calls(monkeypatch: pytest.MonkeyPatch) -> ApiCalls:
    calls = ApiCalls()
    original = botocore.client.BaseClient._make_api_call

    def counting(client: Any, operation_name: str, api_params: Any) -> Any:
        with calls._lock:
            calls.names.append(operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return calls


# --- a warm request reads nothing --------------------------------------------------------------


def test_warm_requests_read_nothing_from_the_control_plane(gateway: Gateway, api_calls: ApiCalls) -> None:
    """The first requests read (stages, policies, the role); the same requests again read nothing,
    in every mode; a change in a watched API makes the next request read again, once."""
    for _ in range(2):
        assert gateway.get("/open").status_code == 200
        assert gateway.get("/pets", Authorization="Bearer warm").status_code == 200
        assert gateway.get("/uncached", Authorization="Bearer warm").status_code == 200
        assert gateway.signed("/iam").status_code == 200
    api_calls.take()
    for _ in range(3):
        assert gateway.get("/open").status_code == 200
        assert gateway.get("/pets", Authorization="Bearer warm").status_code == 200
        assert gateway.get("/uncached", Authorization="Bearer warm").status_code == 200
        assert gateway.signed("/iam").status_code == 200
    assert api_calls.take() == []

    gateway.api.client("lambda").tag_resource(
        Resource=gateway.api.functions["backend"], Tags={"touched": "1"}
    )
    api_calls.take()
    assert gateway.get("/open").status_code == 200
    assert "GetStages" in api_calls.take()  # read again after the change...
    assert gateway.get("/open").status_code == 200
    assert api_calls.take() == []  # ...and only once


def test_writes_to_unwatched_services_keep_the_cache(gateway: Gateway, api_calls: ApiCalls) -> None:
    """Data-plane traffic (a DynamoDB table the backends write) is not a control-plane change."""
    dynamodb = gateway.api.client("dynamodb")
    table = f"feed-records-{gateway.api.suffix}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert gateway.get("/open").status_code == 200
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "x"}})
    api_calls.take()
    assert gateway.get("/open").status_code == 200
    assert api_calls.take() == []


# --- each change reaches the next request ------------------------------------------------------


def test_removing_the_invoke_permission_refuses_the_next_request(gateway: Gateway) -> None:
    lam = gateway.api.client("lambda")
    backend = gateway.api.functions["backend"]
    assert gateway.get("/open").status_code == 200
    assert gateway.get("/open").status_code == 200
    lam.remove_permission(FunctionName=backend, StatementId="apigateway")
    try:
        refused = gateway.get("/open")
        assert refused.status_code == 500
        assert refused.json() == {"message": "Internal server error"}
    finally:
        gateway.api.allow_apigateway("backend", f"{gateway.api.api_arn}/*/*")
    assert gateway.get("/open").status_code == 200
    assert len(gateway.runtime.calls_to(backend)) == 3  # the refused request never invoked it


def test_removing_the_authorizers_permission_refuses_the_next_request(gateway: Gateway) -> None:
    lam = gateway.api.client("lambda")
    authorizer = gateway.api.functions["authorizer"]
    headers = {"Authorization": "Bearer uncached"}
    assert gateway.get("/uncached", **headers).status_code == 200
    lam.remove_permission(FunctionName=authorizer, StatementId="apigateway")
    try:
        refused = gateway.get("/uncached", **headers)
        assert refused.status_code == 500
        assert refused.json() == {"message": None}  # AuthorizerConfigurationException
    finally:
        gateway.api.allow_apigateway("authorizer", f"{gateway.api.api_arn}/authorizers/*")
    assert gateway.get("/uncached", **headers).status_code == 200
    assert len(gateway.runtime.calls_to(authorizer)) == 2


def test_a_redeployment_serves_new_routes_and_flushes_the_authorizer_cache(gateway: Gateway) -> None:
    apigw = gateway.api.client("apigateway")
    api_id = gateway.api.api_id
    authorizer = gateway.api.functions["authorizer"]
    headers = {"Authorization": "Bearer redeploy"}
    assert gateway.get("/pets", **headers).status_code == 200
    assert gateway.get("/pets", **headers).status_code == 200
    assert len(gateway.runtime.calls_to(authorizer)) == 1  # the result cache answered the second
    rid = apigw.create_resource(restApiId=api_id, parentId=gateway.api.resources["/"], pathPart="fresh")["id"]
    try:
        apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(
            restApiId=api_id,
            resourceId=rid,
            httpMethod="GET",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=gateway.api.function_uri("backend"),
        )
        assert gateway.get("/fresh").status_code == 403  # changed, but not deployed yet
        apigw.create_deployment(restApiId=api_id, stageName=STAGE)
        assert gateway.get("/fresh").json()["resource"] == "/fresh"
        assert gateway.get("/pets", **headers).status_code == 200
        assert len(gateway.runtime.calls_to(authorizer)) == 2  # flushed by the redeployment
    finally:
        apigw.delete_resource(restApiId=api_id, resourceId=rid)
        apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    assert gateway.get("/fresh").status_code == 403


def test_an_iam_policy_change_applies_to_the_next_request(gateway: Gateway) -> None:
    iam = gateway.api.client("iam")
    role = gateway.api.role_name
    assert gateway.signed("/iam").status_code == 200
    assert gateway.signed("/iam").status_code == 200
    iam.put_role_policy(
        RoleName=role, PolicyName="deny", PolicyDocument=_policy("Deny", f"{gateway.api.api_arn}/*")
    )
    try:
        denied = gateway.signed("/iam")
        assert denied.status_code == 403
        assert denied.json()["Message"].endswith("with an explicit deny")
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName="deny")
    assert gateway.signed("/iam").status_code == 200
    # A managed policy attached later counts the same way.
    arn = iam.create_policy(
        PolicyName=f"feed-deny-{gateway.api.suffix}",
        PolicyDocument=_policy("Deny", f"{gateway.api.api_arn}/*"),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    try:
        assert gateway.signed("/iam").status_code == 403
    finally:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        iam.delete_policy(PolicyArn=arn)
    assert gateway.signed("/iam").status_code == 200


@pytest.fixture
def real_runtime(api: Api, tmp_path: Path) -> Iterator[LambdaRuntime]:
    runtime = make_runtime(api.emulator.url, REGION, work_dir=tmp_path)
    try:
        yield runtime
    finally:
        runtime.close()


def test_a_configuration_change_reaches_the_next_invocation(api: Api, real_runtime: LambdaRuntime) -> None:
    """Through the gateway (which hands its observation to the runtime) and invoked directly (the
    runtime asks the feed itself)."""
    lam = api.client("lambda")
    real = api.functions["real"]
    with start_gateway(api.emulator.url, REGION, api.api_id, runtime=real_runtime) as handle:
        url = f"{handle.url}/{STAGE}/real"
        assert requests.get(url, timeout=60).text == "first"
        assert requests.get(url, timeout=60).text == "first"
        lam.update_function_configuration(
            FunctionName=real, Environment={"Variables": {"GREETING": "second"}}
        )
        try:
            assert requests.get(url, timeout=60).text == "second"
            assert real_runtime.invoke(real, {}).payload == {"statusCode": 200, "body": "second"}
            lam.update_function_configuration(
                FunctionName=real, Environment={"Variables": {"GREETING": "third"}}
            )
            assert real_runtime.invoke(real, {}).payload == {"statusCode": 200, "body": "third"}
            assert requests.get(url, timeout=60).text == "third"
        finally:
            lam.update_function_configuration(
                FunctionName=real, Environment={"Variables": {"GREETING": "first"}}
            )
        assert requests.get(url, timeout=60).text == "first"


def test_a_code_update_reaches_the_next_invocation(api: Api, real_runtime: LambdaRuntime) -> None:
    lam = api.client("lambda")
    real = api.functions["real"]
    assert real_runtime.invoke(real, {}).payload == {"statusCode": 200, "body": "first"}
    lam.update_function_code(
        FunctionName=real, ZipFile=_zip(REAL_HANDLER.replace('os.environ["GREETING"]', '"new code"'))
    )
    try:
        assert real_runtime.invoke(real, {}).payload == {"statusCode": 200, "body": "new code"}
    finally:
        lam.update_function_code(FunctionName=real, ZipFile=_zip(REAL_HANDLER))
    assert real_runtime.invoke(real, {}).payload == {"statusCode": 200, "body": "first"}


def test_a_deleted_function_is_not_served_from_the_runtimes_cache(api: Api, tmp_path: Path) -> None:
    lam = api.client("lambda")
    exec_role = lam.get_function_configuration(FunctionName=api.functions["backend"])["Role"]
    name = f"feed-doomed-{api.suffix}"
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=exec_role,
        Handler="app.handler",
        Code={"ZipFile": _zip(REAL_HANDLER)},
        Environment={"Variables": {"GREETING": "doomed"}},
    )["FunctionArn"]
    runtime = make_runtime(api.emulator.url, REGION, work_dir=tmp_path)
    try:
        assert runtime.invoke(arn, {}).payload == {"statusCode": 200, "body": "doomed"}
        lam.delete_function(FunctionName=name)
        gone = runtime.invoke(arn, {})
        assert gone.error_type == "ResourceNotFoundException"
    finally:
        runtime.close()


# --- the emulator down ---------------------------------------------------------------------------


def test_the_emulator_not_answering_the_feed_is_a_503(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    """A warm cache is no reason to answer: without the emulator the gateway cannot know that
    nothing changed, so it fails closed (as a failed read did), and recovers when it is back."""
    assert gateway.get("/open").status_code == 200
    caplog.set_level(logging.INFO, logger=access_log.name)
    gateway.api.emulator.pause()
    try:
        down = gateway.get("/open")
    finally:
        gateway.api.emulator.resume()
    assert down.status_code == 503
    assert "did not answer" in down.json()["message"]
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == access_log.name]
    assert lines[-1]["status"] == 503
    assert lines[-1]["error"] == "EmulatorUnreachable"
    assert gateway.get("/open").status_code == 200

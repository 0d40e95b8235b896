"""End to end through the local API Gateway, one route per auth mode, against the same handler
called directly: requests/s, p50/p99 and the gateway's overhead (gateway p50 - direct p50).

The stack is the one `make up` starts (`local.stack.start_stack`); users sign in through
`local.client.Session`, as the e2e suite does. Load comes from a separate process (the gateway and
the emulator share this one's GIL), over one keep-alive connection per client thread; SigV4 signing
(iam) happens before each request's clock starts. "Direct" runs the deployed backend zip's handler
in another process, warm, with an API Gateway-shaped event for the same route and caller, its
DynamoDB reads going to the same emulator.

Lambda mode is measured twice: with the API's authorizer result cache (the env's TTL), and with it
off (TTL 0, redeployed), where every request invokes the authorizer function.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.client import Session
from local.stack import start_stack
from tools import config

ROOT = Path(__file__).resolve().parents[2]

LOAD = """\
import http.client, json, sys, threading, time
spec = json.loads(sys.stdin.read())
sign = None
if spec.get("credentials"):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    creds = Credentials(*spec["credentials"])
    def sign(url):
        request = AWSRequest(method=spec["method"], url=url, headers={})
        SigV4Auth(creds, "execute-api", spec["region"]).add_auth(request)
        return dict(request.headers.items())
url = f"http://{spec['host']}:{spec['port']}{spec['path']}"
deadline = time.monotonic() + spec["max_seconds"]
results, statuses, lock = [], {}, threading.Lock()
def client(count):
    connection = http.client.HTTPConnection(spec["host"], spec["port"], timeout=30)
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        headers = sign(url) if sign else dict(spec["headers"])
        started = time.perf_counter()
        try:
            connection.request(spec["method"], spec["path"], headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(spec["host"], spec["port"], timeout=30)
            status = 0
        elapsed = time.perf_counter() - started
        with lock:
            results.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1
    connection.close()
client(spec["warmup"])
results.clear(); statuses.clear()
share = spec["count"] // spec["concurrency"]
threads = [threading.Thread(target=client, args=(share,)) for _ in range(spec["concurrency"])]
started = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
wall = time.perf_counter() - started
print(json.dumps({"latencies": results, "wall": wall, "statuses": statuses}))
"""

DIRECT = """\
import importlib, json, sys, time
spec = json.loads(sys.stdin.read())
module, name = spec["handler"].rsplit(".", 1)
handler = getattr(importlib.import_module(module), name)
for _ in range(spec["warmup"]):
    handler(spec["event"], None)
latencies, statuses = [], {}
started_all = time.perf_counter()
for _ in range(spec["count"]):
    started = time.perf_counter()
    response = handler(spec["event"], None)
    latencies.append(time.perf_counter() - started)
    statuses[response["statusCode"]] = statuses.get(response["statusCode"], 0) + 1
print(json.dumps({"latencies": latencies, "wall": time.perf_counter() - started_all, "statuses": statuses}))
"""


@dataclass
class Run:
    latencies: list[float]
    wall: float
    statuses: dict[str, int]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.wall


@dataclass
class ModeResult:
    mode: str
    route: str
    user: str
    sequential: Run
    concurrent: Run
    direct: Run

    @property
    def overhead(self) -> float:
        return self.sequential.p50 - self.direct.p50


@dataclass
class GatewayBench:
    modes: list[ModeResult]
    result_cache_off: ModeResult | None
    result_ttl_seconds: int | None
    concurrency: int


@dataclass(frozen=True)
class _Case:
    mode: str
    user: str
    method: str
    path: str
    handler_role: str


CASES = (
    _Case("iam", "cip-users", "GET", "/cip", "profiles"),
    _Case("user_pool", "pet-veterinarian", "GET", "/cup", "profiles"),
    _Case("lambda", "pet-veterinarian", "GET", "/petstore/v2/status", "pets"),
)


def _subprocess(
    code: str, spec: dict[str, Any], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Run:
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=cwd,
    )
    if done.returncode != 0:
        raise SystemExit(f"gateway benchmark client failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(data["latencies"], data["wall"], {str(k): v for k, v in data["statuses"].items()})


def _event(case: _Case, desc: dict[str, Any], stage: str) -> dict[str, Any]:
    """An API Gateway REST proxy event for this route and caller (what the handler reads)."""
    context: dict[str, Any] = {
        "resourcePath": case.path,
        "httpMethod": case.method,
        "stage": stage,
        "path": f"/{stage}{case.path}",
        "requestId": str(uuid.uuid4()),
        "accountId": desc["account_id"],
        "apiId": desc["api_id"],
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "bench"},
    }
    if case.mode == "iam":
        pool = f"cognito-idp.{desc['region']}.amazonaws.com/{desc['user_pool_id']}"
        context["identity"].update(
            {
                "cognitoIdentityId": f"{desc['region']}:{uuid.uuid4()}",
                "cognitoIdentityPoolId": desc["identity_pool_id"],
                "cognitoAuthenticationType": "authenticated",
                "cognitoAuthenticationProvider": pool,
            }
        )
    else:
        sub = str(uuid.uuid4())
        if case.mode == "user_pool":
            context["authorizer"] = {
                "claims": {
                    "sub": sub,
                    "token_use": "id",
                    "cognito:groups": "pet-veterinarian",
                    "email": "vet@example.com",
                }
            }
        else:
            context["authorizer"] = {
                "principalId": sub,
                "sub": sub,
                "username": "vet",
                "groups": "pet-veterinarian",
                "group": "pet-veterinarian",
            }
    return {
        "resource": case.path,
        "path": case.path,
        "httpMethod": case.method,
        "headers": {"Host": "localhost", "Accept": "application/json"},
        "multiValueHeaders": {"Host": ["localhost"], "Accept": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": None,
        "isBase64Encoded": False,
    }


def run(
    count: int = 300, concurrency: int = 4, max_seconds: float = 20.0, progress: Callable[[str], None] = print
) -> GatewayBench:
    arch = config.load("local").lambda_architecture
    backend_zip = ROOT / "build" / "lambda" / arch / "backend.zip"
    work = Path(tempfile.mkdtemp(prefix="fga-bench-stack-"))
    stack = start_stack(work / "stack", progress=lambda message: progress(f"  stack: {message}"))
    try:
        desc = stack.describe()
        users = {u["name"]: u for u in desc["users"]}
        code = work / "backend"
        with zipfile.ZipFile(backend_zip) as archive:
            archive.extractall(code)
        lambda_client = stack.aws("lambda")
        gateway = str(desc["gateway_url"]).removeprefix("http://")
        host, port = gateway.rsplit(":", 1)
        stage = str(desc["stage"])

        def measure(case: _Case) -> ModeResult:
            session = Session(desc, users[case.user])
            spec: dict[str, Any] = {
                "host": host,
                "port": int(port),
                "method": case.method,
                "path": f"/{stage}{case.path}",
                "region": desc["region"],
                "headers": {},
                "warmup": 20,
                "max_seconds": max_seconds,
            }
            if case.mode == "iam":
                creds = session.aws_credentials()
                spec["credentials"] = [creds.access_key, creds.secret_key, creds.token]
            else:
                spec["headers"] = session.auth_headers(case.mode)
            progress(f"  {case.mode}: {case.method} {case.path} as {case.user}")
            sequential = _subprocess(LOAD, {**spec, "count": count, "concurrency": 1})
            concurrent = _subprocess(LOAD, {**spec, "count": count, "concurrency": concurrency})
            function = lambda_client.get_function_configuration(
                FunctionName=desc["functions"][case.handler_role]
            )
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                **function.get("Environment", {}).get("Variables", {}),
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_REGION": desc["region"],
                "AWS_DEFAULT_REGION": desc["region"],
                "AWS_ENDPOINT_URL": desc["emulator_url"],
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "LOG_LEVEL": "WARNING",
            }
            direct = _subprocess(
                DIRECT,
                {
                    "handler": function["Handler"],
                    "event": _event(case, desc, stage),
                    "warmup": 20,
                    "count": count,
                },
                env=env,
                cwd=code,
            )
            for run_ in (sequential, concurrent, direct):
                if set(run_.statuses) != {"200"}:
                    raise SystemExit(f"{case.mode} {case.path}: unexpected statuses {run_.statuses}")
            return ModeResult(
                case.mode, f"{case.method} {case.path}", case.user, sequential, concurrent, direct
            )

        results = [measure(case) for case in CASES]
        ttl = _authorizer_ttl(stack.aws("apigateway"), desc["api_id"])
        _set_authorizer_ttl(stack.aws("apigateway"), desc["api_id"], stage, 0)
        progress("  lambda, authorizer result cache off (TTL 0, redeployed)")
        off = measure(CASES[-1])
        off.mode = "lambda, result cache off"
        return GatewayBench(results, off, ttl, concurrency)
    finally:
        stack.stop(destroy=False)
        shutil.rmtree(work, ignore_errors=True)


def _authorizer_ttl(apigateway: Any, api_id: str) -> int | None:
    items = apigateway.get_authorizers(restApiId=api_id).get("items", [])
    token = [a for a in items if a.get("type") == "TOKEN"]
    return int(token[0].get("authorizerResultTtlInSeconds", 300)) if token else None


def _set_authorizer_ttl(apigateway: Any, api_id: str, stage: str, ttl: int) -> None:
    """What an operator does on AWS: change the authorizer, redeploy the stage."""
    for authorizer in apigateway.get_authorizers(restApiId=api_id).get("items", []):
        if authorizer.get("type") == "TOKEN":
            apigateway.update_authorizer(
                restApiId=api_id,
                authorizerId=authorizer["id"],
                patchOperations=[
                    {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": str(ttl)}
                ],
            )
    apigateway.create_deployment(restApiId=api_id, stageName=stage, description="bench: authorizer TTL")

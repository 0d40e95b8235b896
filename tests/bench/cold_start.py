"""Cold start of the authorizer in fresh processes, against the boto3-client floor.

Measured inside each fresh `python` process, from before the first import to the end of the first
decision (interpreter start-up, the same for every variant, is left out):

- floor: `import boto3; boto3.client("dynamodb")`, what any Python Lambda that reads DynamoDB pays;
- authorizer as deployed: the built zip (`make build`), extracted as it is; `import app`, then the
  first `handler(event)`: settings, JWKS fetch over loopback HTTP, RS256 verify, two botocore
  clients of one session, one GetItem (revocation record) and one BatchGetItem (policy) against a
  moto server. A Lambda code directory is read-only, so the runtime
  loads the zip's own bytecode or compiles every module in memory at each cold start
  (PYTHONDONTWRITEBYTECODE=1 reproduces that: nothing is written beside the code);
- sources only: the same files without the zip's `__pycache__` (what a build without bytecode
  ships: the zip before it carried any, or one built by another Python than the runtime's);
- the peer: the sample-style authorizer's first decision (tests/bench/sample_style.py).

`python -X importtime` of `import app` (as deployed) says where the import time goes.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from tests.functional.functions import support
from tools import config

ROOT = Path(__file__).resolve().parents[2]
_HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine()
)

FIRST_DECISION = """\
import json, sys, time
event = json.loads(sys.stdin.read())
started = time.perf_counter()
import app
response = app.handler(event)
elapsed = time.perf_counter() - started
assert response["policyDocument"]["Statement"][0]["Effect"] == "Allow", response
print(json.dumps(elapsed))
"""
FLOOR = """\
import json, time
started = time.perf_counter()
import boto3
boto3.client("dynamodb")
print(json.dumps(time.perf_counter() - started))
"""
# The peer: the sample-style authorizer (tests/bench/sample_style.py: python-jose and a boto3
# resource, as the public sample does) making the same first decision from a fresh process: it
# fetches the JWKS once (urllib, as a Lambda without extra packages would), verifies the same token
# and reads the group's item.
SAMPLE_FIRST_DECISION = """\
import json, os, sys, time
event = json.loads(sys.stdin.read())
started = time.perf_counter()
import urllib.request
from tests.bench.sample_style import SampleStyleAuthorizer
with urllib.request.urlopen(os.environ["JWKS_URL"], timeout=3) as answer:
    jwks = json.load(answer)
clients = {c.strip() for c in os.environ["ALLOWED_CLIENT_IDS"].split(",")}
authorizer = SampleStyleAuthorizer(
    jwks, os.environ["POLICY_TABLE"], os.environ["AWS_REGION"], os.environ["ISSUER"], clients
)
response = authorizer.authorize(event)
elapsed = time.perf_counter() - started
assert response["policyDocument"]["Statement"][0]["Effect"] == "Allow", response
print(json.dumps(elapsed))
"""


@dataclass
class ColdStart:
    floor: list[float]
    as_deployed: list[float]
    sources_only: list[float]
    sample_style: list[float]
    zip_pycs: int  # bytecode files in the zip (0: built by a Python other than the runtime's)
    zip_sources: int
    zip_bytes: int
    unpacked_bytes: int
    zip_path: Path
    imports: list[tuple[str, float]]  # (module, cumulative seconds) of the biggest imports of `app`

    @staticmethod
    def median(samples: list[float]) -> float:
        return statistics.median(samples)

    def ratio(self, samples: list[float]) -> float:
        """Median over rounds of variant / floor (each round runs every variant once)."""
        return statistics.median(a / b for a, b in zip(samples, self.floor, strict=True))

    def best_ratio(self, samples: list[float]) -> float:
        """Fastest run / fastest floor run: on a shared machine the least disturbed figures."""
        return min(samples) / min(self.floor)


def zip_path() -> Path:
    arch = config.load("local").lambda_architecture
    return ROOT / "build" / "lambda" / arch / "authorizer.zip"


def skip_reason() -> str:
    path = zip_path()
    if not path.is_file():
        return f"{path.relative_to(ROOT)} is missing: run `make build`"
    if path.parent.name != _HOST_ARCH:
        return (
            f"the zip is built for {path.parent.name}, this machine is {_HOST_ARCH}: its wheels cannot load"
        )
    return ""


def _run(code: str, cwd: Path, env: dict[str, str], stdin: str = "") -> float:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"cold-start run failed in {cwd}:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def _importtime(cwd: Path, env: dict[str, str]) -> list[tuple[str, float]]:
    """Self time of `import app`'s imports summed per top-level package, biggest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    own = {"app", "authz"}
    vendored = {"jwt", "cryptography", "cffi", "_cffi_backend"}
    aws = {"botocore", "urllib3", "dateutil", "jmespath", "s3transfer", "six"}
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
        top = name.split(".")[0]
        group = (
            "authorizer (app, authz)"
            if top in own
            else f"{top} (vendored)"
            if top in vendored
            else "botocore and its dependencies"
            if top in aws
            else "standard library"
        )
        totals[group] = totals.get(group, 0.0) + int(self_us) / 1e6
    return sorted(totals.items(), key=lambda item: -item[1])


def run(rounds: int = 7) -> ColdStart:
    source = zip_path()
    work = Path(tempfile.mkdtemp(prefix="fga-cold-"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        as_deployed, sources_only = work / "as-deployed", work / "sources-only"
        with zipfile.ZipFile(source) as archive:
            archive.extractall(as_deployed)
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
        pycs = sum(1 for n in names if n.endswith(".pyc"))
        py_sources = sum(1 for n in names if n.endswith(".py"))
        shutil.copytree(as_deployed, sources_only, ignore=shutil.ignore_patterns("__pycache__"))
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": support.REGION,
            "AWS_DEFAULT_REGION": support.REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        client = boto3.client(
            "dynamodb",
            region_name=support.REGION,
            endpoint_url=endpoint,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        support.create_policy_table(client)
        support.create_revocation_table(client)
        key = support.SigningKey.generate("bench-key")
        event = json.dumps(
            support.token_event(
                f"Bearer {support.TokenFactory(key).token()}", support.method_arn("GET", "/petstore/v1/pets")
            )
        )
        floor: list[float] = []
        deployed: list[float] = []
        plain: list[float] = []
        sample: list[float] = []
        with support.JwksServer([key]) as jwks:
            env.update(support.authorizer_env(jwks.url, LOG_LEVEL="WARNING"))
            _run(FIRST_DECISION, as_deployed, env, event)  # warms the OS file cache for every variant
            _run(FIRST_DECISION, sources_only, env, event)
            _run(SAMPLE_FIRST_DECISION, ROOT, env, event)
            runs = [
                (floor, FLOOR, work, ""),
                (deployed, FIRST_DECISION, as_deployed, event),
                (plain, FIRST_DECISION, sources_only, event),
                (sample, SAMPLE_FIRST_DECISION, ROOT, event),
            ]
            for round_ in range(rounds):
                # Each round runs every variant once, starting with a different one each time, so
                # a burst of load from other work does not always land on the same variant.
                shift = round_ % len(runs)
                for samples, code, cwd, stdin in runs[shift:] + runs[:shift]:
                    samples.append(_run(code, cwd, env, stdin))
            imports = _importtime(as_deployed, env)
        return ColdStart(
            floor, deployed, plain, sample, pycs, py_sources, source.stat().st_size, unpacked, source, imports
        )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

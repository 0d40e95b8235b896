"""`make up` runs with requirements/runtime.txt alone: in a subprocess where every installed module
outside that set is unimportable, all of local/ (and the Lambda build) imports, and the emulator
serves a call to every AWS service terraform/envs/local points at it (which loads moto's backends
for those services, with their own lazy imports).

The static side (every import statement, function bodies included) is tests/unit/tools/test_locks.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata

from tests.unit.tools.test_locks import REQUIREMENTS, normalize, read_lock
from tools.config import REPO_ROOT

#: Terraform's endpoint names (provider "aws" endpoints in terraform/envs/local) -> a cheap boto3 call.
CALLS = {
    "apigateway": ("apigateway", "get_rest_apis", {}),
    "cloudtrail": ("cloudtrail", "describe_trails", {}),
    "cloudwatch": ("cloudwatch", "describe_alarms", {"AlarmTypes": ["CompositeAlarm"]}),
    "cloudwatchlogs": ("logs", "describe_query_definitions", {}),
    "cognitoidentity": ("cognito-identity", "list_identity_pools", {"MaxResults": 1}),
    "cognitoidp": ("cognito-idp", "list_user_pools", {"MaxResults": 1}),
    "dynamodb": ("dynamodb", "list_tables", {}),
    "events": ("events", "list_rules", {}),
    "iam": ("iam", "list_roles", {}),
    "kms": ("kms", "list_keys", {}),
    "lambda": ("lambda", "list_functions", {}),
    "s3": ("s3", "list_buckets", {}),
    "sns": ("sns", "list_topics", {}),
    "sqs": ("sqs", "list_queues", {}),
    "sts": ("sts", "get_caller_identity", {}),
    "wafv2": ("wafv2", "list_web_acls", {"Scope": "REGIONAL"}),
}

SCRIPT = r"""
import importlib, importlib.abc, json, sys

blocked, modules, calls = json.loads(sys.argv[1])

class OutsideTheRuntimeSet(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not in requirements/runtime.txt", name=name)
        return None

sys.meta_path.insert(0, OutsideTheRuntimeSet())
for module in modules:
    importlib.import_module(module)

import boto3
from local.emulator.server import start_emulator

with start_emulator() as emulator:
    for service, method, kwargs in calls:
        client = boto3.client(service, region_name="us-east-1", endpoint_url=emulator.url,
                              aws_access_key_id="local", aws_secret_access_key="local")
        getattr(client, method)(**kwargs)
print("ok", len(modules), len(calls))
"""


def _local_endpoints() -> set[str]:
    main_tf = (REPO_ROOT / "terraform" / "envs" / "local" / "main.tf").read_text()
    block = re.search(r"endpoints \{(.*?)\}", main_tf, re.DOTALL)
    assert block, "terraform/envs/local/main.tf has no provider endpoints block"
    return set(re.findall(r"^\s*(\w+)\s*=", block.group(1), re.MULTILINE))


def _blocked_top_levels() -> list[str]:
    runtime = set(read_lock(REQUIREMENTS / "runtime.txt"))
    blocked = set()
    for top, dists in metadata.packages_distributions().items():
        if top in ("local", "tools", "tests") or top in sys.stdlib_module_names:
            continue
        if not {normalize(d) for d in dists} & runtime:
            blocked.add(top)
    return sorted(blocked)


def _modules() -> list[str]:
    found = [
        ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted((REPO_ROOT / "local").rglob("*.py"))
        if path.name != "__main__.py" or path.parent.name == "local"
    ]
    return [*found, "tools.build_lambda"]


def test_the_calls_cover_every_service_the_local_env_uses() -> None:
    assert _local_endpoints() == set(CALLS)


def test_local_imports_and_the_emulator_serves_with_only_the_runtime_set() -> None:
    blocked = _blocked_top_levels()
    assert {"checkov", "mypy", "pytest", "cfnlint"} <= set(blocked), "the block list looks wrong"
    calls = [CALLS[name] for name in sorted(CALLS)]
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps([blocked, _modules(), calls])],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("ok ")

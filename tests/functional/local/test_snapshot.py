"""local.snapshot: moto's state survives a save/restore round trip (including the objects pickle
cannot store as they are), and a snapshot is refused, before moto is touched, unless its inputs,
port and Terraform state are the current ones.

The round trip runs in a subprocess: moto's state is per process, and it resets it.
The Terraform tier (tests/terraform) checks the same on the applied stack with `terraform plan`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from local import snapshot
from tools.config import REPO_ROOT

ROUND_TRIP = r"""
import base64, json, sys, zipfile, io
import boto3
from moto.core.base_backend import BackendDict
from local import snapshot
from local.core.changes import ChangeFeed
from local.emulator.server import start_emulator

def client(name, url):
    return boto3.client(name, region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id="local", aws_secret_access_key="local")

def observe(url, pool_id, pool_client, fn, identity_pool):
    idp = client("cognito-idp", url)
    return {
        "keys": [k["KeyId"] for k in client("kms", url).list_keys()["Keys"]],
        "pool": idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"],
        "groups": [g["GroupName"] for g in idp.list_groups(UserPoolId=pool_id)["Groups"]],
        "function": client("lambda", url).get_function(FunctionName=fn)["Configuration"]["CodeSha256"],
        "identity_pool": client("cognito-identity", url).describe_identity_pool(
            IdentityPoolId=identity_pool)["IdentityPoolName"],
        "tables": client("dynamodb", url).list_tables()["TableNames"],
    }

with start_emulator() as emulator:
    url = emulator.url
    kms = client("kms", url)
    key = kms.create_key(Description="round trip")["KeyMetadata"]["KeyId"]
    sealed = kms.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
    idp = client("cognito-idp", url)
    pool_id = idp.create_user_pool(PoolName="rt")["UserPool"]["Id"]
    idp.create_group(UserPoolId=pool_id, GroupName="admin")
    flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    pool_client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="c", ExplicitAuthFlows=flows)["UserPoolClient"]["ClientId"]
    user, password = "u@example.com", "Passw0rd!Passw0rd"
    idp.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username=user, Password=password, Permanent=True)
    role = client("iam", url).create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
    client("lambda", url).create_function(FunctionName="fn", Runtime="python3.12", Role=role,
        Handler="app.handler", Code={"ZipFile": code.getvalue()})
    identity_pool = client("cognito-identity", url).create_identity_pool(
        IdentityPoolName="rt", AllowUnauthenticatedIdentities=False)["IdentityPoolId"]
    client("dynamodb", url).create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    before = observe(url, pool_id, pool_client, "fn", identity_pool)
    signed_in = idp.initiate_auth(ClientId=pool_client, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": password})
    token = signed_in["AuthenticationResult"]["AccessToken"]

    data = snapshot.dump_backends()
    BackendDict.reset()
    assert client("dynamodb", url).list_tables()["TableNames"] == [], "reset did not empty moto"
    feed = ChangeFeed(url)
    seen = feed.observe()
    restored = snapshot.load_backends(data)
    # The restore bypasses moto's API; the change feed must count it all the same, or a running
    # gateway would keep stages and policies it read before.
    assert feed.observe().supersedes(seen), "a restore did not move the change feed"

    after = observe(url, pool_id, pool_client, "fn", identity_pool)
    assert after == before, (before, after)
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"secret"
    assert idp.get_user(AccessToken=token)["Username"] == "u@example.com"
    print(json.dumps({"restored": restored, "bytes": len(data)}))
"""


def test_moto_state_survives_a_save_and_restore() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", ROUND_TRIP],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["restored"] >= 6


def _saved(tmp_path: Path, *, inputs: str = "digest", port: int = 4566) -> Path:
    state = tmp_path / "terraform.tfstate"
    state.write_text('{"version": 4}')
    header = snapshot.Header(
        snapshot.FORMAT, inputs, port, "http://127.0.0.1:3000", {"api_id": "abc"}, snapshot._sha256(state)
    )
    (tmp_path / snapshot.HEADER_NAME).write_text(json.dumps(header.__dict__))
    (tmp_path / snapshot.DATA_NAME).write_bytes(b"not a pickle: must never be read in these tests")
    return state


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"inputs": "other"}, "inputs changed"),
        ({"port": 1234}, "port 1234"),
        ({"console_origin": "http://127.0.0.1:3001"}, "console is at http://127.0.0.1:3001"),
        ({"state": '{"version": 4, "serial": 2}'}, "not the one saved"),
    ],
)
def test_a_snapshot_is_refused_when_anything_it_depends_on_differs(
    tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    state = _saved(tmp_path)
    if "state" in change:
        state.write_text(str(change["state"]))
    with pytest.raises(snapshot.SnapshotError, match=reason):
        snapshot.restore(
            tmp_path,
            inputs=str(change.get("inputs", "digest")),
            port=int(str(change.get("port", 4566))),
            console_origin=str(change.get("console_origin", "http://127.0.0.1:3000")),
            state_path=state,
        )


def test_no_header_or_another_format_means_no_snapshot(tmp_path: Path) -> None:
    assert snapshot.read_header(tmp_path) is None
    _saved(tmp_path)
    assert snapshot.read_header(tmp_path) is not None
    raw = json.loads((tmp_path / snapshot.HEADER_NAME).read_text())
    (tmp_path / snapshot.HEADER_NAME).write_text(json.dumps({**raw, "format": snapshot.FORMAT + 1}))
    assert snapshot.read_header(tmp_path) is None
    snapshot.discard(tmp_path)
    assert not (tmp_path / snapshot.DATA_NAME).exists()


def test_the_inputs_digest_follows_the_terraform_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = tmp_path / "terraform"
    (tf / "stack").mkdir(parents=True)
    (tf / "stack" / "main.tf").write_text('resource "x" "y" {}\n')
    (tf / "stack" / "tests").mkdir()
    (tf / "stack" / "tests" / "a.tftest.hcl").write_text("run {}\n")
    monkeypatch.setattr(snapshot, "TERRAFORM_DIR", tf)
    monkeypatch.setattr(snapshot, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(snapshot, "emulator_sources", list)
    for name in ("TEMPLATES_DIR", "BUILD_DIR"):
        monkeypatch.setattr(snapshot, name, tmp_path / name.lower())
    first = snapshot.inputs_digest("x86_64")
    (tf / "stack" / "tests" / "a.tftest.hcl").write_text("run { other = 1 }\n")
    assert snapshot.inputs_digest("x86_64") == first, "module tests do not change what is applied"
    (tf / "stack" / "main.tf").write_text('resource "x" "z" {}\n')
    assert snapshot.inputs_digest("x86_64") != first


def test_the_emulator_sources_are_its_code_and_what_it_imports() -> None:
    """The patches are imported inside apply_patches(): the walk must find them, and nothing of
    the gateway's runtime or the command line (they do not decide what moto stores). Of
    local/apigateway only the API Gateway patches (FlushStageAuthorizersCache) and the Lambda
    resource-policy check EventBridge's delivery shares are the emulator's."""
    found = {str(p.relative_to(REPO_ROOT)) for p in snapshot.emulator_sources()}
    assert {"local/emulator/server.py", "local/cognito_idp/patches.py", "local/awslambda/patches.py"} <= found
    assert {"local/iam/patches.py", "local/cognito_identity/patches.py", "local/__init__.py"} <= found
    assert {"local/events/patches.py", "local/apigateway/patches.py"} <= found
    gateway = {name for name in found if name.startswith("local/apigateway/")}
    assert gateway <= {
        "local/apigateway/__init__.py",
        "local/apigateway/patches.py",
        "local/apigateway/flushes.py",
        "local/apigateway/permissions.py",
    }
    assert not any(name.startswith(("local/matrix", "local/__main__")) for name in found)

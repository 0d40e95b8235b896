"""The applied stack survives local.snapshot's save and restore unchanged: a warm `make up` puts the
last apply's emulator state back instead of applying again, so the restored state must be what
Terraform applied, and it must serve.

Runs before test_local_env.py (file order), whose second `terraform plan` then plans against the
restored emulator as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moto.core.base_backend import BackendDict

from local import snapshot
from local.client import Session
from local.events import delivery
from tests.stack_fixture import StackHolder


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _fingerprint(running: Any) -> dict[str, Any]:
    """What Terraform created, as the AWS APIs describe it."""
    outputs = running.outputs
    api, pool, identity_pool = outputs["api_id"], outputs["user_pool_id"], outputs["identity_pool_id"]
    apigw, idp, iam, kms = (running.aws(s) for s in ("apigateway", "cognito-idp", "iam", "kms"))
    dynamodb = running.aws("dynamodb")
    roles = iam.list_roles()["Roles"]
    return _clean(
        {
            "resources": apigw.get_resources(restApiId=api, embed=["methods"], limit=500)["items"],
            "authorizers": apigw.get_authorizers(restApiId=api)["items"],
            "stages": apigw.get_stages(restApiId=api)["item"],
            "gateway_responses": apigw.get_gateway_responses(restApiId=api)["items"],
            "user_pool": idp.describe_user_pool(UserPoolId=pool)["UserPool"],
            "groups": idp.list_groups(UserPoolId=pool)["Groups"],
            "users": idp.list_users(UserPoolId=pool)["Users"],
            "identity_pool": running.aws("cognito-identity").describe_identity_pool(
                IdentityPoolId=identity_pool
            ),
            "role_mappings": running.aws("cognito-identity").get_identity_pool_roles(
                IdentityPoolId=identity_pool
            ),
            "functions": running.aws("lambda").list_functions()["Functions"],
            "tables": [
                dynamodb.describe_table(TableName=t)["Table"] for t in dynamodb.list_tables()["TableNames"]
            ],
            "records": dynamodb.scan(TableName=outputs["records_table"])["Items"],
            "roles": roles,
            "role_policies": {r["RoleName"]: iam.list_role_policies(RoleName=r["RoleName"]) for r in roles},
            "keys": [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]],
        }
    )


def test_the_applied_stack_survives_save_and_restore_and_serves(
    stack_holder: StackHolder, tmp_path: Path
) -> None:
    running = stack_holder.running
    # Earlier tests' admin actions reach the revocation feed asynchronously (EventBridge): let them
    # finish writing before the stack is described, saved and emptied.
    assert delivery.drain(60.0), "EventBridge deliveries still running after 60 s"
    before = _fingerprint(running)
    state = running.deployment.state_path
    port = running.emulator.port
    console = running.deployment.console_origin
    snapshot.save(
        tmp_path,
        inputs="this apply",
        port=port,
        console_origin=console,
        outputs=running.outputs,
        state_path=state,
    )

    BackendDict.reset()
    assert running.aws("dynamodb").list_tables()["TableNames"] == [], "moto was not emptied"
    outputs = snapshot.restore(
        tmp_path, inputs="this apply", port=port, console_origin=console, state_path=state
    )

    assert outputs == running.outputs
    assert _fingerprint(running) == before
    described = running.describe()
    admin = next(u for u in described["users"] if u["groups"] == ["admin"])
    response = Session(described, admin).request("GET", "/news")
    assert response.status_code == 200, response.text

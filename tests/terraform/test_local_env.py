"""Terratest-style: `terraform apply` of envs/local against the emulator (once per session, shared
with the e2e suite), then assert through boto3 that what exists is what the configuration says,
that a second plan is empty, and that destroy leaves nothing behind. Runs last in `make test`."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from tests.stack_fixture import StackHolder
from tools import config
from tools.render import render_client, render_group

AUTH_TYPES = {"iam": "AWS_IAM", "user_pool": "COGNITO_USER_POOLS", "lambda": "CUSTOM"}
# The zip each function role runs (tools/build_lambda.py); every other role is a backend handler.
ZIPS = {"authorizer": "authorizer.zip", "signout": "revocation.zip", "revocation_feed": "revocation.zip"}


@pytest.fixture(scope="module")
def running(stack_holder: StackHolder) -> Any:
    return stack_holder.running


@pytest.fixture(scope="module")
def cfg() -> config.EnvConfig:
    return config.load("local")


def _methods(running: Any) -> dict[tuple[str, str], dict[str, Any]]:
    apigw = running.aws("apigateway")
    resources = apigw.get_resources(restApiId=running.outputs["api_id"], embed=["methods"], limit=500)[
        "items"
    ]
    return {(r["path"], verb): m for r in resources for verb, m in (r.get("resourceMethods") or {}).items()}


def test_groups_exist_with_their_role_and_precedence(running: Any, cfg: config.EnvConfig) -> None:
    groups = running.aws("cognito-idp").list_groups(UserPoolId=running.outputs["user_pool_id"])["Groups"]
    found = {g["GroupName"]: g for g in groups}
    assert set(found) == set(cfg.groups)
    for name, group in cfg.groups.items():
        assert found[name]["Precedence"] == group.precedence
        assert found[name]["RoleArn"] == running.outputs["group_role_arns"][name]


def test_identity_pool_maps_groups_by_preferred_role_rules_and_the_idp_by_rules(
    running: Any, cfg: config.EnvConfig
) -> None:
    identity = running.aws("cognito-identity")
    pool_id = running.outputs["identity_pool_id"]
    pool = identity.describe_identity_pool(IdentityPoolId=pool_id)
    assert pool["AllowUnauthenticatedIdentities"] is False
    roles = identity.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert roles["Roles"] == {"authenticated": running.outputs["default_authenticated_role_arn"]}
    mappings = roles["RoleMappings"]
    user_pool_key = (
        f"cognito-idp.{cfg.region}.amazonaws.com/{running.outputs['user_pool_id']}"
        f":{running.outputs['user_pool_client_ids']['web']}"
    )
    assert mappings[user_pool_key]["Type"] == "Rules"  # the default user_pool_role_mapping
    assert mappings[user_pool_key]["AmbiguousRoleResolution"] == "Deny"
    group_roles = running.outputs["group_role_arns"]
    rules = mappings[user_pool_key]["RulesConfiguration"]["Rules"]
    assert sorted((r["Claim"], r["MatchType"], r["Value"], r["RoleARN"]) for r in rules) == sorted(
        ("cognito:preferred_role", "Equals", arn, arn) for arn in group_roles.values()
    )
    idp = mappings[running.emulator.oidc_provider_name]
    assert idp["Type"] == "Rules"
    assert idp["AmbiguousRoleResolution"] == "Deny"
    (rule,) = idp["RulesConfiguration"]["Rules"]
    assert rule["Claim"] == "aud"
    assert rule["MatchType"] == "Equals"
    assert rule["RoleARN"] == running.outputs["group_role_arns"][cfg.raw["local_idp"]["group"]]


def test_default_authenticated_role_denies_everything(running: Any) -> None:
    iam = running.aws("iam")
    role_name = running.outputs["default_authenticated_role_arn"].rsplit("/", 1)[1]
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    documents = [iam.get_role_policy(RoleName=role_name, PolicyName=n)["PolicyDocument"] for n in names]
    assert [s["Effect"] for d in documents for s in d["Statement"]] == ["Deny"]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []


def test_api_methods_follow_the_routes(running: Any, cfg: config.EnvConfig) -> None:
    methods = _methods(running)
    authorizers = {
        a["id"]: a
        for a in running.aws("apigateway").get_authorizers(restApiId=running.outputs["api_id"])["items"]
    }
    for route in cfg.routes.values():
        method = methods[(route.path, route.method)]
        assert method["authorizationType"] == AUTH_TYPES[route.auth], route.name
        if route.auth == "lambda":
            assert authorizers[method["authorizerId"]]["type"] == "TOKEN"
        if route.auth == "user_pool":
            assert authorizers[method["authorizerId"]]["type"] == "COGNITO_USER_POOLS"
            assert sorted(method.get("authorizationScopes") or []) == sorted(route.scopes)
        assert method["methodIntegration"]["type"] == "AWS_PROXY"
    unauthenticated = [
        (path, verb) for (path, verb), m in methods.items() if m["authorizationType"] == "NONE"
    ]
    assert unauthenticated
    assert all(verb == "OPTIONS" for _, verb in unauthenticated)


def _python_rendering(cfg: config.EnvConfig, group: str, api_id: str) -> Any:
    return json.loads(render_group(cfg, group, api_id=api_id))


def test_policy_table_holds_the_python_rendering_of_each_template(
    running: Any, cfg: config.EnvConfig
) -> None:
    dynamodb = running.aws("dynamodb")
    table = running.outputs["policy_table"]
    items = {
        i["group"]["S"]: i for i in dynamodb.scan(TableName=table)["Items"]
    }  # a test may scan; request paths never do
    own = {c.policy_key: c for c in cfg.machine_clients.values() if c.template is not None}
    assert own, "the demo has a machine client with a template of its own"
    assert set(items) == set(cfg.groups) | set(own)
    for group in cfg.groups.values():
        item = items[group.name]
        assert json.loads(item["policy"]["S"]) == _python_rendering(
            cfg, group.name, running.outputs["api_id"]
        )
        assert int(item["precedence"]["N"]) == group.precedence
    for key, client in own.items():
        rendered = render_client(cfg, client, api_id=running.outputs["api_id"])
        assert json.loads(items[key]["policy"]["S"]) == json.loads(rendered)


def test_every_machine_client_is_a_confidential_client_the_authorizer_knows(
    running: Any, cfg: config.EnvConfig
) -> None:
    idp = running.aws("cognito-idp")
    pool = running.outputs["user_pool_id"]
    declared = running.outputs["machine_clients"]
    assert set(declared) == set(cfg.machine_clients)
    for name, client in cfg.machine_clients.items():
        app = idp.describe_user_pool_client(UserPoolId=pool, ClientId=declared[name]["client_id"])[
            "UserPoolClient"
        ]
        assert app["ClientSecret"]
        assert app["AllowedOAuthFlows"] == ["client_credentials"]
        assert app["AllowedOAuthFlowsUserPoolClient"] is True
        assert sorted(app["AllowedOAuthScopes"]) == sorted(client.scopes)
    conf = running.aws("lambda").get_function_configuration(
        FunctionName=running.outputs["functions"]["authorizer"]
    )
    machine_clients = json.loads(conf["Environment"]["Variables"]["MACHINE_CLIENTS"])
    assert machine_clients == {
        declared[name]["client_id"]: {"policy": c.policy_key, "scopes": list(c.scopes)}
        for name, c in cfg.machine_clients.items()
    }
    user_clients = conf["Environment"]["Variables"]["ALLOWED_CLIENT_IDS"].split(",")
    assert running.outputs["user_pool_client_ids"]["web"] in user_clients
    assert not set(user_clients) & set(machine_clients), "a client is a user's or a machine's"


def test_group_roles_hold_the_same_document(running: Any, cfg: config.EnvConfig) -> None:
    iam = running.aws("iam")
    for group, arn in running.outputs["group_role_arns"].items():
        role = arn.rsplit("/", 1)[1]
        (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        assert document == _python_rendering(cfg, group, running.outputs["api_id"])


def test_functions_run_the_built_zips(running: Any, cfg: config.EnvConfig) -> None:
    client = running.aws("lambda")
    zips = config.REPO_ROOT / "build" / "lambda" / cfg.lambda_architecture
    for role, name in running.outputs["functions"].items():
        conf = client.get_function_configuration(FunctionName=name)
        zip_name = ZIPS.get(role, "backend.zip")
        expected = base64.b64encode(hashlib.sha256((zips / zip_name).read_bytes()).digest()).decode()
        assert conf["CodeSha256"] == expected, name
        assert conf["Runtime"] == "python3.12"
        assert conf["Architectures"] == [cfg.lambda_architecture]
        assert conf["TracingConfig"]["Mode"] == "Active"


def test_second_plan_shows_no_changes(running: Any) -> None:
    served_the_apply = running.deployment.provider_pid
    assert served_the_apply is not None, "the apply ran without the shared provider (tools/tf_provider.py)"
    assert running.deployment.planned_changes() == []
    assert running.deployment.provider_pid == served_the_apply  # the plan used the same process


def test_destroy_leaves_nothing_behind(stack_holder: StackHolder, running: Any) -> None:
    outputs = running.outputs
    running.deployment.destroy()
    stack_holder.destroyed = True
    prefix = "fga-local"
    assert not [
        p
        for p in running.aws("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
        if p["Name"].startswith(prefix)
    ]
    assert not [
        p
        for p in running.aws("cognito-identity").list_identity_pools(MaxResults=60)["IdentityPools"]
        if p["IdentityPoolName"].startswith(prefix)
    ]
    assert not [a for a in running.aws("apigateway").get_rest_apis()["items"] if a["name"].startswith(prefix)]
    assert not [t for t in running.aws("dynamodb").list_tables()["TableNames"] if t.startswith(prefix)]
    assert not [
        f for f in running.aws("lambda").list_functions()["Functions"] if f["FunctionName"].startswith(prefix)
    ]
    assert not [r for r in running.aws("iam").list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
    assert not running.aws("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert outputs["api_id"]  # the stack really existed before

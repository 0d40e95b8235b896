"""The whole product on one machine: emulator + OIDC IdP, `terraform apply` of envs/local, the API
Gateway runtime, demo users, and the stack description scripts use (`.local/stack.json`).

`python -m local up` (make up) and the end-to-end / Terraform test fixtures start it through
`start_stack()`; everything it needs comes from the access model, the environment's config.json
and Terraform's outputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.apigateway.server import GatewayHandle, start_gateway
from local.awslambda import LambdaRuntime, make_runtime
from local.console.server import ConsoleHandle
from local.demo_data import DEMO_NEWS, DemoMachine, DemoUser, demo_machines, demo_users, news_item
from local.deploy import LocalDeployment
from local.emulator.server import EmulatorHandle
from local.progress import Progress
from local.startup import as_progress, deploy, start_console_for
from tools import config
from tools.config import EnvConfig

# boto3-stubs types client() per literal service name; these helpers take the name as data.
_boto3_client: Callable[..., Any] = boto3.client

ENV = "local"


def _seed_user_pool(client: Any, pool_id: str, user: DemoUser) -> None:
    client.admin_create_user(
        UserPoolId=pool_id,
        Username=user.username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": user.username},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "given_name", "Value": user.given_name},
            {"Name": "family_name", "Value": user.family_name},
        ],
    )
    client.admin_set_user_password(
        UserPoolId=pool_id, Username=user.username, Password=user.password, Permanent=True
    )
    for group in user.groups:
        client.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName=group)


@dataclass
class RunningStack:
    cfg: EnvConfig
    emulator: EmulatorHandle
    deployment: LocalDeployment
    outputs: dict[str, Any]
    gateway: GatewayHandle | None = None
    runtime: LambdaRuntime | None = None
    users: list[DemoUser] = field(default_factory=list)
    #: The machine callers as a client holds them: name, client id and secret, scopes, whether the
    #: model declares it and the policy item governing it (describe()["machines"]).
    machines: list[dict[str, Any]] = field(default_factory=list)
    console: ConsoleHandle | None = None
    reused: bool = False  # the last apply's emulator state was put back instead of applying

    def aws(self, service: str) -> Any:
        """A boto3 client for the emulator."""
        return _boto3_client(
            service,
            region_name=self.cfg.region,
            endpoint_url=self.emulator.url,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the emulator's fixed, non-secret credentials
        )

    def describe(self) -> dict[str, Any]:
        """Everything a script needs (written to .local/stack.json)."""
        assert self.gateway is not None
        stage = self.outputs["stage_name"]
        local_idp = self.cfg.raw["local_idp"]
        hosted_ui = f"{self.emulator.url}/_local/cognito/{self.outputs['user_pool_id']}"
        return {
            "environment": self.cfg.environment,
            "region": self.cfg.region,
            "account_id": self.outputs["account_id"],
            "emulator_url": self.emulator.url,
            "gateway_url": self.gateway.url,
            "api_url": f"{self.gateway.url}/{stage}",
            "api_id": self.outputs["api_id"],
            "stage": stage,
            "user_pool_id": self.outputs["user_pool_id"],
            "user_pool_client_id": self.outputs["user_pool_client_ids"]["web"],
            "verification_client_id": self.outputs["user_pool_client_ids"].get("verify"),
            "user_pool_issuer": self.outputs["user_pool_issuer"],
            "identity_pool_id": self.outputs["identity_pool_id"],
            "oauth_redirect_uri": self.cfg.raw["user_pool"]["callback_urls"][0],
            "hosted_ui": hosted_ui,
            # AWS: https://<domain>.auth.<region>.amazoncognito.com/oauth2/token
            "token_endpoint": f"{hosted_ui}/oauth2/token",
            "external_idp": {
                "issuer": self.emulator.oidc_issuer,
                "provider_name": self.emulator.oidc_provider_name,
                "token_endpoint": f"{self.emulator.url}/_local/oidc/token",
                "client_id": local_idp["client_ids"][0],
                "group": local_idp["group"],
            },
            "tables": {
                "policies": self.outputs["policy_table"],
                "records": self.outputs["records_table"],
                "revocations": self.outputs["revocation_table"],
            },
            # The product's sign-out (POST, not a route of the access model; see docs/architecture.md).
            "signout_path": self.outputs["signout_path"],
            "functions": self.outputs["functions"],
            "group_role_arns": self.outputs["group_role_arns"],
            "routes": self.cfg.access.raw["routes"],
            "groups": self.cfg.access.raw["groups"],
            "users": [u.describe() for u in self.users],
            "machines": self.machines,
            "console_url": self.console.url if self.console is not None else None,
        }

    def stop(self, *, destroy: bool = False) -> None:
        try:
            if self.console is not None:
                self.console.stop()
            if self.gateway is not None:
                self.gateway.stop()
            if self.runtime is not None:
                self.runtime.close()
            if destroy:
                self.deployment.destroy()
        finally:
            self.deployment.close()
            self.emulator.stop()


def start_stack(
    work_dir: Path,
    *,
    progress: Progress | Callable[[str], None] | None = None,
    gateway_port: int = 0,
    console_port: int = 0,
    reuse_last_apply: bool = False,
    save_apply: bool = False,
) -> RunningStack:
    """Start emulator and IdP, apply envs/local, start the gateway, seed users and data.

    The browser console's port is bound first: its origin is an input of the apply (the API's
    CORS origin, a callback URL of the web client). `progress` shows each phase (a Progress, or a
    callable given one line per phase). With `save_apply` the emulator state after the apply is
    saved, and with `reuse_last_apply` a saved one is put back instead of applying when the
    apply's inputs are unchanged (local/startup.py, local/snapshot.py). On any failure everything
    started so far is stopped again.
    """
    cfg = config.load(ENV)
    shown = as_progress(progress)
    terraform_dir = work_dir / "terraform"
    console = start_console_for(terraform_dir, console_port, reuse_last_apply=reuse_last_apply)
    try:
        deployed = deploy(
            terraform_dir,
            cfg,
            shown,
            console_origin=console.url,
            reuse_last_apply=reuse_last_apply,
            save_apply=save_apply,
        )
    except BaseException:
        console.stop()
        raise
    emulator, outputs = deployed.emulator, deployed.outputs
    try:
        stack = RunningStack(
            cfg=cfg,
            emulator=emulator,
            deployment=deployed.deployment,
            outputs=outputs,
            reused=deployed.reused,
        )
        with shown.phase("gateway") as phase:
            stack.runtime = make_runtime(emulator.url, cfg.region, work_dir=work_dir / "lambda")
            stack.gateway = start_gateway(
                emulator.url, cfg.region, api_id=outputs["api_id"], port=gateway_port, runtime=stack.runtime
            )
            shown.update(phase, note=stack.gateway.url)
        with shown.phase("seed") as phase:
            _seed(stack)
            shown.update(
                phase,
                note=f"{len(stack.users)} demo users, {len(stack.machines)} machine callers, "
                f"{len(DEMO_NEWS)} news items",
            )
        stack.console = console
        console.publish(stack.describe())
        return stack
    except BaseException:
        console.stop()
        deployed.deployment.close()
        emulator.stop()
        raise


def _machine_client(cognito: Any, stack: RunningStack, machine: DemoMachine) -> dict[str, Any]:
    """The app client behind a demo machine caller, with its secret: a declared one is Terraform's
    (its secret read with DescribeUserPoolClient, as a deployed service would), the undeclared one is
    created here, outside the model, as someone with access to the pool could."""
    pool_id = stack.outputs["user_pool_id"]
    if machine.declared:
        client_id = stack.outputs["machine_clients"][machine.name]["client_id"]
        client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    else:
        client = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=f"{stack.cfg.name_prefix}-{machine.name}",
            GenerateSecret=True,
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=list(machine.scopes),
            SupportedIdentityProviders=["COGNITO"],
        )["UserPoolClient"]
    return {
        "name": machine.name,
        "client_id": client["ClientId"],
        "client_secret": client["ClientSecret"],
        "scopes": list(machine.scopes),
        "declared": machine.declared,
        "policy_key": machine.policy_key,
    }


def _seed(stack: RunningStack) -> None:
    idp = stack.cfg.raw["local_idp"]
    stack.emulator.oidc.add_client(idp["client_ids"][0])
    cognito = stack.aws("cognito-idp")
    stack.users = demo_users(stack.cfg)
    for user in stack.users:
        if user.external:
            stack.emulator.oidc.add_user(
                user.username,
                user.password,
                email=user.username,
                given_name=user.given_name,
                family_name=user.family_name,
            )
        else:
            _seed_user_pool(cognito, stack.outputs["user_pool_id"], user)
    stack.machines = [_machine_client(cognito, stack, m) for m in demo_machines(stack.cfg)]
    dynamodb = stack.aws("dynamodb")
    for index, (title, body) in enumerate(DEMO_NEWS):
        dynamodb.put_item(TableName=stack.outputs["records_table"], Item=news_item(title, body, index))


def write_stack_file(stack: RunningStack, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    tmp.touch(mode=0o600)  # owner-only before a byte is written: it holds passwords and client secrets
    tmp.write_text(json.dumps(stack.describe(), indent=2) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)

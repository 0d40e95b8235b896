"""A pool that requires MFA (prod's setting): the emulator's MFA_SETUP challenge, its code checks, and
`make verify`'s principals signing in through it with a TOTP device enrolled for the run."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.local.support import PASSWORD, REGION, World
from tools.live import totp
from tools.live.principals import Kind, UserPoolPrincipals


@pytest.fixture(scope="module")
def pool(world: World) -> dict[str, str]:
    pool_id = world.idp.create_user_pool(PoolName="mfa-on")["UserPool"]["Id"]
    world.idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True}
    )
    verify = world.idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="verify",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    world.idp.create_group(UserPoolId=pool_id, GroupName="admin")
    return {"pool_id": pool_id, "client_id": verify}


def _user(world: World, pool: dict[str, str], name: str) -> None:
    world.idp.admin_create_user(
        UserPoolId=pool["pool_id"],
        Username=name,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}],
    )
    world.idp.admin_set_user_password(
        UserPoolId=pool["pool_id"], Username=name, Password=PASSWORD, Permanent=True
    )


def _sign_in(world: World, pool: dict[str, str], name: str, password: str = PASSWORD) -> dict[str, Any]:
    answer: dict[str, Any] = world.idp.admin_initiate_auth(
        UserPoolId=pool["pool_id"],
        ClientId=pool["client_id"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": password},
    )
    return answer


def test_a_password_alone_gets_the_mfa_setup_challenge_not_tokens(world: World, pool: dict[str, str]) -> None:
    _user(world, pool, "alice")
    answer = _sign_in(world, pool, "alice")
    assert "AuthenticationResult" not in answer
    assert answer["ChallengeName"] == "MFA_SETUP"
    assert answer["Session"]
    with pytest.raises(ClientError) as excinfo:
        _sign_in(world, pool, "alice", password="Wr0ng-Password!")
    assert excinfo.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_a_wrong_totp_code_is_refused(world: World, pool: dict[str, str]) -> None:
    _user(world, pool, "bob")
    associated = world.idp.associate_software_token(Session=_sign_in(world, pool, "bob")["Session"])
    right = totp.code(associated["SecretCode"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(ClientError) as excinfo:
        world.idp.verify_software_token(Session=associated["Session"], UserCode=wrong)
    assert excinfo.value.response["Error"]["Code"] == "CodeMismatchException"


def test_the_runs_principal_enrols_a_device_and_signs_in(world: World, pool: dict[str, str]) -> None:
    stack = {
        "region": REGION,
        "emulator_url": world.url,
        "user_pool_id": pool["pool_id"],
        "verification_client_id": pool["client_id"],
    }
    users = UserPoolPrincipals(stack)
    principal = users.create(Kind("admin", ("admin",)), "20300101T000000-abcdef")
    users.provision(principal)
    session = users.session(principal, lambda _identity: None)

    tokens = session.tokens()

    claims = world.idp.get_user(AccessToken=tokens["access"])
    assert claims["Username"] == principal.username
    assert [
        g["GroupName"]
        for g in world.idp.admin_list_groups_for_user(
            UserPoolId=pool["pool_id"], Username=principal.username
        )["Groups"]
    ] == ["admin"]
    assert [p.username for p in users.find("20300101T000000-abcdef")] == [principal.username]
    users.remove(principal)
    assert users.find("20300101T000000-abcdef") == []

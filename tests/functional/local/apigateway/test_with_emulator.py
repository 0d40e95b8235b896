"""The gateway with the project's emulator (not a stand-in): real user-pool tokens checked against
the pool's own JWKS, and identity-pool credentials found through the default resolver
(`local.cognito_identity.credentials.lookup_credentials`), signed with botocore, authorized by the
group role."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.apigateway.server import start_gateway
from local.awslambda.types import InvokeResult
from local.emulator.server import start_emulator

# botocore's signer (the client side of these tests) still calls datetime.utcnow().
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "local"
PASSWORD = "Corr3ct-Horse!"


class EchoRuntime:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, function_name_or_arn: str, event: dict[str, Any]) -> InvokeResult:
        self.events.append(event)
        return InvokeResult({"statusCode": 200, "body": json.dumps(event)}, None, None, 1.0)

    def close(self) -> None:
        pass


@dataclass
class Stack:
    gateway_url: str
    id_token: str
    access_token: str
    credentials: dict[str, Any]
    identity_id: str
    role_name: str
    runtime: EchoRuntime


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with start_emulator() as emulator:
        options: dict[str, Any] = {
            "endpoint_url": emulator.url,
            "region_name": REGION,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        idp, ids, iam, lam, apigw = (
            boto3.client(s, **options)  # type: ignore[call-overload]
            for s in ("cognito-idp", "cognito-identity", "iam", "lambda", "apigateway")
        )
        pool_id = idp.create_user_pool(PoolName=_unique("pool"))["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        provider = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
        identity_pool = ids.create_identity_pool(
            IdentityPoolName=_unique("ids").replace("-", "_"),
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client_id}],
        )["IdentityPoolId"]
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool},
                            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                        },
                    }
                ],
            }
        )
        default_role = iam.create_role(RoleName=_unique("deny-all"), AssumeRolePolicyDocument=trust)["Role"][
            "Arn"
        ]
        role_name = _unique("cip-users")
        group_role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]

        api_id = apigw.create_rest_api(name=_unique("api"))["id"]
        api_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}"
        iam.put_role_policy(
            RoleName=role_name,
            PolicyName="cip",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "execute-api:Invoke",
                            "Resource": f"{api_arn}/{STAGE}/GET/cip",
                        }
                    ],
                }
            ),
        )
        ids.set_identity_pool_roles(
            IdentityPoolId=identity_pool,
            Roles={"authenticated": default_role},
            RoleMappings={
                f"{provider}:{client_id}": {"Type": "Token", "AmbiguousRoleResolution": "Deny"},
            },
        )
        idp.create_group(UserPoolId=pool_id, GroupName="cip-users", RoleArn=group_role, Precedence=20)
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username="ann",
            TemporaryPassword=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "ann@example.com"}],
            MessageAction="SUPPRESS",
        )
        idp.admin_set_user_password(UserPoolId=pool_id, Username="ann", Password=PASSWORD, Permanent=True)
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username="ann", GroupName="cip-users")
        tokens = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ann", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        logins = {provider: tokens["IdToken"]}
        identity_id = ids.get_id(IdentityPoolId=identity_pool, Logins=logins)["IdentityId"]
        credentials = ids.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]

        exec_role = iam.create_role(RoleName=_unique("exec"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        function = lam.create_function(
            FunctionName=_unique("profiles"),
            Runtime="python3.12",
            Role=exec_role,
            Handler="app.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
        lam.add_permission(
            FunctionName=function,
            StatementId="apigw",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"{api_arn}/{STAGE}/*/*",
        )
        authorizer = apigw.create_authorizer(
            restApiId=api_id,
            name="cognito",
            type="COGNITO_USER_POOLS",
            providerARNs=[f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}"],
            identitySource="method.request.header.Authorization",
        )["id"]
        root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
        uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
        for part, auth in (("cip", "AWS_IAM"), ("google", "AWS_IAM"), ("cup", "COGNITO_USER_POOLS")):
            rid = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
            extra = {"authorizerId": authorizer} if auth == "COGNITO_USER_POOLS" else {}
            apigw.put_method(
                restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType=auth, **extra
            )
            apigw.put_integration(
                restApiId=api_id,
                resourceId=rid,
                httpMethod="GET",
                type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=uri,
            )
        apigw.create_deployment(restApiId=api_id, stageName=STAGE)

        runtime = EchoRuntime()
        with start_gateway(emulator.url, REGION, api_id, runtime=runtime) as gateway:
            yield Stack(
                gateway.url,
                tokens["IdToken"],
                tokens["AccessToken"],
                credentials,
                identity_id,
                role_name,
                runtime,
            )


def signed_get(stack: Stack, path: str) -> requests.Response:
    url = f"{stack.gateway_url}/{STAGE}{path}"
    request = AWSRequest(method="GET", url=url)
    creds = Credentials(
        stack.credentials["AccessKeyId"], stack.credentials["SecretKey"], stack.credentials["SessionToken"]
    )
    SigV4Auth(creds, "execute-api", REGION).add_auth(request)
    headers = {**dict(request.headers.items()), "Host": urlsplit(url).netloc}
    return requests.get(url, headers=headers, timeout=10)


def test_identity_pool_credentials_reach_the_group_role_routes(stack: Stack) -> None:
    response = signed_get(stack, "/cip")
    assert response.status_code == 200, response.text
    identity = response.json()["requestContext"]["identity"]
    assert identity["cognitoIdentityId"] == stack.identity_id
    assert identity["cognitoAuthenticationType"] == "authenticated"
    assert (
        identity["userArn"]
        == f"arn:aws:sts::{ACCOUNT}:assumed-role/{stack.role_name}/CognitoIdentityCredentials"
    )
    assert identity["accessKey"] == stack.credentials["AccessKeyId"]


def test_identity_pool_credentials_are_denied_elsewhere(stack: Stack) -> None:
    response = signed_get(stack, "/google")
    assert response.status_code == 403
    assert "is not authorized to perform: execute-api:Invoke" in response.json()["Message"]


def test_user_pool_id_token_is_verified_against_the_pool_jwks(stack: Stack) -> None:
    response = requests.get(
        f"{stack.gateway_url}/{STAGE}/cup", headers={"Authorization": stack.id_token}, timeout=10
    )
    assert response.status_code == 200, response.text
    claims = response.json()["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:username"] == "ann"
    assert claims["cognito:groups"] == "cip-users"
    assert claims["token_use"] == "id"


def test_user_pool_access_token_is_refused_without_scopes(stack: Stack) -> None:
    response = requests.get(
        f"{stack.gateway_url}/{STAGE}/cup", headers={"Authorization": stack.access_token}, timeout=10
    )
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}

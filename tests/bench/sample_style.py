"""The sample-style baseline: a Lambda authorizer shaped like the public AWS sample of this design
(the "fine-grained authorization with Amazon Cognito, API Gateway and IAM" blog post's authorizer),
written here from its description: python-jose decodes and verifies the token with a JWKS fetched
once, then every call creates a boto3 DynamoDB resource and reads the caller's group item.

It checks what that sample checks (signature, alg, exp, iss, the client) and nothing about caching,
which is the point of the comparison.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from jose import jwt as jose_jwt


class SampleStyleAuthorizer:
    def __init__(self, jwks: dict[str, Any], table: str, region: str, issuer: str, clients: set[str]) -> None:
        self._keys = {key["kid"]: key for key in jwks["keys"]}
        self._table = table
        self._region = region
        self._issuer = issuer
        self._clients = clients

    def authorize(self, event: dict[str, Any]) -> dict[str, Any]:
        token = str(event["authorizationToken"]).split(" ")[-1]
        kid = jose_jwt.get_unverified_header(token)["kid"]
        claims = jose_jwt.decode(
            token,
            self._keys[kid],
            algorithms=["RS256"],
            issuer=self._issuer,
            options={"verify_aud": False, "require_exp": True, "require_iat": True},
        )
        if claims.get("token_use") != "access" or claims.get("client_id") not in self._clients:
            raise PermissionError("Unauthorized")
        group = claims["cognito:groups"][0]
        table = boto3.resource("dynamodb", region_name=self._region).Table(self._table)
        item = table.get_item(Key={"group": group})["Item"]
        return {
            "principalId": claims["sub"],
            "policyDocument": json.loads(str(item["policy"])),
            "context": {"sub": claims["sub"], "group": group},
        }

"""`AWS_IAM` authorization after SigV4: the caller's role policies decide `execute-api:Invoke`.

Why: in iam mode the identity pool maps each user to a group's role; API Gateway then evaluates
that role's identity-based policies (inline and attached managed, default versions) for
`execute-api:Invoke` on the method ARN. We read them from the emulator and keep them only while
the emulator's change count stays the same (`local/core/changes.py`; without a count, on every
request), so a `terraform apply` that changes a policy takes effect on the next request, as on AWS.

Contract:
* :meth:`RolePolicies.load` returns the role's id and policy documents, or raises
  :class:`RoleNotFound` (the caller then denies: credentials for a vanished role grant nothing);
  given the emulator's current generation it answers from what it read under that generation;
* :func:`identity_fields` fills `requestContext.identity` as API Gateway does for Cognito
  identity-pool callers (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format);
* :func:`condition_context` gives the global condition keys policies may test
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html,
  cognito-identity keys: https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from local.apigateway.sigv4 import IssuedCredentials
from local.core.changes import Generation, Versioned

__all__ = [
    "RoleInfo",
    "RoleNotFound",
    "RolePolicies",
    "condition_context",
    "denied_message",
    "identity_fields",
]

SESSION_NAME = "CognitoIdentityCredentials"  # the session name Cognito identity pools use


class RoleNotFound(LookupError):
    pass


@dataclass(frozen=True)
class RoleInfo:
    arn: str
    name: str
    role_id: str
    policies: tuple[Any, ...]  # documents (mappings or JSON text)


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


class RolePolicies:
    """Reads a role's identity-based policies through boto3 IAM (bound to the emulator)."""

    def __init__(self, iam: Any) -> None:
        self._iam = iam
        self._read: Versioned[str, RoleInfo | RoleNotFound] = Versioned()

    def load(self, role_arn: str, generation: Generation | None = None) -> RoleInfo:
        """The role as read under `generation` (read now when not yet, or when None)."""
        known = self._read.get(role_arn, generation)
        if known is None:
            try:
                known = self._read_role(role_arn)
            except RoleNotFound as exc:
                known = exc
            self._read.put(role_arn, known, generation)
        if isinstance(known, RoleNotFound):
            raise RoleNotFound(*known.args)
        return known

    def _read_role(self, role_arn: str) -> RoleInfo:
        name = role_name(role_arn)
        try:
            role = self._iam.get_role(RoleName=name)["Role"]
            documents: list[Any] = []
            for page in self._iam.get_paginator("list_role_policies").paginate(RoleName=name):
                for policy_name in page.get("PolicyNames", []):
                    got = self._iam.get_role_policy(RoleName=name, PolicyName=policy_name)
                    documents.append(got["PolicyDocument"])
            for page in self._iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
                for attached in page.get("AttachedPolicies", []):
                    policy = self._iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
                    version = self._iam.get_policy_version(
                        PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
                    )
                    documents.append(version["PolicyVersion"]["Document"])
        except ClientError as exc:
            raise RoleNotFound(f"{role_arn}: {exc.response['Error']['Code']}") from exc
        if str(role.get("Arn")) != role_arn:
            raise RoleNotFound(f"{role_arn}: the role with that name has ARN {role.get('Arn')}")
        return RoleInfo(
            arn=role_arn, name=name, role_id=str(role.get("RoleId", "")), policies=tuple(documents)
        )


def caller_arn(creds: IssuedCredentials) -> str:
    return f"arn:aws:sts::{creds.account_id}:assumed-role/{role_name(creds.role_arn)}/{SESSION_NAME}"


def denied_message(creds: IssuedCredentials, resource: str, explicit: bool) -> str:
    """API Gateway's AccessDeniedException text for an IAM-authorized caller."""
    suffix = " with an explicit deny" if explicit else ""
    who = caller_arn(creds)
    return f"User: {who} is not authorized to perform: execute-api:Invoke on resource: {resource}{suffix}"


def identity_fields(creds: IssuedCredentials, role_id: str) -> dict[str, Any]:
    caller = f"{role_id}:{SESSION_NAME}"
    return {
        "cognitoIdentityPoolId": creds.identity_pool_id,
        "accountId": creds.account_id,
        "cognitoIdentityId": creds.identity_id,
        "caller": caller,
        "accessKey": creds.access_key_id,
        "cognitoAuthenticationType": creds.authentication_type,
        "cognitoAuthenticationProvider": creds.authentication_provider or None,
        "userArn": caller_arn(creds),
        "user": caller,
    }


def condition_context(
    creds: IssuedCredentials, role_id: str, source_ip: str, now: datetime
) -> dict[str, Any]:
    # Guest (unauthenticated) credentials must never present the "authenticated" amr: a policy
    # conditioned on it would otherwise grant guests what only signed-in users may do.
    amr = [creds.authentication_type]
    for item in [creds.provider, *(creds.authentication_provider or "").split(",")]:
        if item and item not in amr:
            amr.append(item)
    keys: dict[str, Any] = {
        "aws:SourceIp": source_ip,
        "aws:CurrentTime": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": int(now.timestamp()),
        "aws:SecureTransport": False,  # the local gateway serves plain HTTP
        "aws:PrincipalAccount": creds.account_id,
        "aws:PrincipalArn": creds.role_arn,
        "aws:PrincipalType": "AssumedRole",
        "aws:userid": f"{role_id}:{SESSION_NAME}",
        "aws:RequestedRegion": creds.region,
        "cognito-identity.amazonaws.com:amr": amr,
    }
    if creds.issued_at is not None:
        # Temporary credentials carry their issue time (whole seconds, as IAM's request context has it).
        keys["aws:TokenIssueTime"] = creds.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if creds.identity_pool_id:
        keys["cognito-identity.amazonaws.com:aud"] = creds.identity_pool_id
    if creds.identity_id:
        keys["cognito-identity.amazonaws.com:sub"] = creds.identity_id
    return keys

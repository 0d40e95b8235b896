"""Patches of moto's Cognito identity pools (cognito-identity), applied by `apply_patches()`.

moto dispatches an API action to the method of the same snake_case name on the response class,
so adding `set_identity_pool_roles` / `get_identity_pool_roles` there implements the two actions
Terraform's `aws_cognito_identity_pool_roles_attachment` needs, and replacing `get_id` /
`get_credentials_for_identity` routes them to `local.cognito_identity.federation`; `delete_identities`
(missing in moto) is `local.cognito_identity.identities`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from moto.cognitoidentity import models as identity_models
from moto.cognitoidentity import responses as identity_responses
from moto.core.exceptions import JsonRESTError

from local.cognito_identity import federation, identities
from local.core.errors import AwsError


def _aws_errors(method: Callable[[Any], str]) -> Callable[[Any], str]:
    """Turn AwsError into moto's JSON error response (boto3 then raises ClientError with the code)."""

    @wraps(method)
    def wrapper(self: Any) -> str:
        try:
            return method(self)
        except AwsError as exc:
            raise JsonRESTError(exc.code, exc.message) from exc

    return wrapper


_ID_PATTERN = "[\\w-]+:[0-9a-f-]+"


def _check_id(value: object, member: str) -> str:
    if not isinstance(value, str) or ":" not in value:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {_ID_PATTERN}",
        )
    return value


def _backend_for_pool(self: Any, identity_pool_id: object) -> Any:
    return federation.backend_for(self.current_account, _check_id(identity_pool_id, "identityPoolId"))


@_aws_errors
def set_identity_pool_roles(self: Any) -> str:
    pool_id = self._get_param("IdentityPoolId")
    federation.set_identity_pool_roles(
        _backend_for_pool(self, pool_id), pool_id, self._get_param("Roles"), self._get_param("RoleMappings")
    )
    return "{}"


@_aws_errors
def get_identity_pool_roles(self: Any) -> str:
    pool_id = self._get_param("IdentityPoolId")
    return json.dumps(federation.get_identity_pool_roles(_backend_for_pool(self, pool_id), pool_id))


@_aws_errors
def get_id(self: Any) -> str:
    pool_id = self._get_param("IdentityPoolId")
    identity_id = federation.get_id(
        _backend_for_pool(self, pool_id), self.current_account, pool_id, self._get_param("Logins")
    )
    return json.dumps({"IdentityId": identity_id})


@_aws_errors
def get_credentials_for_identity(self: Any) -> str:
    identity_id = _check_id(self._get_param("IdentityId"), "identityId")
    creds = federation.get_credentials_for_identity(
        federation.backend_for(self.current_account, identity_id),
        self.current_account,
        identity_id,
        self._get_param("Logins"),
        self._get_param("CustomRoleArn"),
    )
    return json.dumps(
        {
            "IdentityId": creds.identity_id,
            "Credentials": {
                "AccessKeyId": creds.access_key_id,
                "SecretKey": creds.secret_key,
                "SessionToken": creds.session_token,
                "Expiration": creds.expiration.timestamp(),
            },
        }
    )


@_aws_errors
def delete_identities(self: Any) -> str:
    unprocessed = identities.delete_identities(self.current_account, self._get_param("IdentityIdsToDelete"))
    return json.dumps({"UnprocessedIdentityIds": unprocessed})


def _wrap_delete_identity_pool(original: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
    @wraps(original)
    def delete_identity_pool(self: Any, identity_pool_id: str) -> None:
        original(self, identity_pool_id)
        federation.forget_pool(self, identity_pool_id)

    return delete_identity_pool


def _install(target: Any, name: str, value: Any) -> None:
    setattr(target, name, value)


def apply() -> None:
    """Install the patches above (called once, from `local.emulator.apply_patches`)."""
    response_cls = identity_responses.CognitoIdentityResponse
    _install(response_cls, "set_identity_pool_roles", set_identity_pool_roles)
    _install(response_cls, "get_identity_pool_roles", get_identity_pool_roles)
    _install(response_cls, "get_id", get_id)
    _install(response_cls, "get_credentials_for_identity", get_credentials_for_identity)
    _install(response_cls, "delete_identities", delete_identities)
    backend_cls = identity_models.CognitoIdentityBackend
    _install(
        backend_cls, "delete_identity_pool", _wrap_delete_identity_pool(backend_cls.delete_identity_pool)
    )

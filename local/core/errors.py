"""AWS-shaped errors raised by the emulator's own logic.

The pure modules (role mapping, token checks) raise `AwsError` with the AWS error code and message
the real service uses; the moto patches turn it into moto's JSON error response, so boto3 callers
see `ClientError` with that code, exactly as against AWS.
"""

from __future__ import annotations


class AwsError(Exception):
    """An error a real AWS API would answer with: `code` is the `__type` boto3 reports."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def not_authorized(message: str) -> AwsError:
    return AwsError("NotAuthorizedException", message)


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def resource_not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message)


def resource_conflict(message: str) -> AwsError:
    return AwsError("ResourceConflictException", message)


#: Cognito's message when STS would refuse the role (bad trust policy, missing role): documented on
#: GetCredentialsForIdentity as InvalidIdentityPoolConfigurationException.
INVALID_POOL_CONFIGURATION = "Invalid identity pool configuration. Check assigned IAM roles for this pool."


def invalid_pool_configuration() -> AwsError:
    return AwsError("InvalidIdentityPoolConfigurationException", INVALID_POOL_CONFIGURATION)

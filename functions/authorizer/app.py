"""Lambda entry point of the TOKEN (or REQUEST) authorizer: `app.handler`.

Thin on purpose: it builds the Authorizer once per container (settings, the JWKS client and the
policy cache live as long as the container; the DynamoDB client is created on the first cache miss)
and maps the outcome to what API Gateway understands: a policy dict, or `Exception("Unauthorized")`,
which API Gateway turns into 401. Nothing else ever escapes, so a bad token never becomes a 500.

Runtime: python3.12. botocore comes from the Lambda runtime and is not vendored; cryptography is
vendored for the function's architecture by `make build` (see tools/build_lambda.py). PyJWT is not
used at run time (authz/jwks.py says why).

Cold start: the client is botocore's, created directly: boto3 adds nothing this function uses (its
`client()` is a call to botocore's `Session.create_client`) and importing it measured ~15-25 ms of
the cold start on top of botocore (docs/benchmarks.md has the cold-start figures).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from authz.decide import Authorizer
from authz.errors import ConfigError, Unauthorized
from authz.logs import get_logger, log
from authz.policies import PolicyStore
from authz.revocation import RevocationStore
from authz.settings import Settings
from authz.verify import TokenVerifier
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# DynamoDB calls must fail fast: a slow table should become a Deny, not a hung request, and the
# decision must finish well inside the function's own timeout (10 s in terraform/stack/functions.tf;
# a killed function gives API Gateway a 500 and leaves no decision log line). Attempts include the
# first request: botocore's `total_max_attempts` (its `max_attempts` counts retries only, which
# made 3 calls of up to 2 s each here).
DYNAMODB_CONNECT_TIMEOUT_SECONDS = 2
DYNAMODB_READ_TIMEOUT_SECONDS = 2
DYNAMODB_MAX_ATTEMPTS = 2
# The revocation record is read before the policy (authz/revocation.py), so its worst case adds to
# the policy read's: a client of its own with shorter timeouts keeps both inside the function's
# timeout (10 s: at most ~3 s here, including botocore's retry backoff, plus ~5 s for the policy).
REVOCATION_CONNECT_TIMEOUT_SECONDS = 1
REVOCATION_READ_TIMEOUT_SECONDS = 1
REVOCATION_MAX_ATTEMPTS = 2

_authorizer: Authorizer | None = None
# One botocore session per container for both clients: a second client from the same session reuses
# its loaded service model and credentials (~10 ms), one from a new session costs a whole client
# creation again (~as much as the first; docs/benchmarks.md, cold start).
_session: botocore.session.Session | None = None


def _botocore_session() -> botocore.session.Session:
    global _session  # noqa: PLW0603 - per container, like _authorizer
    if _session is None:
        _session = botocore.session.get_session()
    return _session


def dynamodb_client(
    connect_timeout: float = DYNAMODB_CONNECT_TIMEOUT_SECONDS,
    read_timeout: float = DYNAMODB_READ_TIMEOUT_SECONDS,
    attempts: int = DYNAMODB_MAX_ATTEMPTS,
) -> DynamoDBClient:
    """Region from the runtime (AWS_REGION); endpoint overridable with AWS_ENDPOINT_URL (emulator)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    client = _botocore_session().create_client(
        "dynamodb",
        region_name=region,
        config=Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"total_max_attempts": attempts, "mode": "standard"},
        ),
    )
    return cast("DynamoDBClient", client)


def revocation_client() -> DynamoDBClient:
    """The revocation store's client: `dynamodb_client` with the revocation read's tighter bounds."""
    return dynamodb_client(
        REVOCATION_CONNECT_TIMEOUT_SECONDS, REVOCATION_READ_TIMEOUT_SECONDS, REVOCATION_MAX_ATTEMPTS
    )


def build_authorizer(env: dict[str, str] | None = None) -> Authorizer:
    settings = Settings.from_env(os.environ if env is None else env)
    logger = get_logger(settings.log_level)
    store = PolicyStore(settings.policy_table, settings.policy_cache_ttl, dynamodb_client)
    # Looked up when first needed (not bound here), like dynamodb_client: tests swap the factory.
    revocations = RevocationStore(
        settings.revocation_table,
        settings.revocation_check_ttl,
        lambda: revocation_client(),  # noqa: PLW0108
    )
    return Authorizer(TokenVerifier(settings), store, logger, revocations=revocations)


def get_authorizer() -> Authorizer:
    global _authorizer  # noqa: PLW0603 - the per-container cache is the point
    if _authorizer is None:
        _authorizer = build_authorizer()
    return _authorizer


def reset() -> None:
    """Forget the container's state (tests, and the benchmark's cold runs)."""
    global _authorizer, _session  # noqa: PLW0603
    _authorizer = None
    _session = None


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request_id = str(getattr(context, "aws_request_id", "") or "")
    try:
        authorizer = get_authorizer()
    except ConfigError as exc:
        log(get_logger(), logging.ERROR, "authorizer misconfigured", error=str(exc), request_id=request_id)
        raise Exception("Unauthorized") from None  # API Gateway matches this exact message
    except Exception as exc:  # any other init failure: still the 401 signal, never a 500
        log(
            get_logger(),
            logging.ERROR,
            "authorizer init failure",
            error=type(exc).__name__,
            request_id=request_id,
        )
        raise Exception("Unauthorized") from None
    try:
        response: dict[str, Any] = authorizer.authorize(event, request_id)
    except Unauthorized:
        raise Exception("Unauthorized") from None
    except Exception as exc:  # authorize() never raises anything else; belt and braces
        log(
            get_logger(), logging.ERROR, "authorizer failure", error=type(exc).__name__, request_id=request_id
        )
        raise Exception("Unauthorized") from None
    return response

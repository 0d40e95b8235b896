"""The records table: one boto3 client per container, created on first use, plus (de)serialisers.

Contract: TABLE_NAME names the table (`pk` S hash key, `sk` S range key); the region is the runtime's
(AWS_REGION); AWS_ENDPOINT_URL, when set, points boto3 at the emulator. No request path scans.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
# Attempts including the first request (botocore's `total_max_attempts`; its `max_attempts` counts
# retries only).
MAX_ATTEMPTS = 3

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_client: DynamoDBClient | None = None


class ConfigError(RuntimeError):
    """TABLE_NAME is missing: every request answers 500 and the log says why."""


@dataclass(frozen=True)
class Table:
    client: DynamoDBClient
    name: str


def table() -> Table:
    global _client  # noqa: PLW0603 - the per-container client is the point
    name = os.environ.get("TABLE_NAME", "").strip()
    if not name:
        raise ConfigError("TABLE_NAME is not set")
    if _client is None:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        _client = boto3.client(
            "dynamodb",
            region_name=region,
            config=Config(
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            ),
        )
    return Table(_client, name)


def reset() -> None:
    """Forget the cached client (tests switch between moto contexts)."""
    global _client  # noqa: PLW0603
    _client = None


def to_attrs(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}

"""The pet store behind `pets` (scenario S4): a fixed catalogue plus pets created through the API.

Catalogue: the three pets of API Gateway's PetStore sample (ids 1-3), read-only. Created pets live in
the records table under `pk = "pets"`, `sk = <id>` and are read with Query/GetItem (never Scan),
one bounded page at a time.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError

from backend_core.http import ApiError
from backend_core.store import Table, from_item, to_attrs

PK = "pets"
CATALOGUE: tuple[dict[str, Any], ...] = (
    {"id": "1", "type": "dog", "price": Decimal("249.99")},
    {"id": "2", "type": "cat", "price": Decimal("124.99")},
    {"id": "3", "type": "fish", "price": Decimal("0.99")},
)
DEFAULT_PAGE = 25
MAX_PAGE = 100
MAX_PRICE = Decimal("100000")
_PET_TYPE = re.compile(r"^[a-z][a-z -]{0,39}$")
_PET_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
PUBLIC_ATTRIBUTES = ("id", "type", "price", "created_at")


@dataclass(frozen=True)
class PetInput:
    type: str
    price: Decimal


def validate(body: dict[str, Any]) -> PetInput:
    unknown = sorted(set(body) - {"type", "price"})
    problems = [f"field(s) not accepted: {', '.join(unknown)}"] if unknown else []
    pet_type = body.get("type")
    if not isinstance(pet_type, str) or not _PET_TYPE.match(pet_type.strip().lower()):
        problems.append("type is required: lower-case letters, 1-40 characters (e.g. dog)")
    price = body.get("price")
    parsed: Decimal | None = None
    if isinstance(price, int | float) and not isinstance(price, bool):
        try:
            parsed = Decimal(str(price))
        except InvalidOperation:
            parsed = None
    if parsed is None or not parsed.is_finite() or not Decimal(0) <= parsed <= MAX_PRICE:
        problems.append(f"price is required: a number from 0 to {MAX_PRICE}")
    if problems:
        raise ApiError(400, "; ".join(problems))
    assert isinstance(pet_type, str)  # narrowed by the checks above
    assert parsed is not None
    return PetInput(pet_type.strip().lower(), parsed.quantize(Decimal("0.01")))


def check_id(pet_id: str | None) -> str:
    if pet_id is None or not _PET_ID.match(pet_id):
        raise ApiError(400, "the pet id must be 1-64 letters, digits or dashes")
    return pet_id


def catalogue_pet(pet_id: str) -> dict[str, Any] | None:
    return next((dict(p) for p in CATALOGUE if p["id"] == pet_id), None)


def _view(item: dict[str, Any]) -> dict[str, Any]:
    data = from_item(item)
    data["id"] = data.get("sk")
    return {k: data[k] for k in PUBLIC_ATTRIBUTES if k in data}


def _encode_next(key: dict[str, Any]) -> str:
    sk = from_item(key).get("sk", "")
    return base64.urlsafe_b64encode(json.dumps({"sk": sk}).encode()).decode().rstrip("=")


def _decode_next(token: str) -> dict[str, Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        sk = json.loads(base64.urlsafe_b64decode(padded.encode()))["sk"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ApiError(400, "the `next` token is not one this API issued") from None
    if not isinstance(sk, str) or not _PET_ID.match(sk):
        raise ApiError(400, "the `next` token is not one this API issued")
    return to_attrs({"pk": PK, "sk": sk})


def list_stored(table: Table, limit: int, next_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    request: dict[str, Any] = {
        "TableName": table.name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": to_attrs({":pk": PK}),
        "Limit": limit,
    }
    if next_token:
        request["ExclusiveStartKey"] = _decode_next(next_token)
    response = table.client.query(**request)
    items = [_view(i) for i in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return items, _encode_next(last) if last else None


def get_pet(table: Table, pet_id: str) -> dict[str, Any] | None:
    found = catalogue_pet(pet_id)
    if found is not None:
        return found
    response = table.client.get_item(TableName=table.name, Key=to_attrs({"pk": PK, "sk": pet_id}))
    item = response.get("Item")
    return _view(item) if item else None


def create_pet(table: Table, data: PetInput, created_by: str) -> dict[str, Any]:
    pet_id = uuid.uuid4().hex
    item = {
        "pk": PK,
        "sk": pet_id,
        "type": data.type,
        "price": data.price,
        "created_by": created_by,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    table.client.put_item(
        TableName=table.name, Item=to_attrs(item), ConditionExpression="attribute_not_exists(pk)"
    )
    return _view(to_attrs(item))


def update_pet(table: Table, pet_id: str, data: PetInput) -> dict[str, Any]:
    if catalogue_pet(pet_id) is not None:
        raise ApiError(409, "catalogue pets (ids 1-3) are read-only")
    try:
        response = table.client.update_item(
            TableName=table.name,
            Key=to_attrs({"pk": PK, "sk": pet_id}),
            UpdateExpression="SET #type = :type, price = :price",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues=to_attrs({":type": data.type, ":price": data.price}),
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise ApiError(404, f"no pet with id {pet_id}") from None
        raise
    return _view(response["Attributes"])


def delete_pet(table: Table, pet_id: str) -> None:
    if catalogue_pet(pet_id) is not None:
        raise ApiError(409, "catalogue pets (ids 1-3) are read-only")
    try:
        table.client.delete_item(
            TableName=table.name,
            Key=to_attrs({"pk": PK, "sk": pet_id}),
            ConditionExpression="attribute_exists(pk)",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise ApiError(404, f"no pet with id {pet_id}") from None
        raise

"""Lambda entry point `pets.handler`: the pet store of scenario S4 (lambda-authorizer routes).

- /petstore/v1/pets: GET -> 200 `{"pets": [catalogue + a page of created pets], "next": token|null}`
  (`?limit=`, `?next=`); POST `{"type", "price"}` -> 200 `{"pet": ..., "message": "success"}` (the
  PetStore sample's contract).
- /petstore/v1/pets/{id}: GET -> 200 `{"pet"}`; PUT -> 200 updated pet; DELETE -> 200
  `{"deleted": id}`; 404 unknown id; 409 for the read-only catalogue ids.
- /petstore/v2/status: GET -> 200 `{"status": "ok", "version": "v2"}`.
- /petstore/v2/pets: GET -> 200 `{"version": "v2", "pets": [...], "count": n, "next": ...}`.
- /partner/pets (user_pool, scope `api/pets.read`: what a partner's machine client reads): GET -> 200
  `{"pets": [...], "count": n, "next": ...}`, the same catalogue read-only.

Other verbs on a known resource answer 405 with an `Allow` header. Which groups may call what is
decided before this code runs (the authorizer's policy, evaluated by API Gateway).
"""

from __future__ import annotations

from typing import Any

from backend_core import http, pet_records, store
from backend_core.identity import caller_from_event

V1_PETS = "/petstore/v1/pets"
V1_PET = "/petstore/v1/pets/{id}"
V2_STATUS = "/petstore/v2/status"
V2_PETS = "/petstore/v2/pets"
PARTNER_PETS = "/partner/pets"


def _all_pets(event: http.Event) -> tuple[list[dict[str, Any]], str | None]:
    limit = http.parse_limit(
        http.query_param(event, "limit"), default=pet_records.DEFAULT_PAGE, maximum=pet_records.MAX_PAGE
    )
    next_token = http.query_param(event, "next")
    stored, following = pet_records.list_stored(store.table(), limit, next_token)
    first_page = [dict(p) for p in pet_records.CATALOGUE] if not next_token else []
    return first_page + stored, following


def _v1_pets(event: http.Event, method: str) -> tuple[int, object]:
    if method == "GET":
        pets, following = _all_pets(event)
        return 200, {"pets": pets, "next": following}
    if method == "POST":
        data = pet_records.validate(http.json_body(event))
        caller = caller_from_event(event)
        return 200, {"pet": pet_records.create_pet(store.table(), data, caller.pk), "message": "success"}
    raise http.method_not_allowed(["GET", "POST"])


def _v1_pet(event: http.Event, method: str) -> tuple[int, object]:
    pet_id = pet_records.check_id(http.path_param(event, "id"))
    if method == "GET":
        pet = pet_records.get_pet(store.table(), pet_id)
        if pet is None:
            raise http.ApiError(404, f"no pet with id {pet_id}")
        return 200, {"pet": pet}
    if method == "PUT":
        data = pet_records.validate(http.json_body(event))
        return 200, {"pet": pet_records.update_pet(store.table(), pet_id, data)}
    if method == "DELETE":
        pet_records.delete_pet(store.table(), pet_id)
        return 200, {"deleted": pet_id}
    raise http.method_not_allowed(["GET", "PUT", "DELETE"])


def _v2_status(event: http.Event, method: str) -> tuple[int, object]:
    if method != "GET":
        raise http.method_not_allowed(["GET"])
    return 200, {"status": "ok", "version": "v2"}


def _v2_pets(event: http.Event, method: str) -> tuple[int, object]:
    if method != "GET":
        raise http.method_not_allowed(["GET"])
    pets, following = _all_pets(event)
    return 200, {"version": "v2", "pets": pets, "count": len(pets), "next": following}


def _partner_pets(event: http.Event, method: str) -> tuple[int, object]:
    if method != "GET":
        raise http.method_not_allowed(["GET"])
    pets, following = _all_pets(event)
    return 200, {"pets": pets, "count": len(pets), "next": following}


ROUTES = {
    V1_PETS: _v1_pets,
    V1_PET: _v1_pet,
    V2_STATUS: _v2_status,
    V2_PETS: _v2_pets,
    PARTNER_PETS: _partner_pets,
}


def route(event: http.Event) -> tuple[int, object]:
    resource = str(event.get("resource") or "")
    serve = ROUTES.get(resource)
    if serve is None:
        raise http.ApiError(404, f"no such resource: {resource or '(none)'}")
    return serve(event, str(event.get("httpMethod", "")).upper())


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return http.run("pets", event, context, route)

"""Lambda entry point `profiles.handler`: the caller's own profile (scenarios S1, S2, S3, S7).

Serves `/cip`, `/google` (iam mode), `/cup` (user_pool mode) and any other profile route the env
config maps to this handler: GET returns `{"profile": <the caller's record or null>}`, POST creates
or updates it (200 with `{"profile": ...}`; 400 invalid body, 409 stale `version`). A route whose
resource ends in `/email` (e.g. `/cup/email`, scope-protected) answers GET `{"email": ...}`: the
stored profile's email, else the token's email only when it is verified, else null.
The record key comes only from the verified request context (backend_core.identity).

Runtime: python3.12; boto3 comes from the Lambda runtime (nothing is vendored for the backend).
"""

from __future__ import annotations

from typing import Any

from backend_core import http, profile_records, store
from backend_core.identity import caller_from_event


def route(event: http.Event) -> tuple[int, object]:
    caller = caller_from_event(event)
    method = str(event.get("httpMethod", "")).upper()
    resource = str(event.get("resource") or event.get("path") or "")
    if resource.rstrip("/").endswith("/email"):
        if method != "GET":
            raise http.method_not_allowed(["GET"])
        profile = profile_records.get_profile(store.table(), caller)
        email = (profile or {}).get("email") or caller.verified_email
        return 200, {"email": email}
    if method == "GET":
        return 200, {"profile": profile_records.get_profile(store.table(), caller)}
    if method == "POST":
        data = profile_records.validate(http.json_body(event), caller)
        return 200, {"profile": profile_records.put_profile(store.table(), caller, data)}
    raise http.method_not_allowed(["GET", "POST"])


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return http.run("profiles", event, context, route)

"""DeleteIdentities: remove identities from their identity pool (moto has no such action).

Cognito's contract (API reference, DeleteIdentities): 1-60 identity ids, each 1-55 characters
matching `[\\w-]+:[0-9a-f-]+`; the caller needs AWS developer credentials; the answer lists the
ids it could not process (`UnprocessedIdentityIds`, each with an `ErrorCode`). A deleted identity
is gone from ListIdentities and from its logins: the same login later gets a new identity id.

The emulator processes every well-formed id. An id it does not know is reported as processed
(nothing of it remains, which is what the caller asks for); AWS documents no error for that case.
Credentials issued to a deleted identity stay valid until they expire, as on AWS.
"""

from __future__ import annotations

import re
from typing import Any

from local.cognito_identity.federation import backend_for, state_of
from local.core.errors import AwsError, validation_error
from local.core.web import log_decision

MAX_IDS = 60
MAX_ID_LENGTH = 55
_ID = re.compile(r"^[\w-]+:[0-9a-f-]+$")
_MEMBER = "identityIdsToDelete"


def _check(identity_ids: object) -> list[str]:
    if not isinstance(identity_ids, list) or not identity_ids:
        raise validation_error(
            f"1 validation error detected: Value at '{_MEMBER}' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    if len(identity_ids) > MAX_IDS:
        raise validation_error(
            f"1 validation error detected: Value at '{_MEMBER}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_IDS}"
        )
    for value in identity_ids:
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_LENGTH or not _ID.match(value):
            raise validation_error(
                f"1 validation error detected: Value '{value}' at '{_MEMBER}' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"
            )
    return list(identity_ids)


def _forget(backend: Any, identity_id: str) -> bool:
    """Remove one identity from the federation state and moto's listing; False if unknown."""
    state = state_of(backend)
    with state.lock:
        record = state.identities.pop(identity_id, None)
        if record is None:
            return False
        for provider, sub in record.logins.items():
            key = (record.identity_pool_id, provider, sub)
            if state.login_index.get(key) == identity_id:
                del state.login_index[key]
        listing = backend.pools_identities.get(record.identity_pool_id, {}).get("Identities", [])
        listing[:] = [entry for entry in listing if entry.get("IdentityId") != identity_id]
    return True


def delete_identities(account_id: str, identity_ids: object) -> list[dict[str, str]]:
    """DeleteIdentities; returns UnprocessedIdentityIds (empty: every well-formed id is processed)."""
    ids = _check(identity_ids)
    deleted = []
    for identity_id in ids:
        try:
            backend = backend_for(account_id, identity_id)
        except AwsError:
            continue  # a region the emulator never saw: nothing of it exists
        if _forget(backend, identity_id):
            deleted.append(identity_id)
    log_decision("identity.delete", outcome="deleted", requested=len(ids), deleted=deleted)
    return []

"""The Cognito admin calls CloudTrail records for EventBridge (`local.events.cloudtrail`), emitted by
the emulator after each successful call of RECORDED; installed by `apply()`.

The user's `sub` is read before the call runs (AdminDeleteUser removes the user), the caller's
access key from the request's SigV4 `Authorization` header. A call that fails raises before
anything is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from moto.cognitoidp import responses as idp_responses
from moto.core.responses import ActionResult

from local.events import cloudtrail


def _sub_of(backend: Any, user_pool_id: str, username: str) -> str | None:
    try:
        return str(backend.admin_get_user(user_pool_id, username).id)
    except Exception:
        return None


def _wrap(event_name: str, original: Callable[[Any], ActionResult]) -> Callable[[Any], ActionResult]:
    @wraps(original)
    def action(self: Any) -> ActionResult:
        pool_id = self._get_param("UserPoolId")
        sub = _sub_of(self.backend, pool_id, self._get_param("Username"))
        result = original(self)
        if sub is not None:
            parameters: dict[str, Any] = {"userPoolId": pool_id, "username": cloudtrail.HIDDEN}
            if self._get_param("GroupName") is not None:
                parameters["groupName"] = self._get_param("GroupName")
            event = cloudtrail.api_call_event(
                account_id=self.current_account,
                region=self.region,
                event_name=event_name,
                request_parameters=parameters,
                sub=sub,
                access_key_id=cloudtrail.access_key_of(self.headers.get("Authorization")),
                user_agent=self.headers.get("User-Agent"),
            )
            cloudtrail.record_call(self.current_account, self.region, event)
        return result

    return action


def apply() -> None:
    """Install the wrappers (called once, from `local.cognito_idp.patches.apply`)."""
    response_cls = idp_responses.CognitoIdpResponse
    for event_name in cloudtrail.RECORDED:
        method = "".join("_" + c.lower() if c.isupper() else c for c in event_name).lstrip("_")
        setattr(response_cls, method, _wrap(event_name, getattr(response_cls, method)))

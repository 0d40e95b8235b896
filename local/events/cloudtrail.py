"""CloudTrail's "AWS API Call via CloudTrail" events for the emulator's Cognito admin calls.

What AWS documents, and so what is emulated:
- EventBridge receives these events only while a CloudTrail trail with logging on records the
  account's management events ("To record events with a detail-type value of AWS API Call via
  CloudTrail, a CloudTrail trail with logging enabled is required", EventBridge User Guide). Here:
  a trail of moto's CloudTrail in the region (or a multi-region one), logging, whose event
  selectors include write management events; otherwise no event, as on AWS;
- "Amazon Cognito records UserSub but not UserName in CloudTrail logs for requests that are
  specific to a user" (Cognito Developer Guide): the user's `sub` is in `additionalEventData`, the
  user name in `requestParameters` is hidden (`HIDDEN_DUE_TO_SECURITY_REASONS`, CloudTrail's
  marker for a parameter it does not record);
- the event goes to the account's default event bus, `source` aws.cognito-idp, `detail` the
  CloudTrail record (eventTime to the second).

Only successful calls of the actions in RECORDED are emitted (the product's rule asks for
successful calls only); AWS also records failed calls, with an errorCode. Delivery happens at once
where AWS takes minutes (CloudTrail: "typically ... within an average of about 5 minutes").
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from local.events import delivery

logger = logging.getLogger(__name__)

RECORDED = (
    "AdminUserGlobalSignOut",
    "AdminDisableUser",
    "AdminDeleteUser",
    "AdminRemoveUserFromGroup",
    "AdminAddUserToGroup",
)
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")


def trail_records_management_writes(account_id: str, region: str) -> bool:
    """Is there a logging trail in `region` (or a multi-region one) that records write
    management events? Unknown selector shapes count as no (never emit what AWS would not)."""
    from moto.cloudtrail.models import cloudtrail_backends  # noqa: PLC0415 - moto is heavy

    for backend in cloudtrail_backends[account_id].values():
        for trail in backend.trails.values():
            if not trail.status.is_logging:
                continue
            if trail.region_name != region and not trail.is_multi_region:
                continue
            if _records_management_writes(trail):
                return True
    return False


def _records_management_writes(trail: Any) -> bool:
    advanced = trail.advanced_event_selectors
    if advanced:
        for selector in advanced:
            fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
            category = fields.get("eventCategory", {}).get("Equals", [])
            read_only = fields.get("readOnly", {}).get("Equals", [])
            if "Management" in category and "true" not in read_only:
                return True
        return False
    selectors = trail.event_selectors
    if not selectors:
        return True  # a trail without selectors logs every management event (CloudTrail's default)
    return any(
        s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") in ("All", "WriteOnly")
        for s in selectors
    )


def access_key_of(authorization: str | None) -> str | None:
    match = _CREDENTIAL.search(authorization or "")
    return match.group(1) if match else None


def api_call_event(
    *,
    account_id: str,
    region: str,
    event_name: str,
    request_parameters: dict[str, Any],
    sub: str,
    access_key_id: str | None,
    user_agent: str | None,
    when: datetime | None = None,
) -> dict[str, Any]:
    """The EventBridge event of one successful Cognito user-pool API call (see the module docstring)."""
    moment = (when or datetime.now(UTC)).replace(microsecond=0)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": access_key_id or "local",
            "accountId": account_id,
            "accessKeyId": access_key_id or "",
        },
        "eventTime": stamp,
        "eventSource": "cognito-idp.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "127.0.0.1",
        "userAgent": user_agent or "",
        "requestParameters": request_parameters,
        "responseElements": None,
        "additionalEventData": {"sub": sub},
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.cognito-idp",
        "account": account_id,
        "time": stamp,
        "region": region,
        "resources": [],
        "detail": record,
    }


def record_call(account_id: str, region: str, event: dict[str, Any]) -> bool:
    """Send `event` to the default bus if a trail records it; whether it was sent."""
    if not trail_records_management_writes(account_id, region):
        logger.info("cloudtrail: %s not recorded (no logging trail)", event["detail"]["eventName"])
        return False
    delivery.publish(account_id, region, event)
    return True

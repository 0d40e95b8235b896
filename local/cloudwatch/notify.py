"""What an alarm sends to its SNS topics when its state changes: CloudWatch's alarm notification.

The message is the JSON document CloudWatch publishes to SNS for a state change (AlarmName,
AlarmDescription, AWSAccountId, NewStateValue, NewStateReason, StateChangeTime, Region, AlarmArn,
OldStateValue, the three action lists, and `Trigger` for a metric alarm or `AlarmRule` for a
composite one), with the subject `ALARM: "<name>" in <region name>`. Only SNS topic actions are
carried out; an alarm's other actions (Auto Scaling, EC2, Systems Manager) are not emulated.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

#: CloudWatch names the region in words in the subject and the message.
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}
SUBJECT_LIMIT = 100  # SNS refuses longer subjects


def _time(value: datetime | None) -> str:
    stamp = (value or datetime.now(UTC)).astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+0000"


def message(alarm: Any, account_id: str, region: str, old_state: str) -> dict[str, Any]:
    """The notification document for `alarm` (a moto Alarm) having moved from `old_state`."""
    document: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": _time(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _time(alarm.state_updated_timestamp),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
    }
    if alarm.rule is not None:
        document["AlarmRule"] = alarm.rule
        return document
    document["Trigger"] = {
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
        "Statistic": (alarm.statistic or "").upper() or None,
        "ExtendedStatistic": alarm.extended_statistic,
        "Unit": alarm.unit,
        "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": alarm.threshold,
        "TreatMissingData": alarm.treat_missing_data,
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
    }
    return document


def actions_for(alarm: Any) -> list[str]:
    """The actions of the state the alarm is in now."""
    return list(
        {
            "ALARM": alarm.alarm_actions,
            "OK": alarm.ok_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
        }[alarm.state_value]
        or []
    )


def publish(alarm: Any, account_id: str, region: str, old_state: str) -> list[str]:
    """Publish the notification to each SNS topic among the new state's actions (when the alarm's
    actions are enabled); returns the topics notified. A topic that no longer exists is skipped, as
    CloudWatch records a failed action and moves on."""
    if not alarm.actions_enabled:
        return []
    from moto.sns.exceptions import SNSNotFoundError  # noqa: PLC0415 - moto only when publishing
    from moto.sns.models import sns_backends  # noqa: PLC0415

    body = json.dumps(message(alarm, account_id, region, old_state))
    subject = f'{alarm.state_value}: "{alarm.name}" in {REGION_NAMES.get(region, region)}'
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 3] + "..."
    notified = []
    for arn in actions_for(alarm):
        parts = arn.split(":")
        if len(parts) != 6 or parts[2] != "sns":
            continue
        try:
            sns_backends[parts[4]][parts[3]].publish(body, arn=arn, subject=subject)
        except SNSNotFoundError:
            logger.warning("alarm %s: topic %s does not exist; action skipped", alarm.name, arn)
            continue
        notified.append(arn)
    return notified

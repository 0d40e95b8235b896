"""Patches of moto's CloudWatch, applied by `local.emulator.apply_patches()`.

- PutCompositeAlarm (moto has none): the rule parsed as CloudWatch does (`local.cloudwatch.rules`),
  every alarm it names must exist ("Could not save the composite alarm as alarms [...] in the alarm
  rule do not exist"), at most 5 actions per state, description up to 1024 characters; an update
  overwrites the configuration and keeps the state. The new alarm's state is its rule evaluated
  against its children's states. Actions suppression (ActionsSuppressor*) is refused rather than
  ignored.
- DescribeAlarms honours AlarmTypes (without it only metric alarms are listed, as on AWS; moto
  listed composite alarms too), ChildrenOfAlarmName and ParentsOfAlarmName.
- SetAlarmState carries out the alarm's actions when the state changes: the CloudWatch notification
  is published to each SNS topic among the new state's actions (`local.cloudwatch.notify`; moto
  only recorded the state). Composite alarms whose rule names the alarm are evaluated again, and
  notify in turn when their state changes.
- DeleteAlarms refuses to delete an alarm a composite alarm's rule still names (unless that
  composite is deleted in the same call), as CloudWatch does; nothing is deleted then.

Alarms are never evaluated against metric data here: a metric alarm changes state only through
SetAlarmState (the alarm-to-topic drill in tests/e2e uses exactly that).
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch import responses as cw_responses
from moto.cloudwatch.exceptions import ValidationError
from moto.core.responses import ActionResult, EmptyResult

from local.cloudwatch import notify
from local.cloudwatch.rules import RuleError, parse_rule

MAX_ACTIONS = 5
MAX_DESCRIPTION = 1024


def _backend(response: Any) -> Any:
    return response.cloudwatch_backend


def _name_of(reference: str, backend: Any) -> str:
    """An alarm rule names an alarm by name or by ARN (of this account and region)."""
    if not reference.startswith("arn:"):
        return reference
    parts = reference.split(":", 6)
    if len(parts) != 7 or parts[2] != "cloudwatch" or parts[5] != "alarm":
        raise ValidationError(f"Error in AlarmRule [{reference} is not an alarm name or alarm ARN]")
    if parts[3] != backend.region_name or parts[4] != backend.account_id:
        raise ValidationError(
            f"Error in AlarmRule [{reference}: a composite alarm can only name alarms of its own "
            "account and region]"
        )
    return parts[6]


def _children(alarm: Any, backend: Any) -> list[str]:
    return [_name_of(name, backend) for name in parse_rule(alarm.rule).children]


def _state_of(backend: Any) -> Any:
    def state(reference: str) -> str:
        alarm = backend.alarms.get(_name_of(reference, backend))
        return "INSUFFICIENT_DATA" if alarm is None else str(alarm.state_value)

    return state


def _evaluated_state(alarm: Any, backend: Any) -> str:
    return "ALARM" if parse_rule(alarm.rule).evaluate(_state_of(backend)) else "OK"


def _after_change(backend: Any, alarm: Any, old: str, seen: set[str]) -> None:
    """`alarm` left state `old`: notify its topics, then re-evaluate the composite alarms that name
    it (each at most once per original change, so a cycle of composites terminates)."""
    notify.publish(alarm, backend.account_id, backend.region_name, old)
    seen.add(alarm.name)
    for parent in list(backend.alarms.values()):
        if parent.rule is None or parent.name in seen or alarm.name not in _children(parent, backend):
            continue
        new = _evaluated_state(parent, backend)
        if new != parent.state_value:
            before = parent.state_value
            parent.update_state(
                f"{alarm.name} transitioned to {alarm.state_value}: the alarm rule now evaluates to "
                f"{str(new == 'ALARM').lower()}",
                "{}",
                new,
            )
            _after_change(backend, parent, before, seen)


# --- API ---------------------------------------------------------------------------------------


def _actions(response: Any, name: str) -> list[str]:
    actions = response._get_param(name, []) or []
    if len(actions) > MAX_ACTIONS:
        raise ValidationError(f"The collection {name} must not have a size greater than {MAX_ACTIONS}.")
    for arn in actions:
        if not isinstance(arn, str) or not arn.startswith("arn:") or len(arn) > 1024:
            raise ValidationError(f"Invalid arn syntax: {arn}")
    return list(actions)


def put_composite_alarm(self: Any) -> ActionResult:
    backend = _backend(self)
    name = self._get_param("AlarmName")
    text = self._get_param("AlarmRule")
    if not name or len(name) > 255:
        raise ValidationError("AlarmName must be 1 to 255 characters long")
    if not text:
        raise ValidationError("AlarmRule is required")
    for unsupported in (
        "ActionsSuppressor",
        "ActionsSuppressorWaitPeriod",
        "ActionsSuppressorExtensionPeriod",
    ):
        if self._get_param(unsupported) is not None:
            raise ValidationError(
                f"{unsupported}: actions suppression is not emulated; leave it unset locally"
            )
    description = self._get_param("AlarmDescription") or ""
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(f"AlarmDescription must be at most {MAX_DESCRIPTION} characters long")
    try:
        rule = parse_rule(text)
    except RuleError as exc:
        raise ValidationError(str(exc)) from None
    missing = sorted({n for n in (_name_of(c, backend) for c in rule.children) if n not in backend.alarms})
    if missing:
        raise ValidationError(
            f"Could not save the composite alarm as alarms [{', '.join(missing)}] in the alarm rule "
            "do not exist"
        )
    existing = backend.alarms.get(name)
    if existing is not None and existing.rule is None:
        raise ValidationError(f"{name} is a metric alarm: a composite alarm cannot replace it")
    alarm = backend.put_metric_alarm(
        name=name,
        namespace=None,
        metric_name=None,
        comparison_operator=None,
        evaluation_periods=None,
        period=None,
        threshold=None,
        statistic=None,
        description=description,
        dimensions=[],
        alarm_actions=_actions(self, "AlarmActions"),
        ok_actions=_actions(self, "OKActions"),
        insufficient_data_actions=_actions(self, "InsufficientDataActions"),
        actions_enabled=self._get_bool_param("ActionsEnabled", True),
        rule=text,
        tags=self._get_param("Tags", []),
    )
    if existing is not None:  # an update keeps the state
        alarm.state_value, alarm.state_reason = existing.state_value, existing.state_reason
        alarm.state_reason_data = existing.state_reason_data
        alarm.state_updated_timestamp, alarm.history = existing.state_updated_timestamp, existing.history
    else:
        state = _evaluated_state(alarm, backend)
        alarm.update_state(f"Initial evaluation of the alarm rule: {state == 'ALARM'}", "{}", state)
    return EmptyResult()


def _filtered(self: Any, alarms: list[Any]) -> list[Any]:
    backend = _backend(self)
    types = self._get_param("AlarmTypes", []) or ["MetricAlarm"]
    for kind in types:
        if kind not in ("MetricAlarm", "CompositeAlarm"):
            raise ValidationError(f"AlarmTypes: {kind!r} is not one of [CompositeAlarm, MetricAlarm]")
    kept = [a for a in alarms if ("CompositeAlarm" if a.rule is not None else "MetricAlarm") in types]
    children_of = self._get_param("ChildrenOfAlarmName")
    if children_of:
        parent = backend.alarms.get(children_of)
        names = set(_children(parent, backend)) if parent is not None and parent.rule is not None else set()
        kept = [a for a in kept if a.name in names]
    parents_of = self._get_param("ParentsOfAlarmName")
    if parents_of:
        kept = [a for a in kept if a.rule is not None and parents_of in _children(a, backend)]
    return kept


def apply() -> None:
    """Install the patches above (called once, from `local.emulator.apply_patches`)."""
    response_cls = cw_responses.CloudWatchResponse
    describe = response_cls.describe_alarms

    def describe_alarms(self: Any) -> ActionResult:
        listed: dict[str, list[Any]] = describe(self).result  # type: ignore[assignment]
        everything = [*listed["MetricAlarms"], *listed["CompositeAlarms"]]
        kept = _filtered(self, everything)
        return ActionResult(
            {
                "MetricAlarms": [a for a in kept if a.rule is None],
                "CompositeAlarms": [a for a in kept if a.rule is not None],
            }
        )

    def set_alarm_state(self: Any) -> ActionResult:
        backend = _backend(self)
        name = self._get_param("AlarmName")
        state = self._get_param("StateValue")
        reason = self._get_param("StateReason")
        reason_data = self._get_param("StateReasonData")
        alarm = backend.alarms.get(name)
        old = None if alarm is None else alarm.state_value
        # moto validates the name, state and reason data, and records the new state.
        backend.set_alarm_state(name, reason, reason_data, state)
        if alarm is not None and old != state:
            _after_change(backend, alarm, str(old), set())
        return EmptyResult()

    def delete_alarms(self: Any) -> ActionResult:
        backend = _backend(self)
        names = set(self._get_param("AlarmNames", []) or [])
        for composite in backend.alarms.values():
            if composite.rule is None or composite.name in names:
                continue
            still_named = sorted(names & set(_children(composite, backend)))
            if still_named:
                raise ValidationError(
                    f"Alarms [{', '.join(still_named)}] cannot be deleted: the composite alarm "
                    f"{composite.name} names them in its alarm rule"
                )
        backend.delete_alarms(sorted(names))
        return EmptyResult()

    response_cls.put_composite_alarm = put_composite_alarm  # type: ignore[attr-defined]
    response_cls.describe_alarms = describe_alarms  # type: ignore[method-assign]
    response_cls.set_alarm_state = set_alarm_state  # type: ignore[method-assign]
    response_cls.delete_alarms = delete_alarms  # type: ignore[method-assign]

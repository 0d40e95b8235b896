"""Patches of moto's CloudWatch Logs, applied by `local.emulator.apply_patches()`.

Filter patterns mean what they mean on AWS, through the project's one implementation
(`tools/log_patterns.py`, the documented subset):
- FilterLogEvents matches events with it. moto matched plain terms only and returned every event
  for any other pattern (a JSON pattern matched everything): looser than AWS. A pattern outside the
  subset, or malformed, is refused with InvalidParameterException, never guessed.
- PutMetricFilter validates the pattern and the transformation (metric name and namespace without
  `:`, `*` or `$`; a value that is a number or a `$.field` the JSON pattern reads; at most 3
  dimensions, each a `$.field` the pattern reads), needs the log group to exist (moto accepted any
  name), and replaces the filter of the same name in the group (moto appended a duplicate).
- Metric filters publish: every PutLogEvents (the API, and the local Lambda runtime and gateway
  shipping their logs in-process, `local.logs.shipper`) runs the group's metric filters over the
  new events and puts the result into CloudWatch (moto stored filters and never applied them):
  per metric and minute, a statistic set over the matching events' values, and the default value
  for the other events of that minute when the filter has one.
- PutQueryDefinition, DescribeQueryDefinitions and DeleteQueryDefinition (Logs Insights saved
  queries; moto has none), validated as the API reference constrains them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from moto.logs import models as logs_models
from moto.logs import responses as logs_responses
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException

from tools.log_patterns import Pattern, PatternError, compile_pattern, resolve, selector_path

_FORBIDDEN_IN_METRIC = ":*$"
MAX_DIMENSIONS = 3
MAX_QUERY_NAME = 255
MAX_QUERY_STRING = 10000
QUERY_LANGUAGES = ("CWLI", "SQL", "PPL")
_LOG_GROUP_NAME_CHARS = frozenset("._-/#") | frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)


@lru_cache(maxsize=256)
def _compiled(text: str) -> Pattern:
    return compile_pattern(text)


def pattern_of(text: str | None, what: str = "filter pattern") -> Pattern:
    """The compiled pattern, or InvalidParameterException naming what is wrong with it."""
    try:
        return _compiled(text or "")
    except PatternError as exc:
        raise InvalidParameterException(f"Invalid {what}: {exc}") from None


# --- FilterLogEvents --------------------------------------------------------------------------


def _stream_filter_log_events(
    self: Any, start_time: int, end_time: int, filter_pattern: str
) -> list[dict[str, Any]]:
    pattern = pattern_of(filter_pattern)

    def keep(event: Any) -> bool:
        if start_time and event.timestamp < start_time:
            return False
        if end_time and event.timestamp > end_time:
            return False
        return pattern.matches(event.message)

    events = []
    for event in sorted(filter(keep, self.events), key=lambda e: e.timestamp):
        entry = event.to_filter_dict()
        entry["logStreamName"] = self.log_stream_name
        events.append(entry)
    return events


# --- metric filters ---------------------------------------------------------------------------


def _selector_path(value: str, pattern: Pattern, what: str) -> tuple[str | int, ...]:
    if not value.startswith("$."):
        raise InvalidParameterException(
            f"Invalid metric filter: {what} {value!r} must be a number or $.field"
        )
    if pattern.kind != "json" or value not in pattern.selectors:
        raise InvalidParameterException(
            f"Invalid metric filter: {what} {value} must be a field the JSON filter pattern reads "
            f"(add {value} = * to the pattern)"
        )
    try:
        return selector_path(value)
    except PatternError as exc:
        raise InvalidParameterException(f"Invalid metric filter: {what}: {exc}") from None


def _validate_transformation(transformation: Any, pattern: Pattern) -> None:
    if not isinstance(transformation, dict):
        raise InvalidParameterException("Invalid metric filter: metricTransformations must hold an object")
    for key in ("metricName", "metricNamespace", "metricValue"):
        value = transformation.get(key)
        if not isinstance(value, str) or not value:
            raise InvalidParameterException(f"Invalid metric filter: {key} is required")
    for key in ("metricName", "metricNamespace"):
        value = transformation[key]
        if len(value) > 255 or any(c in value for c in _FORBIDDEN_IN_METRIC):
            raise InvalidParameterException(
                f"Invalid metric filter: {key} {value!r} must be at most 255 characters without "
                "':', '*' or '$'"
            )
    value = transformation["metricValue"]
    if len(value) > 100:
        raise InvalidParameterException("Invalid metric filter: metricValue is at most 100 characters")
    try:
        float(value)
    except ValueError:
        _selector_path(value, pattern, "metricValue")
    dimensions = transformation.get("dimensions") or {}
    if len(dimensions) > MAX_DIMENSIONS:
        raise InvalidParameterException(f"Invalid metric filter: at most {MAX_DIMENSIONS} dimensions")
    for name, selector in dimensions.items():
        _selector_path(str(selector), pattern, f"dimension {name}")


def _backend_put_metric_filter(
    self: Any, filter_name: str, filter_pattern: str, log_group_name: str, metric_transformations: Any
) -> None:
    if log_group_name not in self.groups:
        raise ResourceNotFoundException("The specified log group does not exist.")
    pattern = pattern_of(filter_pattern, "metric filter pattern")
    for transformation in metric_transformations:
        _validate_transformation(transformation, pattern)
    self.filters.delete_filter(filter_name, log_group_name)
    self.filters.add_filter(filter_name, filter_pattern, log_group_name, metric_transformations)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def publish_metric_filters(stream: Any, events: list[Any]) -> int:
    """Run the group's metric filters over `events` (moto LogEvents) and put what they count into
    CloudWatch; returns how many datapoints (metric, minute) were published."""
    backend = logs_models.logs_backends[stream.account_id][stream.region]
    filters = [f for f in backend.filters.metric_filters if f["logGroupName"] == stream.log_group.name]
    if not filters or not events:
        return 0
    decoded = [_decode(event.message) for event in events]
    # (namespace, metric, dimensions, unit, minute) -> values
    buckets: dict[tuple[str, str, tuple[tuple[str, str], ...], str | None, int], list[float]] = defaultdict(
        list
    )
    for metric_filter in filters:
        pattern = _compiled(metric_filter["filterPattern"] or "")
        for transformation in metric_filter["metricTransformations"]:
            for event, document in zip(events, decoded, strict=True):
                value: float | None
                dimensions: tuple[tuple[str, str], ...] = ()
                if pattern.matches_document(event.message, document):
                    raw = transformation["metricValue"]
                    value = (
                        _number(raw)
                        if not raw.startswith("$")
                        else _number(resolve(document, selector_path(raw)))
                    )
                    dimensions = tuple(
                        sorted(
                            (name, str(resolve(document, selector_path(sel))))
                            for name, sel in (transformation.get("dimensions") or {}).items()
                        )
                    )
                else:
                    value = _number(transformation.get("defaultValue"))
                    if transformation.get("dimensions"):
                        value = None  # CloudWatch publishes no default for filters with dimensions
                if value is None:
                    continue
                minute = int(event.timestamp // 60000)
                key = (
                    transformation["metricNamespace"],
                    transformation["metricName"],
                    dimensions,
                    transformation.get("unit"),
                    minute,
                )
                buckets[key].append(value)
    if not buckets:
        return 0
    from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415 - only when a filter matched

    cloudwatch = cloudwatch_backends[stream.account_id][stream.region]
    by_namespace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (namespace, metric, dimensions, unit, minute), values in buckets.items():
        datum: dict[str, Any] = {
            "MetricName": metric,
            # moto keeps metric timestamps as naive UTC datetimes.
            "Timestamp": datetime.fromtimestamp(minute * 60, UTC).replace(tzinfo=None),
            "StatisticValues": {
                "SampleCount": float(len(values)),
                "Sum": float(sum(values)),
                "Minimum": float(min(values)),
                "Maximum": float(max(values)),
            },
            "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions],
        }
        if unit:
            datum["Unit"] = unit
        by_namespace[namespace].append(datum)
    for namespace, data in by_namespace.items():
        cloudwatch.put_metric_data(namespace, data)
    return len(buckets)


def _decode(message: str) -> Any:
    if not message.lstrip().startswith("{"):
        return None
    try:
        return json.loads(message)
    except ValueError:
        return None


# --- saved queries ----------------------------------------------------------------------------


def _queries(backend: Any) -> dict[str, dict[str, Any]]:
    """The backend's saved queries, by id (a plain dict on the backend: snapshots keep it)."""
    found: dict[str, dict[str, Any]] | None = getattr(backend, "fga_query_definitions", None)
    if found is None:
        found = {}
        backend.fga_query_definitions = found
    return found


def _check_length(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise InvalidParameterException(
            constraint=f"Member must have length between {low} and {high}", parameter=name, value=value
        )


def put_query_definition(self: Any) -> str:
    queries = _queries(self.logs_backend)
    name = self._get_param("name")
    query_string = self._get_param("queryString")
    _check_length("name", name, 1, MAX_QUERY_NAME)
    _check_length("queryString", query_string, 1, MAX_QUERY_STRING)
    groups = self._get_param("logGroupNames") or []
    for group in groups:
        _check_length("logGroupNames", group, 1, 512)
        if set(group) - _LOG_GROUP_NAME_CHARS:
            raise InvalidParameterException(
                constraint="Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
                parameter="logGroupNames",
                value=group,
            )
    language = self._get_param("queryLanguage") or "CWLI"
    if language not in QUERY_LANGUAGES:
        raise InvalidParameterException(
            constraint=f"Member must satisfy enum value set: {list(QUERY_LANGUAGES)}",
            parameter="queryLanguage",
            value=language,
        )
    query_id = self._get_param("queryDefinitionId")
    if query_id:
        if query_id not in queries:
            raise ResourceNotFoundException("The specified query definition does not exist.")
    else:
        query_id = str(uuid.uuid4())
    # An update replaces every field: what the request leaves out is gone (the API reference).
    queries[query_id] = {
        "queryLanguage": language,
        "queryDefinitionId": query_id,
        "name": name,
        "queryString": query_string,
        "lastModified": int(time.time() * 1000),
        "logGroupNames": list(groups),
    }
    return json.dumps({"queryDefinitionId": query_id})


def describe_query_definitions(self: Any) -> str:
    prefix = self._get_param("queryDefinitionNamePrefix")
    if prefix is not None:
        _check_length("queryDefinitionNamePrefix", prefix, 1, MAX_QUERY_NAME)
    limit = self._get_param("maxResults") or 1000
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidParameterException(
            constraint="Member must have value between 1 and 1000", parameter="maxResults", value=limit
        )
    language = self._get_param("queryLanguage")
    found = sorted(_queries(self.logs_backend).values(), key=lambda q: (q["name"], q["queryDefinitionId"]))
    found = [
        q
        for q in found
        if (prefix is None or q["name"].startswith(prefix))
        and (language is None or q["queryLanguage"] == language)
    ]
    start = int(self._get_param("nextToken") or 0)
    page = found[start : start + limit]
    result: dict[str, Any] = {"queryDefinitions": page}
    if start + limit < len(found):
        result["nextToken"] = str(start + limit)
    return json.dumps(result)


def delete_query_definition(self: Any) -> str:
    query_id = self._get_param("queryDefinitionId")
    if not isinstance(query_id, str) or len(query_id) > 256:
        raise InvalidParameterException(
            constraint="Member must have length less than or equal to 256",
            parameter="queryDefinitionId",
            value=query_id,
        )
    queries = _queries(self.logs_backend)
    if query_id not in queries:
        raise ResourceNotFoundException("The specified query definition does not exist.")
    del queries[query_id]
    return json.dumps({"success": True})


def apply() -> None:
    """Install the patches above (called once, from `local.emulator.apply_patches`)."""
    stream_put = logs_models.LogStream.put_log_events

    def put_log_events(self: Any, log_events: list[dict[str, Any]]) -> str:
        before = len(self.events)
        token: str = stream_put(self, log_events)
        publish_metric_filters(self, self.events[before:])
        return token

    response_filter = logs_responses.LogsResponse.filter_log_events

    def filter_log_events(self: Any) -> str:
        pattern_of(self._get_param("filterPattern"))  # refuse a bad pattern before searching
        result: str = response_filter(self)
        return result

    logs_models.LogStream.put_log_events = put_log_events  # type: ignore[method-assign]
    logs_models.LogStream.filter_log_events = _stream_filter_log_events  # type: ignore[method-assign]
    logs_models.LogsBackend.put_metric_filter = _backend_put_metric_filter  # type: ignore[method-assign]
    logs_responses.LogsResponse.filter_log_events = filter_log_events  # type: ignore[method-assign]
    logs_responses.LogsResponse.put_query_definition = put_query_definition  # type: ignore[attr-defined]
    logs_responses.LogsResponse.describe_query_definitions = describe_query_definitions  # type: ignore[attr-defined]
    logs_responses.LogsResponse.delete_query_definition = delete_query_definition  # type: ignore[attr-defined]

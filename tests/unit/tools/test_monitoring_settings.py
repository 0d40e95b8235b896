"""settings.monitoring in config.json: tools/config.py refuses what the stack refuses, naming the key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tools import config, monitoring

BASE = {
    "environment": "dev",
    "region": "us-east-1",
    "account_id": "111111111111",
    "cors_allow_origin": "https://dev.app.example.com",
    # the access model declares machine clients, whose tokens need the pool's domain
    "user_pool": {"domain_prefix": "fga-dev-example"},
}


def parse(monitoring_settings: Any) -> config.EnvConfig:
    raw = copy.deepcopy(BASE)
    raw["monitoring"] = monitoring_settings
    return config.parse(raw, source="config.json")


def test_every_environment_loads_with_its_monitoring_settings() -> None:
    for env in config.ENVIRONMENTS:
        assert "monitoring" in config.load(env).raw


def test_valid_settings_are_accepted() -> None:
    parse(
        {
            "subscriptions": {
                "oncall": {"protocol": "email", "endpoint": "oncall@example.com"},
                "pager": {"protocol": "https", "endpoint": "https://events.example.com/sns"},
            },
            "expects_traffic": True,
            "alarms": {
                "lambda_errors": {"threshold": 3},
                "lambda_errors:authorizer": {
                    "threshold": 20,
                    "evaluation_periods": 5,
                    "datapoints_to_alarm": 4,
                },
                "denial_rate:lambda": {"threshold": 0.5, "period": 300},
                "fail_closed_jwks": {"actions_enabled": False},
            },
            "account_concurrency_quota": 3000,
            "runbook_url": "https://github.com/acme/fga/blob/main/docs/operations.md",
        }
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ([], "must be a JSON object"),
        ({"subscription": {}}, "unknown key"),
        ({"subscriptions": {"a": {"protocol": "http", "endpoint": "http://x.example.com"}}}, "clear text"),
        (
            {"subscriptions": {"a": {"protocol": "sms", "endpoint": "+15555550100"}}},
            "protocol must be one of",
        ),
        ({"subscriptions": {"a": {"protocol": "email", "endpoint": "not-an-address"}}}, "an email address"),
        (
            {"subscriptions": {"a": {"protocol": "https", "endpoint": "http://x.example.com"}}},
            "an https:// URL",
        ),
        ({"subscriptions": {"a": {"protocol": "email"}}}, "exactly {protocol, endpoint}"),
        ({"alarms": {"lambda_erors": {"threshold": 1}}}, "is not an alarm kind"),
        ({"alarms": {"api_5xx": {"treshold": 1}}}, "may set only"),
        ({"alarms": {"api_5xx": {"period": 45}}}, "period must be one of"),
        ({"alarms": {"api_5xx": {"evaluation_periods": 0}}}, "at least 1"),
        ({"alarms": {"api_5xx": {"datapoints_to_alarm": 1.5}}}, "whole number"),
        ({"alarms": {"api_5xx": {"threshold": "high"}}}, "must be a number"),
        ({"alarms": {"api_5xx": {"actions_enabled": "no"}}}, "true or false"),
        ({"expects_traffic": "yes"}, "true or false"),
        ({"account_concurrency_quota": 0}, "whole number"),
        ({"runbook_url": "https://x.example.com/ops.md#top"}, "without a #fragment"),
    ],
)
def test_bad_settings_are_refused_with_the_key_named(settings: Any, message: str) -> None:
    with pytest.raises(config.ConfigError, match=r"config\.json: monitoring") as error:
        parse(settings)
    assert message in str(error.value)


def test_override_kinds_are_the_catalogs() -> None:
    """The kinds config.json may name are exactly the module's (and the stack's validation reads the
    same file)."""
    catalog = monitoring.catalog()
    assert monitoring.alarm_kinds() == {
        *catalog["metric_alarms"],
        *catalog["log_alarms"],
        *catalog["rate_alarms"],
        catalog["composite_alarm"]["key"],
    }
    assert {
        "api_5xx",
        "lambda_errors",
        "fail_closed_policy_table",
        "denial_rate",
        "access_boundary_failing_closed",
    } <= (monitoring.alarm_kinds())


TREATMENTS = {"breaching", "notBreaching", "ignore", "missing"}


@pytest.mark.parametrize("kind", sorted(monitoring.catalog()["metric_alarms"]))
def test_every_metric_alarm_of_the_catalog_is_fully_specified(kind: str) -> None:
    alarm = monitoring.catalog()["metric_alarms"][kind]
    assert alarm["namespace"].startswith("AWS/")
    assert ("statistic" in alarm) != ("extended_statistic" in alarm), "one statistic, of either kind"
    assert alarm["treat_missing_data"] in TREATMENTS, "treat_missing_data is set deliberately"
    assert 1 <= alarm["datapoints_to_alarm"] <= alarm["evaluation_periods"]
    assert alarm["period"] in monitoring.PERIODS
    thresholds = [k for k in alarm if k == "threshold" or k.startswith("threshold_fraction_of_")]
    assert len(thresholds) == 1
    assert alarm["summary"].endswith(".")


@pytest.mark.parametrize("kind", sorted(monitoring.catalog()["log_alarms"]))
def test_every_log_alarm_of_the_catalog_has_a_valid_pattern_and_alarm(kind: str) -> None:
    alarm = monitoring.catalog()["log_alarms"][kind]
    assert alarm["source"] in ("authorizer", "backend", "access")
    assert monitoring.log_alarms()[kind].pattern.kind == "json"
    assert alarm["treat_missing_data"] in TREATMENTS
    assert 1 <= alarm["datapoints_to_alarm"] <= alarm["evaluation_periods"]
    assert alarm["metric"].isidentifier()

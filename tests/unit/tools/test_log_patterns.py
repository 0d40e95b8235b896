"""CloudWatch Logs filter patterns (tools/log_patterns.py) against AWS's own documented examples.

Every event and pattern below is taken from the CloudWatch Logs User Guide, "Filter and pattern
syntax" (matching terms, OR matching, JSON events, compound conditions, numeric comparisons, the
"special considerations" about arrays), with the match / no-match the guide states. A few rows
pin the choices the module documents where the guide is silent (types never coerced, `!=` on a
missing field); those are marked.
"""

from __future__ import annotations

import json

import pytest

from tools.log_patterns import MAX_PATTERN_LENGTH, PatternError, compile_pattern

# The guide's JSON example event.
GUIDE_EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
    }
)

# The guide's compound-conditions event.
COMPOUND_EVENT = json.dumps(
    {
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
    }
)


def matches(pattern: str, message: str) -> bool:
    return compile_pattern(pattern).matches(message)


# --- terms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ('""', "anything at all", True),  # "Match everything"
        ("ERROR", "[ERROR] A fatal exception has occurred", True),
        ("ERROR", "Exiting with ERRORCODE: -1", True),
        ('"ERROR" - "Exiting"', "Exiting with ERRORCODE: -1", False),
        ('"ERROR" - "Exiting"', "[ERROR] A fatal exception has occurred", True),
        ("ERROR Exception", "[ERROR] Caught IllegalArgumentException", True),
        ("ERROR Exception", "[ERROR] Unhandled Exception", True),
        ("Failed to process the request", "[WARN] Failed to process the request", True),
        ("Failed to process the request", "[ERROR] Unable to continue: Failed to process the request", True),
        ("ERROR", "error in lower case", False),  # "Metric filters are case sensitive"
    ],
)
def test_term_examples(pattern: str, message: str, expected: bool) -> None:
    assert matches(pattern, message) is expected


OR_EVENTS = ("ERROR WARN message", "ERROR message", "WARN message")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("ERROR", (True, True, False)),
        ("?ERROR ?WARN", (True, True, True)),
        ("ERROR WARN", (True, False, False)),
        ("ERROR -WARN", (False, True, False)),
    ],
)
def test_or_pattern_matching_examples(pattern: str, expected: tuple[bool, ...]) -> None:
    assert tuple(matches(pattern, event) for event in OR_EVENTS) == expected


def test_json_or_example() -> None:
    events = ('{"foo": "bar"}', '{"foo": "baz"}')
    assert [matches("{$.foo = bar}", e) for e in events] == [True, False]
    assert [matches("{$.foo = baz }", e) for e in events] == [False, True]
    assert [matches("{$.foo = bar || $.foo = baz }", e) for e in events] == [True, True]


# --- JSON events ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" }',
        "{ $.sourceIPAddress != 123.123.* }",
        '{ $.arrayKey[0] = "value" }',
        "{ $.objectList[1].id = 2 }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
    ],
)
def test_the_guides_json_filters_match_its_example(pattern: str) -> None:
    assert matches(pattern, GUIDE_EVENT)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrails" }',
        "{ $.sourceIPAddress != 111.111.* }",
        '{ $.arrayKey[1] = "value" }',  # the second entry is "another value"
        "{ $.objectList[1].id = 1 }",
        "{ $.eventType IS NULL }",
        "{ $.SomeObject NOT EXISTS }",
        "{ $.ThisFlag IS FALSE }",
        "{ $.objectList[5].id = 2 }",  # no sixth entry
        '{ $.eventType.name = "x" }',  # eventType is not an object
    ],
)
def test_their_negations_do_not(pattern: str) -> None:
    assert not matches(pattern, GUIDE_EVENT)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch '
            "&& $.actions[2] = nomatch }",
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) '
            "&& $.actions[2] = nomatch }",
            False,
        ),
    ],
)
def test_compound_condition_examples(pattern: str, expected: bool) -> None:
    assert matches(pattern, COMPOUND_EVENT) is expected


def test_a_selector_on_an_array_matches_neither_equal_nor_unequal() -> None:
    event = '{"users": [1, 2, 3]}'
    assert not matches("{$.users = 1}", event)
    assert not matches("{$.users != 1}", event)


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ("{ $.latency >= 500 }", '{"latency": 500}', True),
        ("{ $.latency >= 500 }", '{"latency": 499.9}', False),
        ("{ $.numbers[0] < 10e3 }", '{"numbers": [9999]}', True),
        ("{ $.numbers[0] < 10e-3 }", '{"numbers": [0.01]}', False),
        (
            "{ $.processes[4].averageRuntime <= 55.5 }",
            '{"processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}',
            True,
        ),
        ("{ $.errorCode = 400 }", '{"errorCode": 400}', True),
        ("{ $.errorCode != 500 }", '{"errorCode": 400}', True),
        ("{ $.errorCode != 500 }", '{"errorCode": 500}', False),
        ("{ $.latency > +1000 }", '{"latency": 1001}', True),
        # The guide's metric-value example: "{ $.latency = * }" picks events that have a latency.
        ("{ $.latency = * }", '{"latency": 50, "requestType": "GET"}', True),
        ("{ $.latency = * }", '{"requestType": "GET"}', False),
    ],
)
def test_numeric_comparison_examples(pattern: str, event: str, expected: bool) -> None:
    assert matches(pattern, event) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*Event", "PutEvent", True),
        ("*Event", "GetEvent", True),
        ("Event*", "EventId", True),
        ("Event*", "EventName", True),
        ("Ev*ent", "Event", False),  # "Ev*ent will only match the actual string Ev*ent"
        ("Ev*ent", "Ev*ent", True),
        ('"Delete*"', "DeleteTrail", True),
        ('"Delete*"', "CreateTrail", False),
        ('"*html*"', "GET /index.html HTTP/1.0", True),
    ],
)
def test_wildcards_at_the_start_or_end_of_a_string(pattern: str, value: str, expected: bool) -> None:
    assert matches(f"{{ $.name = {pattern} }}", json.dumps({"name": value})) is expected


# --- choices where the guide is silent (documented in the module) ---------------------------------


def test_strings_and_numbers_never_compare_across_types() -> None:
    assert not matches("{ $.status = 403 }", '{"status": "403"}')
    assert not matches('{ $.status = "403" }', '{"status": 403}')
    assert matches('{ $.status = "403" }', '{"status": "403"}')


def test_unequal_needs_the_field() -> None:
    assert not matches('{ $.reason != "x" }', '{"other": 1}')


def test_events_that_are_not_json_objects_match_no_json_pattern() -> None:
    assert not matches('{ $.a = "b" }', "START RequestId: 1 Version: $LATEST")
    assert not matches('{ $.a = "b" }', '["a", "b"]')


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[ip, user, status_code = 4*]", "space-delimited"),
        ("%ERROR [0-9]+%", "regular-expression"),
        ("{ $.a = }", "value"),
        ("{ $.a = b ", "end with"),
        ("{ ($.a = b }", "was expected"),
        ("{ $.a ~ b }", "operator"),
        ("{ a = b }", "selector"),
        ("{ $.a < abc }", "needs a number"),
        ("{ $.a = b@c }", "double quotes"),
        ("{ $.a IS MAYBE }", "keyword"),
        ("{ }", "empty"),
        ("ERROR /path", "double quotes"),
        ('"unterminated', "unterminated"),
        ("?ERROR WARN", "mixing"),
        ("x" * (MAX_PATTERN_LENGTH + 1), "at most"),
    ],
)
def test_malformed_or_unsupported_patterns_are_refused(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError, match=reason):
        compile_pattern(pattern)


def test_json_patterns_expose_their_selectors() -> None:
    pattern = compile_pattern('{ ($.a = "x" || $.b[0].c > 1) && $.d NOT EXISTS }')
    assert pattern.kind == "json"
    assert pattern.selectors == {"$.a", "$.b[0].c", "$.d"}

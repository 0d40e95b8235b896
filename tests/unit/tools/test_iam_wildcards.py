"""Wildcard matching in linear time (tools/iam_wildcards.py, issue 22 point 5): the same answers as
the backtracking regex it replaced, on generated patterns and values, and a bound on the time of
the pathological case that took seconds.

The references below are the former implementation (plain `.*`/`[^:]*`/`.`/`[^:]` regexes, fully
matched), kept here as the definition of the semantics: on small inputs they are fast enough.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tools import iam_policy
from tools import iam_wildcards as wildcards

API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/local"
# The review's case: a stored Resource with four stars against a 463-character method ARN (its
# path is the caller's). The former regex took 14.8 s in the review, about 1 s on the 2-core
# machine this was written on.
PATHOLOGICAL_RESOURCE = f"{API}/*/a/*/a/*/a/*/b"
PATHOLOGICAL_ARN = (f"{API}/GET" + "/a" * 200)[:463].ljust(463, "/")
# Measured ~0.3 ms for an evaluate() that also compiles the pattern, ~5 us once compiled; the bound
# is 50 ms, over 50x that (and the best of three runs is taken, so one preemption on a loaded
# machine does not fail it). The former regex is over 20x past it.
BOUND_SECONDS = 0.05


def _reference_regex(tokens: tuple[wildcards.Token, ...]) -> str:
    out = []
    for token in tokens:
        if isinstance(token, wildcards.Lit):
            out.append(re.escape(token.text))
        else:
            cls = "." if not token.excluded else "[^" + "".join(sorted(token.excluded)) + "]"
            out.append(cls + "*" if isinstance(token, wildcards.Star) else cls)
    return "".join(out)


def _reference(tokens: tuple[wildcards.Token, ...], value: str, ignore_case: bool = False) -> bool:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(_reference_regex(tokens), value, flags) is not None


_excluded = st.sampled_from([wildcards.ANY, wildcards.NOT_COLON])
_tokens = st.lists(
    st.one_of(
        st.builds(wildcards.Lit, st.text(alphabet="ab:/", max_size=3)),
        st.builds(wildcards.One, _excluded),
        st.builds(wildcards.Star, _excluded),
    ),
    max_size=8,
).map(tuple)
_values = st.text(alphabet="ab:/", max_size=12)


_NC, _ANY = wildcards.NOT_COLON, wildcards.ANY


@settings(max_examples=250, derandomize=True, deadline=None, database=None)
@given(_tokens, _values)
# Where the leftmost rule of the fast path would be wrong (each is sent to the NFA instead): a
# wildcard accepting a colon between two stars that do not, and a colon-crossing star before one
# that does not.
@example((wildcards.Star(_NC), wildcards.One(_ANY), wildcards.Star(_NC)), "a:b")
@example((wildcards.Star(_NC), wildcards.One(_ANY), wildcards.Lit(":"), wildcards.Star(_NC)), "a:b:c")
@example((wildcards.Star(_ANY), wildcards.Lit(":a"), wildcards.Star(_NC), wildcards.Lit("b")), ":a:ab")
def test_the_matcher_answers_as_the_regex_it_replaced(
    tokens: tuple[wildcards.Token, ...], value: str
) -> None:
    expected = _reference(tokens, value)
    assert wildcards.compile_pattern(tokens)(value) is expected
    assert wildcards._Nfa(tokens).match(value) is expected  # the fallback, on every pattern


@settings(max_examples=100, derandomize=True, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            st.builds(wildcards.Lit, st.text(alphabet="aAkK\u212a", max_size=3)),
            st.just(wildcards.One(wildcards.ANY)),
            st.just(wildcards.Star(wildcards.ANY)),
        ),
        max_size=6,
    ).map(tuple),
    st.text(alphabet="aAkK\u212a", max_size=8),
)
def test_ignoring_case_compares_as_re_ignorecase(tokens: tuple[wildcards.Token, ...], value: str) -> None:
    """Action patterns: the same case-insensitive comparison as before (the Kelvin sign included)."""
    assert wildcards.compile_pattern(tokens, ignore_case=True)(value) is _reference(tokens, value, True)


# --- the IAM evaluator's patterns, against the former implementation ------------------------------


def _former_segment_regex(segment: list[tuple[str, bool]], *, resource: bool) -> str:
    pieces = [(piece, literal) for piece, literal in segment if piece]
    out: list[str] = []
    for index, (piece, literal) in enumerate(pieces):
        if literal:
            out.append(re.escape(piece))
            continue
        last_piece = index == len(pieces) - 1
        runs = re.split(r"([*?])", piece)
        for pos, run in enumerate(runs):
            if pos % 2 == 0:
                out.append(re.escape(run))
            elif run == "*":
                trailing = last_piece and pos == len(runs) - 2 and runs[-1] == ""
                out.append(".*" if resource or trailing else "[^:]*")
            else:
                out.append("." if resource else "[^:]")
    return "".join(out)


def _former_arn_match(pattern: str, arn: str, context: dict[str, Any]) -> bool:
    try:
        resolved = iam_policy._substitute(pattern, context, True)
    except iam_policy._Unresolved:
        return False
    if resolved == [("*", False)]:
        return True
    segments = iam_policy._arn_segments(resolved)
    regex = ":".join(_former_segment_regex(s, resource=i == 5) for i, s in enumerate(segments))
    return re.fullmatch(regex, arn, re.DOTALL) is not None


def _former_glob_match(pattern: str, value: str, context: dict[str, Any], ignore_case: bool) -> bool:
    try:
        parts = iam_policy._substitute(pattern, context, True)
    except iam_policy._Unresolved:
        return False
    regex = "".join(
        re.escape(piece)
        if literal
        else "".join(
            ".*" if r == "*" else "." if r == "?" else re.escape(r) for r in re.split(r"([*?])", piece)
        )
        for piece, literal in parts
    )
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


_CONTEXT = {"aws:username": "a:b", "x": "*?"}  # substituted values are literal, colons and all
_arn_patterns = st.lists(
    st.sampled_from(["a", "b", ":", "/", "*", "?", "${aws:username}", "${x}"]), max_size=14
).map("".join)
_arns = st.lists(st.sampled_from(["a", "b", ":", "/", "*"]), max_size=16).map("".join)


@settings(max_examples=250, derandomize=True, deadline=None, database=None)
@given(_arn_patterns, _arns)
def test_arn_like_keeps_its_segment_rules(pattern: str, arn: str) -> None:
    """Resource/ArnLike: wildcards inside their colon-delimited segment, a segment-final `*` across
    colons, the sixth segment keeping its colons, variables literal: the former answers, always."""
    expected = _former_arn_match(pattern, arn, _CONTEXT)
    assert iam_policy._arn_match(pattern, arn, context=_CONTEXT, variables=True) is expected


@settings(max_examples=120, derandomize=True, deadline=None, database=None)
@given(_arn_patterns, _arns, st.booleans())
def test_string_like_and_actions_keep_their_answers(pattern: str, value: str, ignore_case: bool) -> None:
    expected = _former_glob_match(pattern, value, _CONTEXT, ignore_case)
    assert (
        iam_policy._glob_match(pattern, value, context=_CONTEXT, variables=True, ignore_case=ignore_case)
        is expected
    )


def test_a_segment_final_star_before_a_mid_segment_star_is_matched_by_the_nfa() -> None:
    """`*:1*2`: the region's `*` crosses colons, the account's does not. Taking the leftmost `:1`
    for the first star (the fast path's rule) would miss this match, so the pattern goes to the NFA."""
    pattern = "arn:aws:execute-api:*:1*2:api/x"
    arn = "arn:aws:execute-api:r:1:x:12:api/x"
    assert _former_arn_match(pattern, arn, {})
    assert iam_policy._arn_match(pattern, arn, context={}, variables=True)
    tokens = (
        wildcards.Lit("a:"),
        wildcards.Star(wildcards.ANY),
        wildcards.Lit(":1"),
        wildcards.Star(wildcards.NOT_COLON),
        wildcards.Lit("2"),
    )
    assert wildcards.leftmost_regex(tokens) is None
    assert wildcards.compile_pattern(tokens)("a:r:1:x:12")


def _best_of_three(check: Any) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        check()
        best = min(best, time.perf_counter() - started)
    return best


def test_the_pathological_resource_is_matched_within_a_bound() -> None:
    assert len(PATHOLOGICAL_ARN) == 463
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": PATHOLOGICAL_RESOURCE}
            ],
        }
    )
    seen: list[bool] = []

    def check() -> None:
        wildcards.compile_pattern.cache_clear()  # each run compiles the pattern too
        seen.append(iam_policy.evaluate([document], "execute-api:Invoke", PATHOLOGICAL_ARN).allowed)

    elapsed = _best_of_three(check)
    assert seen == [False, False, False]
    assert elapsed < BOUND_SECONDS, f"{elapsed * 1000:.1f} ms"
    assert iam_policy.evaluate([document], "execute-api:Invoke", PATHOLOGICAL_ARN[:-1] + "b").allowed

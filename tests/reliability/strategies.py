"""Hypothesis strategies for hostile input: JSON values of every type (huge, unicode, nested, the
numbers Python's json accepts but JSON does not), odd text, base64url segments."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st


class _Huge:
    """A JSON number of 4,401 digits: beyond Python's int<->str limit (4,300), so `json.loads`
    refuses it. Only `dumps` can write it (json.dumps cannot), so it lives in serialised input."""

    TEXT = "1" + "0" * 4400
    _PLACEHOLDER = "\x00huge-number\x00"

    def __repr__(self) -> str:
        return "HUGE"


HUGE = _Huge()


def dumps(value: Any) -> str:
    """json.dumps that also writes HUGE (as a bare number) and NaN/Infinity, as Python's json does."""

    def default(obj: object) -> object:
        if obj is HUGE:
            return _Huge._PLACEHOLDER
        raise TypeError(type(obj).__name__)

    return json.dumps(value, default=default).replace(json.dumps(_Huge._PLACEHOLDER), _Huge.TEXT)


odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u202e",  # right-to-left override
            "\ufeff",
            "null",
            "None",
            "undefined",
            "[]",
            "{}",
            "0",
            "-1",
            "1e400",
            "NaN",
            "%00",
            "../../etc/passwd",
            "' OR '1'='1",
            "<script>",
            "${jndi:ldap://x}",
            "admin",
            "*",
            "\ud800",  # a lone surrogate (not encodable as UTF-8)
        ]
    ),
)

big_text = st.builds(
    lambda ch, n: ch * n, st.sampled_from(["a", "é", "😀", " ", "\x00", "A-_"]), st.integers(1, 12000)
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**53, max_value=2**64),
    st.floats(),  # includes nan and +-inf (Python's json writes NaN/Infinity and reads them back)
    odd_text,
)

# Up to three levels deep, built without st.recursive (several times cheaper per case, which is
# what lets `make test` run tens of thousands of cases); deeper nesting is generated as text where
# it matters (request bodies).
_flat = st.one_of(st.lists(scalars, max_size=4), st.dictionaries(st.text(max_size=12), scalars, max_size=4))
json_values: st.SearchStrategy[Any] = st.one_of(
    scalars,
    _flat,
    st.lists(_flat, max_size=2),
    st.dictionaries(st.text(max_size=8), _flat, max_size=2),
)

any_json = st.one_of(json_values, big_text)
# For serialised input only (token payloads, request bodies): may contain HUGE.
serialised_json = st.one_of(any_json, st.just(HUGE), st.lists(st.one_of(scalars, st.just(HUGE)), max_size=3))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


b64_segments = st.one_of(
    st.binary(max_size=64).map(b64url),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=64),
    st.text(max_size=16),
)

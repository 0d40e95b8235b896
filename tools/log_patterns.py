"""CloudWatch Logs filter patterns: the documented subset this project uses, in one place.

The metric filters of the monitoring module (terraform/modules/monitoring/catalog.json) are written
in CloudWatch Logs' pattern syntax. The emulator's FilterLogEvents and its metric filters
(local/logs/patches.py) and the tests that run those patterns against the functions' real log lines
all evaluate them here, so a pattern means one thing everywhere.

Supported, as the CloudWatch Logs User Guide ("Filter and pattern syntax") documents it:

- the empty pattern: every event;
- term patterns: `ERROR Exception` (every term, case-sensitive substring), `"quoted phrase"`,
  `-term` / `- "phrase"` (must not appear), `?ERROR ?WARN` (any of them). A bare term is letters,
  digits and `_`; anything else must be quoted;
- JSON patterns `{ ... }` over events that are JSON objects: selectors `$.a.b`, `$.a[0].b`;
  `=` / `!=` against a string (quoted, or bare when it is not a number) with `*` as a wildcard at
  the start and/or the end (`"Delete*"`, `*Event`, `*html*`; elsewhere `*` is literal; `*` alone is
  any value); `=`, `!=`, `<`, `>`, `<=`, `>=` against a number; `IS NULL`, `IS TRUE`, `IS FALSE`,
  `NOT EXISTS`; `&&`, `||` and parentheses (`()` binds tighter than `&&`, which binds tighter than
  `||`).

Semantics where the guide is terse, chosen so that a pattern never matches more than AWS would:
a selector must reach a value node (string, number, boolean or null); one that reaches an array, an
object or nothing makes every comparison false, `!=` included (the guide's `{$.users != 1}` example
against an array). Strings compare with strings and numbers with numbers; across types nothing
matches (`{ $.status = 403 }` does not match `"status": "403"`). An event that is not a JSON object
matches no JSON pattern.

Not supported (refused with PatternError, never guessed): space-delimited patterns (`[a, b]`) and
regular expressions (`%...%`). Nothing in this project writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MISSING", "Pattern", "PatternError", "compile_pattern", "resolve", "selector_path"]

#: The longest pattern CloudWatch Logs accepts (PutMetricFilter / FilterLogEvents `filterPattern`).
MAX_PATTERN_LENGTH = 1024


class PatternError(ValueError):
    """The pattern is malformed, or uses syntax outside the supported subset."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What `resolve` answers for a selector that reaches nothing.
MISSING: Any = _Missing()

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BARE_TERM = re.compile(r"[A-Za-z0-9_]+")
_SELECTOR_PART = re.compile(r"\.([A-Za-z0-9_@-]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Pattern:
    """A compiled filter pattern; `matches(message)` answers for one log event's message."""

    text: str
    kind: str  # "all", "terms" or "json"
    _test: Callable[[str], bool]
    #: JSON patterns: every selector the pattern reads (what a match can depend on).
    selectors: frozenset[str] = frozenset()
    _test_document: Callable[[Any], bool] | None = None

    def matches(self, message: str) -> bool:
        return self._test(message)

    def matches_document(self, message: str, document: Any) -> bool:
        """`matches(message)` for a caller that already decoded the message (`document`: the JSON
        value, or None when it is not JSON): several JSON patterns over one event decode it once."""
        if self._test_document is None:
            return self._test(message)
        return isinstance(document, dict) and self._test_document(document)


def compile_pattern(text: str) -> Pattern:
    """Parse `text`; raise PatternError (with the reason) for what CloudWatch would refuse or this
    subset does not cover."""
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternError(f"a filter pattern has at most {MAX_PATTERN_LENGTH} characters")
    stripped = text.strip()
    if not stripped or stripped == '""':
        return Pattern(text, "all", lambda _message: True)
    if stripped.startswith("{"):
        node = _JsonParser(stripped).parse()
        return Pattern(
            text, "json", _json_test(node), frozenset(_selectors(node)), lambda doc: _evaluate(node, doc)
        )
    if stripped.startswith("["):
        raise PatternError("space-delimited patterns ([...]) are not supported here")
    if stripped.startswith("%"):
        raise PatternError("regular-expression patterns (%...%) are not supported here")
    return Pattern(text, "terms", _terms_test(stripped))


# --- term patterns ------------------------------------------------------------------------------


def _terms_test(text: str) -> Callable[[str], bool]:
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        sign = ""
        if text[i] in "-?":
            sign = text[i]
            i += 1
            while i < len(text) and text[i].isspace():
                i += 1
        if i >= len(text):
            raise PatternError(f"{sign!r} must be followed by a term")
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise PatternError("unterminated quoted term")
            term = text[i + 1 : end]
            i = end + 1
        else:
            match = _BARE_TERM.match(text, i)
            if match is None:
                raise PatternError(
                    f"term at {text[i:]!r}: terms with characters other than letters, digits and '_' "
                    "must be in double quotes"
                )
            term = match.group(0)
            i = match.end()
        {"": required, "-": excluded, "?": optional}[sign].append(term)
    if optional and required:
        raise PatternError("mixing ?terms (any of) with plain terms (all of) is not supported here")

    def test(message: str) -> bool:
        if any(term in message for term in excluded):
            return False
        if optional:
            return any(term in message for term in optional)
        return all(term in message for term in required)

    return test


# --- JSON patterns: parsing ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Compare:
    selector: str
    path: tuple[str | int, ...]
    op: str  # =, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE, NOT EXISTS
    value: Any = None  # str (string comparison), float (numeric), None (IS / NOT EXISTS)


@dataclass(frozen=True)
class _Bool:
    op: str  # "&&" or "||"
    left: Any
    right: Any


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>\|\||&&|!=|<=|>=|=|<|>|\(|\))
      | (?P<selector>\$(?:\.[A-Za-z0-9_@-]+|\[\d+\])+)
      | (?P<word>[^\s()=!<>&|"]+)
    )""",
    re.VERBOSE,
)


class _JsonParser:
    def __init__(self, text: str) -> None:
        if not text.endswith("}"):
            raise PatternError("a JSON pattern must end with '}'")
        self.text = text
        self.tokens = self._tokenize(text[1:-1])
        self.pos = 0

    @staticmethod
    def _tokenize(body: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        i = 0
        while i < len(body):
            if body[i:].strip() == "":
                break
            match = _TOKEN.match(body, i)
            if match is None or match.end() == i:
                raise PatternError(f"cannot read the JSON pattern at {body[i:].strip()!r}")
            kind = match.lastgroup
            assert kind is not None
            tokens.append((kind, match.group(kind)))
            i = match.end()
        if not tokens:
            raise PatternError("an empty JSON pattern {} matches nothing useful; write a condition")
        return tokens

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self, what: str) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise PatternError(f"the JSON pattern ends where {what} was expected")
        self.pos += 1
        return token

    def parse(self) -> Any:
        node = self._or()
        if self._peek() is not None:
            raise PatternError(f"unexpected {self._peek()[1]!r} in the JSON pattern")  # type: ignore[index]
        return node

    def _or(self) -> Any:
        node = self._and()
        while self._peek() == ("op", "||"):
            self.pos += 1
            node = _Bool("||", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._unary()
        while self._peek() == ("op", "&&"):
            self.pos += 1
            node = _Bool("&&", node, self._unary())
        return node

    def _unary(self) -> Any:
        kind, value = self._next("a condition")
        if (kind, value) == ("op", "("):
            node = self._or()
            if self._next("')'") != ("op", ")"):
                raise PatternError("unbalanced parentheses in the JSON pattern")
            return node
        if kind != "selector":
            raise PatternError(f"a condition starts with a selector such as $.field, not {value!r}")
        return self._comparison(value)

    def _comparison(self, selector: str) -> _Compare:
        path = _parse_selector(selector)
        kind, value = self._next(f"an operator after {selector}")
        if kind == "word" and value in ("IS", "NOT"):
            _, word = self._next(f"a keyword after {value}")
            keyword = f"{value} {word}"
            if keyword not in ("IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"):
                raise PatternError(f"unknown keyword {keyword!r} (IS NULL, IS TRUE, IS FALSE, NOT EXISTS)")
            return _Compare(selector, path, keyword)
        if kind != "op" or value not in ("=", "!=", "<", ">", "<=", ">="):
            raise PatternError(f"unknown operator {value!r} after {selector}")
        op = value
        vkind, raw = self._next(f"a value after {selector} {op}")
        if vkind == "string":
            return self._string(selector, path, op, json.loads(raw), quoted=True)
        if vkind != "word":
            raise PatternError(f"a value is expected after {selector} {op}, not {raw!r}")
        if _NUMBER.fullmatch(raw):
            return _Compare(selector, path, op, float(raw))
        return self._string(selector, path, op, raw, quoted=False)

    @staticmethod
    def _string(selector: str, path: tuple[str | int, ...], op: str, value: str, *, quoted: bool) -> _Compare:
        if op not in ("=", "!="):
            raise PatternError(f"{selector} {op} needs a number; strings compare with = or != only")
        # The guide's unquoted values are alphanumeric, or an address prefix such as 123.123.*.
        if not quoted and not re.fullmatch(r"[A-Za-z0-9_.*]+", value):
            raise PatternError(f"the value {value!r} must be in double quotes")
        return _Compare(selector, path, op, value)


def selector_path(selector: str) -> tuple[str | int, ...]:
    """The path of a selector such as `$.a.b[0]` (what `resolve` takes); PatternError if malformed."""
    if not re.fullmatch(r"\$(?:\.[A-Za-z0-9_@-]+|\[\d+\])+", selector):
        raise PatternError(f"{selector!r} is not a selector such as $.field or $.list[0].field")
    return _parse_selector(selector)


def _parse_selector(selector: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for match in _SELECTOR_PART.finditer(selector, 1):
        name, index = match.groups()
        parts.append(name if name is not None else int(index))
    if parts and isinstance(parts[0], int):
        raise PatternError(f"{selector}: an array index must follow a property")
    return tuple(parts)


def _selectors(node: Any) -> list[str]:
    if isinstance(node, _Bool):
        return _selectors(node.left) + _selectors(node.right)
    return [node.selector]


# --- JSON patterns: evaluation ------------------------------------------------------------------


def resolve(document: Any, path: tuple[str | int, ...]) -> Any:
    """The value at `path` in a decoded JSON document, or MISSING."""
    current = document
    for part in path:
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return MISSING
        elif not isinstance(current, dict) or part not in current:
            return MISSING
        current = current[part]
    return current


def _wildcard(expected: str, actual: str) -> bool:
    if expected == "*":
        return True
    head, tail = expected.startswith("*"), expected.endswith("*") and len(expected) > 1
    core = expected[1 if head else 0 : len(expected) - 1 if tail else len(expected)]
    if head and tail:
        return core in actual
    if head:
        return actual.endswith(core)
    if tail:
        return actual.startswith(core)
    return actual == expected


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(node: _Compare, document: Mapping[str, Any]) -> bool:
    value = resolve(document, node.path)
    if node.op == "NOT EXISTS":
        return value is MISSING
    if value is MISSING or isinstance(value, dict | list):
        return False
    if node.op == "IS NULL":
        return value is None
    if node.op in ("IS TRUE", "IS FALSE"):
        return isinstance(value, bool) and value is (node.op == "IS TRUE")
    if isinstance(node.value, str):
        return _compare_string(node, value)
    return _is_number(value) and _NUMERIC[node.op](float(value), node.value)


def _compare_string(node: _Compare, value: Any) -> bool:
    if node.value == "*":
        return isinstance(value, str) or _is_number(value)
    if not isinstance(value, str):
        return False
    equal = _wildcard(node.value, value)
    return equal if node.op == "=" else not equal


_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _evaluate(node: Any, document: Mapping[str, Any]) -> bool:
    if isinstance(node, _Bool):
        if node.op == "&&":
            return _evaluate(node.left, document) and _evaluate(node.right, document)
        return _evaluate(node.left, document) or _evaluate(node.right, document)
    return _compare(node, document)


def _json_test(node: Any) -> Callable[[str], bool]:
    def test(message: str) -> bool:
        try:
            document = json.loads(message)
        except ValueError:
            return False
        return isinstance(document, dict) and _evaluate(node, document)

    return test

"""Composite alarm rules (PutCompositeAlarm's AlarmRule): parsed and evaluated as CloudWatch does.

Grammar (CloudWatch User Guide, "Combining alarms"): `ALARM(name)`, `OK(name)` and
`INSUFFICIENT_DATA(name)`, each true when the named alarm is in that state; `TRUE` and `FALSE`;
`AND`, `OR`, `NOT` and parentheses. A name is an alarm name or ARN, bare or in double quotes (a
name with spaces or parentheses must be quoted). Keywords are upper case. The rule is at most
10,240 characters and names at most 100 alarms. Errors read like CloudWatch's own
(`Error in AlarmRule [Unsupported token 'x' at char 12]`).

Not supported (refused, so nothing is silently misread): the `AT_LEAST` function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_RULE_LENGTH = 10240
MAX_CHILDREN = 100
STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")


class RuleError(ValueError):
    """The rule does not parse; the message is CloudWatch's wording."""


@dataclass(frozen=True)
class _State:
    state: str
    name: str


@dataclass(frozen=True)
class _Not:
    operand: Any


@dataclass(frozen=True)
class _Op:
    op: str  # AND / OR
    left: Any
    right: Any


@dataclass(frozen=True)
class Rule:
    text: str
    tree: Any
    children: tuple[str, ...]  # the names (or ARNs) the rule reads, in order of first appearance

    def evaluate(self, state_of: Callable[[str], str]) -> bool:
        """True when the rule holds, given each child's current state."""
        return _evaluate(self.tree, state_of)


_TOKEN = re.compile(r'\s*(?:(?P<paren>[()])|(?P<quoted>"[^"]*")|(?P<word>[^\s()"]+))')


def _tokens(text: str) -> list[tuple[str, str, int]]:
    found = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise RuleError(
                f"Error in AlarmRule [Unsupported token '{text[position:].strip()[:1]}' at char {position}]"
            )
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.children: list[str] = []

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _fail(self, token: tuple[str, str, int] | None, expected: str | None = None) -> RuleError:
        if token is None:
            return RuleError(f"Error in AlarmRule [Unexpected end of rule at char {len(self.text)}]")
        must = f", must be: {expected}" if expected else ""
        return RuleError(f"Error in AlarmRule [Unsupported token '{token[1]}' at char {token[2]}{must}]")

    def parse(self) -> Rule:
        tree = self._or()
        if self._peek() is not None:
            raise self._fail(self._peek())
        return Rule(self.text, tree, tuple(dict.fromkeys(self.children)))

    def _or(self) -> Any:
        node = self._and()
        while (token := self._peek()) is not None and token[:2] == ("word", "OR"):
            self.pos += 1
            node = _Op("OR", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._not()
        while (token := self._peek()) is not None and token[:2] == ("word", "AND"):
            self.pos += 1
            node = _Op("AND", node, self._not())
        return node

    def _not(self) -> Any:
        token = self._peek()
        if token is not None and token[:2] == ("word", "NOT"):
            self.pos += 1
            return _Not(self._not())
        return self._primary()

    def _expect(self, value: str) -> None:
        token = self._peek()
        if token is None or token[:2] != ("paren", value):
            raise self._fail(token, f"'{value}'")
        self.pos += 1

    def _primary(self) -> Any:
        token = self._peek()
        if token is None:
            raise self._fail(None)
        kind, value, _ = token
        if (kind, value) == ("paren", "("):
            self.pos += 1
            node = self._or()
            self._expect(")")
            return node
        if kind == "word" and value in ("TRUE", "FALSE"):
            self.pos += 1
            return value == "TRUE"
        if kind == "word" and value in STATES:
            self.pos += 1
            self._expect("(")
            name_token = self._peek()
            if name_token is None or name_token[0] == "paren":
                raise self._fail(name_token, "an alarm name or ARN")
            self.pos += 1
            name = name_token[1][1:-1] if name_token[0] == "quoted" else name_token[1]
            if not name:
                raise self._fail(name_token, "an alarm name or ARN")
            self._expect(")")
            self.children.append(name)
            return _State(value, name)
        raise self._fail(token)


def parse_rule(text: str) -> Rule:
    if not 1 <= len(text) <= MAX_RULE_LENGTH:
        raise RuleError(f"AlarmRule must be 1 to {MAX_RULE_LENGTH} characters long")
    rule = _Parser(text).parse()
    if len(rule.children) > MAX_CHILDREN:
        raise RuleError(
            f"Error in AlarmRule [the rule names {len(rule.children)} alarms; at most {MAX_CHILDREN}]"
        )
    return rule


def _evaluate(node: Any, state_of: Callable[[str], str]) -> bool:
    if isinstance(node, bool):
        return node
    if isinstance(node, _State):
        return state_of(node.name) == node.state
    if isinstance(node, _Not):
        return not _evaluate(node.operand, state_of)
    if node.op == "AND":
        return _evaluate(node.left, state_of) and _evaluate(node.right, state_of)
    return _evaluate(node.left, state_of) or _evaluate(node.right, state_of)

"""Wildcard patterns matched in time linear in the value (for a given pattern): the matching engine
behind `tools/iam_policy.py` (``Action``, ``StringLike``, ``Resource``/``ArnLike``).

Why not a plain regex: a policy's pattern becomes ``.*`` per ``*``, and a caller controls the value
it is matched against (the method ARN carries the request path). Python's backtracking engine then
takes time polynomial in the path with the number of stars as the exponent: ``/*/a/*/a/*/a/*/b``
against a 463-character method ARN took seconds (issue 22). Here a pattern is a sequence of tokens:

- ``Lit(text)``: the text itself;
- ``One(excluded)``: any one character but those in ``excluded``;
- ``Star(excluded)``: any run (possibly empty) of characters none of which is in ``excluded``.

An empty ``excluded`` is IAM's ``*``/``?``; ``frozenset(":")`` is a wildcard that stays inside one
colon-delimited segment of an ARN. :func:`compile_pattern` turns tokens into a matcher:

1. Usually one regex, run by ``re`` in C, in which every ``*`` but the last is an atomic group
   ``(?>X*?<the text up to the next star>)``: it takes the leftmost place where that text fits and
   never tries another (what CPython's own ``fnmatch`` does). Each group scans forward from where
   the previous one ended, so a match costs O(len(value) x len(pattern)). The leftmost place is
   always right when every star accepts any character: the text between two stars has a fixed
   length, and an earlier place leaves a longer rest for the next star. It is also right for a star
   that excludes ``:`` preceded by a star that excludes ``:`` (the places such a star can reach lie
   in one colon-free run, or, when the text before the next star has a colon, there is only one),
   provided no wildcard before that colon accepts one; :func:`compile_pattern` checks exactly
   these conditions.
2. Otherwise (a segment-final ``*`` of an ARN followed by a mid-segment one, or any exclusion other
   than ``:``), a bit-parallel NFA in Python: one pass over the value, O(len(value)) big-int
   operations. Slower per character than ``re``, never super-linear.

Both give exactly the answers the plain regex (``.*``/``[^:]*``/``.``/``[^:]``, fully matched)
gives: tests/unit/tools/test_iam_wildcards.py compares them on generated patterns and values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

ANY: frozenset[str] = frozenset()
NOT_COLON: frozenset[str] = frozenset(":")


# Frozen dataclasses, not NamedTuples: a tuple pattern is an lru_cache key, and One(ANY) and
# Star(ANY) would be equal tuples.
@dataclass(frozen=True, slots=True)
class Lit:
    text: str


@dataclass(frozen=True, slots=True)
class One:
    excluded: frozenset[str]


@dataclass(frozen=True, slots=True)
class Star:
    excluded: frozenset[str]


Token = Lit | One | Star
Matcher = Callable[[str], bool]


@lru_cache(maxsize=2048)
def compile_pattern(tokens: tuple[Token, ...], ignore_case: bool = False) -> Matcher:
    """A function telling whether a value matches the whole pattern. ``ignore_case`` compares as
    ``re.IGNORECASE`` does; it is only for patterns whose wildcards exclude nothing (``Action``
    patterns), which always take the regex path."""
    regex = leftmost_regex(tokens)
    if regex is None:
        if ignore_case:
            raise ValueError("ignore_case needs a pattern whose wildcards exclude nothing")
        return _Nfa(tokens).match
    compiled = re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))
    return lambda value: compiled.fullmatch(value) is not None


def leftmost_regex(tokens: Sequence[Token]) -> str | None:
    """The atomic-group regex of the module docstring, or None when the leftmost rule would not
    be exact for this pattern (then the NFA matches it)."""
    chunks: list[list[Lit | One]] = [[]]  # the fixed-length runs around the stars
    stars: list[frozenset[str]] = []
    after_star = False
    for token in tokens:
        if isinstance(token, Star):
            if after_star:  # `**`: one star accepting what either accepts
                stars[-1] = stars[-1] & token.excluded
            else:
                stars.append(token.excluded)
                chunks.append([])
            after_star = True
        else:
            chunks[-1].append(token)
            after_star = False
    for index, excluded in enumerate(stars):
        if not excluded:
            continue
        if excluded != NOT_COLON or (index > 0 and stars[index - 1] != NOT_COLON):
            return None
        if index > 0 and _accepts_colon_before_a_colon(chunks[index]):
            return None
    body = "".join(_fixed(chunk) for chunk in chunks[:1])
    for excluded, chunk in zip(stars[:-1], chunks[1:-1], strict=True):
        body += f"(?>{_class(excluded)}*?{_fixed(chunk)})"
    if stars:
        body += _class(stars[-1]) + "*" + _fixed(chunks[-1])
    return body


def _accepts_colon_before_a_colon(chunk: list[Lit | One]) -> bool:
    """Does a wildcard before the chunk's first literal colon accept a colon?"""
    for token in chunk:
        if isinstance(token, Lit):
            if ":" in token.text:
                return False
        elif ":" not in token.excluded:
            return True
    return False


def _fixed(chunk: list[Lit | One]) -> str:
    return "".join(re.escape(t.text) if isinstance(t, Lit) else _class(t.excluded) for t in chunk)


def _class(excluded: frozenset[str]) -> str:
    if not excluded:
        return "."
    return "[^" + "".join(re.escape(c) for c in sorted(excluded)) + "]"


class _Nfa:
    """Shift-and over the pattern's characters: bit i of the state says that the first i elements
    have matched a prefix of the value. A star at element i moves to i + 1 without consuming, and
    loops on i + 1 for each character it accepts (consecutive stars are merged, so one step of
    that closure is enough)."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        elements: list[Token] = []  # one character each (a star: any run)
        for token in tokens:
            if isinstance(token, Lit):
                elements.extend(Lit(char) for char in token.text)
            elif isinstance(token, Star) and elements and isinstance(elements[-1], Star):
                elements[-1] = Star(elements[-1].excluded & token.excluded)
            else:
                elements.append(token)
        self._size = len(elements)
        self._literal: dict[str, int] = {}
        self._one: dict[frozenset[str], int] = {}
        self._loop: dict[frozenset[str], int] = {}
        self._stars = 0
        for index, element in enumerate(elements):
            if isinstance(element, Star):
                self._stars |= 1 << index
                self._loop[element.excluded] = self._loop.get(element.excluded, 0) | 1 << (index + 1)
            elif isinstance(element, One):
                self._one[element.excluded] = self._one.get(element.excluded, 0) | 1 << index
            else:
                self._literal[element.text] = self._literal.get(element.text, 0) | 1 << index

    def match(self, value: str) -> bool:
        stars = self._stars
        state = 1 | (1 & stars) << 1
        for char in value:
            one = self._literal.get(char, 0)
            for excluded, bits in self._one.items():
                if char not in excluded:
                    one |= bits
            loop = 0
            for excluded, bits in self._loop.items():
                if char not in excluded:
                    loop |= bits
            state = ((state & one) << 1) | (state & loop)
            state |= (state & stars) << 1
            if not state:
                return False
        return bool(state >> self._size & 1)

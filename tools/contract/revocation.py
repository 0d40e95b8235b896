"""The `revocation:` section: what a token issued before its session ended gets afterwards.

    revocation:
      endpoint: POST /session/signout
      ended_by:
        sign_out: the product's sign-out of one session
        ...
      modes:
        lambda: {answer: deny_401, within_seconds: {sign_out: 5, ...}, elsewhere: "..."}
        user_pool: {answer: allow, until: "..."}
        iam: {answer: allow, until: "..."}

`ended_by` names the ways a session ends (exactly ENDED_BY, each with a description); `modes` says,
per auth mode the routes use, the outcome word an already-issued token gets afterwards. A mode
that refuses it promises `within_seconds` per way (the bound on the local stack, real clock) and
says in `elsewhere` how the bound follows from an environment's settings; a mode that keeps
accepting it says `until` when that stops. The sign-out `endpoint` is part of the API but is not a
route of the contract (no route may claim its method and path): a probe must never sign its own
users out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.config import AUTH_MODES
from tools.contract.cells import OUTCOMES
from tools.contract.routes import ROUTES
from tools.contract.schema import ContractError, Parsed, Section, mapping, only
from tools.matrix import ALLOW, Expectation

ENDED_BY = ("sign_out", "sign_out_everywhere", "disabled", "regrouped")
_KEYS = {"endpoint", "ended_by", "modes"}
_REFUSING_KEYS = {"answer", "within_seconds", "elsewhere"}
_ACCEPTING_KEYS = {"answer", "until"}


@dataclass(frozen=True)
class ModePromise:
    mode: str
    answer: Expectation  # what an already-issued token gets once its session ended
    within_seconds: dict[str, float]  # refusing modes: the local stack's bound, per way it ended
    words: str  # `elsewhere` (refusing) or `until` (accepting): the bound in plain words


@dataclass(frozen=True)
class RevocationPromise:
    method: str
    path: str
    ended_by: dict[str, str]
    modes: dict[str, ModePromise]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ContractError(f"{where}: expected a sentence")
    return value


def _mode(mode: str, raw: Any, where: str) -> ModePromise:
    spec = mapping(raw, where)
    word = spec.get("answer")
    if word not in OUTCOMES:
        raise ContractError(f"{where}.answer: expected one of {sorted(OUTCOMES)}, got {word!r}")
    answer = OUTCOMES[word]
    if answer == ALLOW:
        only(spec, _ACCEPTING_KEYS, where)
        return ModePromise(mode, answer, {}, _text(spec.get("until"), f"{where}.until"))
    only(spec, _REFUSING_KEYS, where)
    within = mapping(spec.get("within_seconds"), f"{where}.within_seconds")
    if set(within) != set(ENDED_BY):
        raise ContractError(f"{where}.within_seconds: give a bound for exactly {list(ENDED_BY)}")
    bounds: dict[str, float] = {}
    for way, seconds in within.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise ContractError(f"{where}.within_seconds.{way}: a positive number of seconds")
        bounds[way] = float(seconds)
    return ModePromise(mode, answer, bounds, _text(spec.get("elsewhere"), f"{where}.elsewhere"))


def read_revocation(value: Any, where: str, earlier: Parsed) -> RevocationPromise:
    spec = mapping(value, where)
    only(spec, _KEYS, where)
    endpoint = _text(spec.get("endpoint"), f"{where}.endpoint").split()
    if len(endpoint) != 2 or endpoint[0] != "POST" or not endpoint[1].startswith("/"):
        raise ContractError(f"{where}.endpoint: expected 'POST /path', got {spec.get('endpoint')!r}")
    method, path = endpoint
    for route in earlier[ROUTES].values():
        if route.path == path and method in route.methods:
            raise ContractError(
                f"{where}.endpoint: {method} {path} is route {route.name}; the sign-out must not be a "
                "contract cell (the live matrix calls every cell, and must never sign its users out)"
            )
    ended = mapping(spec.get("ended_by"), f"{where}.ended_by")
    if list(ended) != list(ENDED_BY):
        raise ContractError(f"{where}.ended_by: expected exactly {list(ENDED_BY)}, in that order")
    ended_by = {way: _text(text, f"{where}.ended_by.{way}") for way, text in ended.items()}
    modes_raw = mapping(spec.get("modes"), f"{where}.modes")
    used = {r.auth for r in earlier[ROUTES].values()}
    if set(modes_raw) != used or not set(modes_raw) <= set(AUTH_MODES):
        raise ContractError(f"{where}.modes: expected exactly the modes the routes use, {sorted(used)}")
    modes = {m: _mode(m, raw, f"{where}.modes.{m}") for m, raw in modes_raw.items()}
    return RevocationPromise(method, path, ended_by, modes)


REVOCATION = Section("revocation", read_revocation)

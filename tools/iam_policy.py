"""The project's one IAM policy evaluator (dependency-free).

Why it exists: API Gateway decides two of the product's three modes by evaluating an IAM policy
(the identity-pool role's policies in iam mode, the policy a Lambda TOKEN authorizer returns in
lambda mode), and the static access matrix (`tools/matrix.py`) must reach the same verdict without
any AWS at hand. Both call :func:`evaluate`. The emulator's role trust checks
(`local/cognito_identity/trust.py`) match actions and conditions with :func:`action_matches` and
:func:`conditions_hold`, so every IAM semantic lives here once. It sits in `tools/` because
`local/` depends on `tools/`, never the other way.

Contract (AWS's documented evaluation logic for a single account, identity-based policies only):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

* An explicit ``Deny`` in any statement of any policy wins; otherwise any matching ``Allow``
  allows; otherwise the request is implicitly denied.
* ``Action``/``NotAction`` match case-insensitively with ``*`` and ``?`` wildcards. Every
  wildcard match runs in time linear in the value (`tools/iam_wildcards.py`): the value is often
  the caller's (the request path is in the method ARN).
* ``Resource``/``NotResource`` match ARNs the way ``ArnLike`` does: each of the six
  colon-delimited segments separately and case-sensitively, ``*`` matching any run of characters
  inside its segment (so it spans ``/`` in an execute-api resource path) and ``?`` one character;
  a ``*`` that ends a segment may extend past the colons after it (``arn:aws:execute-api:*``,
  ``arn:aws:execute-api:*:abc123/*``); a ``*`` inside a segment never crosses a colon.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
* ``Condition``: every operator in the block, every key under an operator, must hold; several
  values for one key are OR-ed (for negated operators: the context value must match none, a NOR).
  Without a ``ForAnyValue:``/``ForAllValues:`` qualifier a multivalued context key holds for a
  positive operator when any of its values matches, for a negated one when none of them does.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
  Operators: String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress/NotIpAddress (IPv4 and IPv6
  CIDRs), Arn*, Null; ``ForAnyValue:``/``ForAllValues:`` prefixes; ``...IfExists`` suffix. A key
  missing from the request context makes a positive operator false and a negated one true
  (``IfExists`` makes it true, ``ForAllValues`` true, ``ForAnyValue`` false).
* Policy variables (``${aws:SourceIp}``, ``${cognito-identity.amazonaws.com:sub}``,
  ``${key, 'default'}``, ``${*}``/``${?}``/``${$}``) are substituted in ``Resource`` and condition
  values when the policy's ``Version`` is ``2012-10-17``; a variable with no value makes that
  pattern match nothing.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
* An unknown condition operator cannot occur in a policy IAM accepted; for documents that never
  went through IAM (a Lambda authorizer's output) we fail closed: an ``Allow`` statement carrying
  one does not apply, a ``Deny`` statement carrying one does. :func:`validate` reports such
  problems so callers can refuse the document outright. Structural errors (no ``Statement``, an
  ``Effect`` other than ``Allow``/``Deny``, neither ``Action`` nor ``NotAction``) raise
  :class:`PolicyError`.
* ``Principal``/``NotPrincipal`` are ignored: these are identity-based policies.
"""

from __future__ import annotations

import base64
import binascii
import enum
import ipaddress
import json
import math
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tools import iam_wildcards as wildcards

__all__ = [
    "Decision",
    "Effect",
    "PolicyError",
    "action_matches",
    "conditions_hold",
    "evaluate",
    "load_document",
    "method_arn",
    "validate",
]

VARIABLES_VERSION = "2012-10-17"
_SET_PREFIXES = ("forallvalues:", "foranyvalue:")
_IF_EXISTS = "ifexists"


class PolicyError(ValueError):
    """The document is not an IAM policy this evaluator can reason about."""


class Effect(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True)
class Decision:
    """The verdict plus what decided it (for logs: the statement ``Sid`` or its position)."""

    effect: Effect
    sid: str | None = None
    statement: str | None = None  # "<policy index>.<statement index>" of the deciding statement
    warnings: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW


def method_arn(*, region: str, account_id: str, api_id: str, stage: str, http_method: str, path: str) -> str:
    """The execute-api ARN API Gateway authorizes a request against.

    ``arn:aws:execute-api:<region>:<account>:<api_id>/<stage>/<METHOD>/<path without leading slash>``
    (the root resource ends in ``/<METHOD>/``).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
    """
    return (
        f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{http_method.upper()}/{path.lstrip('/')}"
    )


# --- documents ---------------------------------------------------------------------------------


def load_document(document: Mapping[str, Any] | str) -> dict[str, Any]:
    """Accept a policy as a mapping or as JSON text (IAM returns it URL-encoded on the wire)."""
    if isinstance(document, Mapping):
        return dict(document)
    if not isinstance(document, str):
        raise PolicyError(f"a policy document must be a JSON object or text, not {type(document).__name__}")
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = urllib.parse.unquote(text)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"policy document is not valid JSON: {exc.msg}") from exc
    if not isinstance(parsed, dict):
        raise PolicyError("a policy document must be a JSON object")
    return parsed


def _as_list(value: Any, what: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str | int | float | bool):
        return [value]
    raise PolicyError(f"{what} must be a string or a list, not {type(value).__name__}")


@dataclass(frozen=True)
class _Statement:
    sid: str | None
    effect: str
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    condition: Mapping[str, Any]
    variables: bool
    where: str


def _statements(document: Mapping[str, Any], policy_index: int) -> list[_Statement]:
    if "Statement" not in document:
        raise PolicyError("policy has no Statement")
    variables = str(document.get("Version", "")) == VARIABLES_VERSION
    raw = document["Statement"]
    raw_list = raw if isinstance(raw, list) else [raw]
    out: list[_Statement] = []
    for index, stmt in enumerate(raw_list):
        where = f"{policy_index}.{index}"
        if not isinstance(stmt, Mapping):
            raise PolicyError(f"statement {where} is not an object")
        effect = stmt.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"statement {where}: Effect must be 'Allow' or 'Deny', not {effect!r}")
        if ("Action" in stmt) == ("NotAction" in stmt):
            raise PolicyError(f"statement {where}: exactly one of Action and NotAction is required")
        if ("Resource" in stmt) == ("NotResource" in stmt):
            raise PolicyError(f"statement {where}: exactly one of Resource and NotResource is required")
        action_key = "Action" if "Action" in stmt else "NotAction"
        resource_key = "Resource" if "Resource" in stmt else "NotResource"
        condition = stmt.get("Condition") or {}
        if not isinstance(condition, Mapping):
            raise PolicyError(f"statement {where}: Condition must be an object")
        sid = stmt.get("Sid")
        out.append(
            _Statement(
                sid=str(sid) if sid is not None else None,
                effect=str(effect),
                actions=tuple(str(a) for a in _as_list(stmt[action_key], f"statement {where} {action_key}")),
                not_action=action_key == "NotAction",
                resources=tuple(
                    str(r) for r in _as_list(stmt[resource_key], f"statement {where} {resource_key}")
                ),
                not_resource=resource_key == "NotResource",
                condition=condition,
                variables=variables,
                where=where,
            )
        )
    return out


# --- patterns ----------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")


class _Unresolved(Exception):
    """A policy variable had no single string value in the request context."""


def _substitute(text: str, context: Mapping[str, Any], enabled: bool) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_literal_value) parts, resolving ``${...}`` variables.

    Pieces from the policy keep their wildcard meaning; substituted values are literal.
    """
    if not enabled or "${" not in text:
        return [(text, False)]
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        parts.append((text[pos : m.start()], False))
        inner = m.group(1)
        if inner in ("*", "?", "$"):
            parts.append((inner, True))
        else:
            default = _DEFAULT.match(inner)
            key, fallback = (default.group(1), default.group(2)) if default else (inner.strip(), None)
            value = _context_values(context, key)
            if value is not None and len(value) == 1:
                parts.append((value[0], True))
            elif fallback is not None:
                parts.append((fallback, True))
            else:
                raise _Unresolved(key)
        pos = m.end()
    parts.append((text[pos:], False))
    return parts


# Splits a policy piece into its text runs and wildcards: text, wildcard, text, ... (the runs
# possibly empty). Patterns become tokens of tools/iam_wildcards.py, which matches them in time
# linear in the value: a caller controls the value (the request path is in the method ARN), and a
# backtracking regex took seconds on a policy like `.../*/a/*/a/*/a/*/b` (issue 22).
_WILDCARDS = re.compile(r"([*?])")


def _glob_tokens(parts: Iterable[tuple[str, bool]]) -> tuple[wildcards.Token, ...]:
    """``*`` any run of characters, ``?`` any one; substituted values literal."""
    out: list[wildcards.Token] = []
    for piece, literal in parts:
        if literal:
            out.append(wildcards.Lit(piece))
            continue
        for index, run in enumerate(_WILDCARDS.split(piece)):
            if index % 2 == 0:
                out.append(wildcards.Lit(run))
            else:
                out.append(wildcards.Star(wildcards.ANY) if run == "*" else wildcards.One(wildcards.ANY))
    return tuple(out)


def _glob_match(
    pattern: str, value: str, *, context: Mapping[str, Any], variables: bool, ignore_case: bool
) -> bool:
    try:
        parts = _substitute(pattern, context, variables)
    except _Unresolved:
        return False
    return wildcards.compile_pattern(_glob_tokens(parts), ignore_case)(value)


_ARN_SEGMENTS = 6  # arn:partition:service:region:account:resource (the resource keeps its colons)


def _arn_segments(resolved: list[tuple[str, bool]]) -> list[list[tuple[str, bool]]]:
    """Split a resolved pattern at the policy's own colons into at most six segments.

    Substituted variable values are literal and never split; from the sixth segment on, colons
    belong to the resource segment (as in the ARN format).
    """
    segments: list[list[tuple[str, bool]]] = [[]]
    for piece, literal in resolved:
        if literal:
            segments[-1].append((piece, True))
            continue
        chunks = piece.split(":")
        segments[-1].append((chunks[0], False))
        for chunk in chunks[1:]:
            if len(segments) < _ARN_SEGMENTS:
                segments.append([(chunk, False)])
            else:
                segments[-1].append((":" + chunk, False))
    return segments


def _segment_tokens(segment: list[tuple[str, bool]], *, resource: bool) -> list[wildcards.Token]:
    """One pattern segment as tokens.

    Inside the resource segment ``*`` matches any run of characters and ``?`` any one. In the
    segments before it a wildcard stays inside its segment (no ``:``), except a ``*`` that is the
    segment's last character: that one may extend past colon boundaries.
    """
    pieces = [(piece, literal) for piece, literal in segment if piece]
    inside = wildcards.ANY if resource else wildcards.NOT_COLON
    out: list[wildcards.Token] = []
    for index, (piece, literal) in enumerate(pieces):
        if literal:
            out.append(wildcards.Lit(piece))
            continue
        last_piece = index == len(pieces) - 1
        runs = _WILDCARDS.split(piece)
        for pos, run in enumerate(runs):
            if pos % 2 == 0:
                out.append(wildcards.Lit(run))
            elif run == "*":
                # The piece's last character: the split ends with this wildcard and an empty run.
                trailing = last_piece and pos == len(runs) - 2 and runs[-1] == ""
                out.append(wildcards.Star(wildcards.ANY if trailing else inside))
            else:
                out.append(wildcards.One(inside))
    return out


def _arn_match(pattern: str, arn: str, *, context: Mapping[str, Any], variables: bool) -> bool:
    """ArnLike semantics, as the IAM User Guide documents them.

    "IAM JSON policy elements: Resource": wildcards (``*``, ``?``) work within the individual
    segments of an ARN (the parts separated by colons); a ``*`` that is the last character of a
    segment can expand to match beyond the colon boundaries. "IAM JSON policy elements: Condition
    operators" (ARN condition operators): each of the six colon-delimited components is checked
    separately, case-sensitively.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN

    So ``arn:aws:execute-api:us-east-1:*/dev/GET/news`` does not match any API: its ``*`` is not
    at the end of its (account) segment and cannot swallow the account and the API id, while
    ``arn:aws:execute-api:*:abc123/*`` does match API abc123 in any region and account: the
    region's ``*`` ends its segment and extends over the colon. A substituted variable value is
    literal. The resource segment (the sixth) keeps its colons, so there ``*`` spans ``:`` and ``/``.
    """
    try:
        resolved = _substitute(pattern, context, variables)
    except _Unresolved:
        return False
    if resolved == [("*", False)]:
        return True
    tokens: list[wildcards.Token] = []
    for index, segment in enumerate(_arn_segments(resolved)):
        if index:
            tokens.append(wildcards.Lit(":"))
        tokens.extend(_segment_tokens(segment, resource=index == _ARN_SEGMENTS - 1))
    return wildcards.compile_pattern(tuple(tokens))(arn)


# --- conditions --------------------------------------------------------------------------------


def _context_values(context: Mapping[str, Any], key: str) -> list[str] | None:
    """The context value(s) for ``key`` (case-insensitive), as strings; None when absent."""
    wanted = key.lower()
    for k, v in context.items():
        if k.lower() == wanted:
            if v is None:
                return None
            items = list(v) if isinstance(v, list | tuple | set | frozenset) else [v]
            return [_stringify(i) for i in items]
    return None


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _number(text: str) -> float | None:
    try:
        n = float(text)
    except ValueError:
        return None
    return n if math.isfinite(n) else None


def _date(text: str) -> datetime | None:
    epoch = _number(text)
    if epoch is not None:
        return datetime.fromtimestamp(epoch, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ip_match(ctx: str, policy: str) -> bool:
    try:
        address = ipaddress.ip_address(ctx)
        network = ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False
    return address.version == network.version and address in network


def _binary_equals(ctx: str, policy: str) -> bool:
    try:
        return base64.b64decode(ctx, validate=True) == base64.b64decode(policy, validate=True)
    except (binascii.Error, ValueError):
        return ctx == policy


def _compare(ctx: Any, policy: Any, op: str) -> bool:
    if ctx is None or policy is None:
        return False
    result: bool
    if op == "eq":
        result = ctx == policy
    elif op == "lt":
        result = ctx < policy
    elif op == "le":
        result = ctx <= policy
    elif op == "gt":
        result = ctx > policy
    else:
        result = ctx >= policy
    return result


def _numeric(op: str) -> Any:
    return lambda c, p, **_: _compare(_number(c), _number(p), op)


def _dates(op: str) -> Any:
    return lambda c, p, **_: _compare(_date(c), _date(p), op)


def _string_equals(c: str, p: str, *, context: Mapping[str, Any], variables: bool) -> bool:
    try:
        return c == "".join(piece for piece, _ in _substitute(p, context, variables))
    except _Unresolved:
        return False


def _string_equals_ic(c: str, p: str, *, context: Mapping[str, Any], variables: bool) -> bool:
    try:
        return c.casefold() == "".join(piece for piece, _ in _substitute(p, context, variables)).casefold()
    except _Unresolved:
        return False


def _string_like(c: str, p: str, *, context: Mapping[str, Any], variables: bool) -> bool:
    return _glob_match(p, c, context=context, variables=variables, ignore_case=False)


def _arn_like(c: str, p: str, *, context: Mapping[str, Any], variables: bool) -> bool:
    return _arn_match(p, c, context=context, variables=variables)


# base operator (lower case) -> (value matcher, negated)
_OPERATORS: dict[str, tuple[Any, bool]] = {
    "stringequals": (_string_equals, False),
    "stringnotequals": (_string_equals, True),
    "stringequalsignorecase": (_string_equals_ic, False),
    "stringnotequalsignorecase": (_string_equals_ic, True),
    "stringlike": (_string_like, False),
    "stringnotlike": (_string_like, True),
    "numericequals": (_numeric("eq"), False),
    "numericnotequals": (_numeric("eq"), True),
    "numericlessthan": (_numeric("lt"), False),
    "numericlessthanequals": (_numeric("le"), False),
    "numericgreaterthan": (_numeric("gt"), False),
    "numericgreaterthanequals": (_numeric("ge"), False),
    "dateequals": (_dates("eq"), False),
    "datenotequals": (_dates("eq"), True),
    "datelessthan": (_dates("lt"), False),
    "datelessthanequals": (_dates("le"), False),
    "dategreaterthan": (_dates("gt"), False),
    "dategreaterthanequals": (_dates("ge"), False),
    "bool": (lambda c, p, **_: c.lower() == str(p).lower(), False),
    "binaryequals": (lambda c, p, **_: _binary_equals(c, p), False),
    "ipaddress": (lambda c, p, **_: _ip_match(c, p), False),
    "notipaddress": (lambda c, p, **_: _ip_match(c, p), True),
    "arnequals": (_arn_like, False),
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
}


class _UnknownOperator(Exception):
    pass


def _parse_operator(name: str) -> tuple[str | None, str, bool]:
    """Split ``ForAnyValue:StringLikeIfExists`` into (set prefix, base operator, if_exists)."""
    lowered = name.lower()
    prefix = None
    for p in _SET_PREFIXES:
        if lowered.startswith(p):
            prefix, lowered = p[:-1], lowered[len(p) :]
            break
    if_exists = False
    if lowered.endswith(_IF_EXISTS) and lowered != "null":
        if_exists, lowered = True, lowered[: -len(_IF_EXISTS)]
    if lowered != "null" and lowered not in _OPERATORS:
        raise _UnknownOperator(name)
    if lowered == "null" and (prefix or if_exists):
        raise _UnknownOperator(name)
    return prefix, lowered, if_exists


def _missing_key_holds(prefix: str | None, if_exists: bool, negated: bool) -> bool:
    """A key absent from the request context: IfExists/ForAllValues hold, ForAnyValue does not,
    a plain operator holds only when negated."""
    if if_exists or prefix == "forallvalues":
        return True
    if prefix == "foranyvalue":
        return False
    return negated


def _key_holds(
    operator: str, key: str, policy_values: list[Any], context: Mapping[str, Any], variables: bool
) -> bool:
    prefix, base, if_exists = _parse_operator(operator)
    ctx_values = _context_values(context, key)
    policy_strings = [_stringify(v) for v in policy_values]
    if base == "null":
        absent = ctx_values is None or len(ctx_values) == 0
        return any(absent == (p.lower() == "true") for p in policy_strings)
    matcher, negated = _OPERATORS[base]
    if ctx_values is None:
        return _missing_key_holds(prefix, if_exists, negated)

    def one(value: str) -> bool:
        hit = any(matcher(value, p, context=context, variables=variables) for p in policy_strings)
        return not hit if negated else hit

    if prefix == "forallvalues":
        return all(one(v) for v in ctx_values)
    if prefix == "foranyvalue":
        return any(one(v) for v in ctx_values)
    if negated:
        return all(one(v) for v in ctx_values)
    return any(one(v) for v in ctx_values)


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, Any], variables: bool) -> bool:
    """True when every operator/key holds. Raises _UnknownOperator."""
    for operator, keys in condition.items():
        if not isinstance(keys, Mapping):
            raise PolicyError(f"condition operator {operator!r} must map keys to values")
        _parse_operator(str(operator))  # unknown operators are reported even with no keys
        for key, values in keys.items():
            if not _key_holds(
                str(operator), str(key), _as_list(values, f"condition {operator}/{key}"), context, variables
            ):
                return False
    return True


# --- evaluation --------------------------------------------------------------------------------


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """Whether ``action`` matches one of the ``Action`` patterns (case-insensitive, ``*``/``?``)."""
    return any(_glob_match(a, action, context={}, variables=False, ignore_case=True) for a in patterns)


def conditions_hold(
    condition: Mapping[str, Any], context: Mapping[str, Any], *, variables: bool = True
) -> bool:
    """Whether a statement's ``Condition`` block holds in ``context`` (see the module docstring).

    ``variables``: substitute policy variables (true for ``Version`` ``2012-10-17`` documents).
    Raises :class:`PolicyError` for a malformed block or an operator this evaluator does not know,
    so that the caller can fail closed (an Allow does not apply, a Deny does).
    """
    try:
        return _condition_holds(condition, context, variables)
    except _UnknownOperator as exc:
        raise PolicyError(f"unknown condition operator {exc.args[0]!r}") from exc


def _action_matches(stmt: _Statement, action: str) -> bool:
    hit = action_matches(stmt.actions, action)
    return not hit if stmt.not_action else hit


def _resource_matches(stmt: _Statement, resource: str, context: Mapping[str, Any]) -> bool:
    hit = any(_arn_match(r, resource, context=context, variables=stmt.variables) for r in stmt.resources)
    return not hit if stmt.not_resource else hit


def evaluate(
    policies: Iterable[Mapping[str, Any] | str],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """Decide ``action`` on ``resource`` under ``policies`` (see the module docstring).

    ``context`` holds the request's condition keys (``aws:SourceIp``, ``aws:CurrentTime``, ...);
    values are strings, numbers, booleans, datetimes or lists of those.
    """
    ctx: Mapping[str, Any] = context or {}
    allow: tuple[str | None, str] | None = None
    warnings: list[str] = []
    for policy_index, document in enumerate(policies):
        for stmt in _statements(load_document(document), policy_index):
            if not _action_matches(stmt, action) or not _resource_matches(stmt, resource, ctx):
                continue
            try:
                holds = _condition_holds(stmt.condition, ctx, stmt.variables)
            except _UnknownOperator as exc:
                warnings.append(f"statement {stmt.where}: unknown condition operator {exc.args[0]!r}")
                holds = stmt.effect == "Deny"  # fail closed
            if not holds:
                continue
            if stmt.effect == "Deny":
                return Decision(Effect.EXPLICIT_DENY, stmt.sid, stmt.where, tuple(warnings))
            if allow is None:
                allow = (stmt.sid, stmt.where)
    if allow is not None:
        return Decision(Effect.ALLOW, allow[0], allow[1], tuple(warnings))
    return Decision(Effect.IMPLICIT_DENY, None, None, tuple(warnings))


def validate(document: Mapping[str, Any] | str) -> list[str]:
    """Problems that make ``document`` unusable as a policy (empty list when it is fine)."""
    try:
        statements = _statements(load_document(document), 0)
    except PolicyError as exc:
        return [str(exc)]
    problems: list[str] = []
    for stmt in statements:
        for operator, keys in stmt.condition.items():
            try:
                _parse_operator(str(operator))
            except _UnknownOperator:
                problems.append(f"statement {stmt.where}: unknown condition operator {operator!r}")
            if not isinstance(keys, Mapping):
                problems.append(
                    f"statement {stmt.where}: condition operator {operator!r} must map keys to values"
                )
    return problems

"""Group claims of Cognito ID tokens: `cognito:groups`, `cognito:roles`, `cognito:preferred_role`.

Pure functions (no moto), so the rule is unit-tested on its own. The rule is Cognito's documented
one (Developer Guide, "Adding groups to a user pool" → "Assigning precedence values to groups" and
"Role-based access control" → "Using tokens to assign roles to users"):

- `cognito:roles` lists the role ARNs of the user's groups that have a role; it is absent when none do.
- `cognito:preferred_role` is the role of the group with the lowest `Precedence` among the groups
  that have a role. A group without a precedence ranks below every group that has one. When several
  groups share the best precedence they all count: if their roles are the same ARN, that ARN is
  preferred; if they differ, no role is preferred and the claim is absent. If the user has exactly
  one distinct role, that role is preferred whatever the precedences.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GroupInfo:
    """What the token claims need to know about one of the user's groups."""

    name: str
    role_arn: str | None = None
    precedence: int | None = None


def _rank(group: GroupInfo) -> tuple[int, int, str]:
    # Groups without precedence sort after every group that has one.
    if group.precedence is None:
        return (1, 0, group.name)
    return (0, group.precedence, group.name)


def ordered_groups(groups: Iterable[GroupInfo]) -> list[GroupInfo]:
    """The groups by precedence (lowest first; no precedence last), then name: a stable order."""
    return sorted(groups, key=_rank)


def group_names(groups: Iterable[GroupInfo]) -> list[str]:
    """The value of `cognito:groups` (in precedence order, so tokens are deterministic)."""
    return [g.name for g in ordered_groups(groups)]


def role_arns(groups: Iterable[GroupInfo]) -> list[str]:
    """The value of `cognito:roles`: distinct role ARNs, in precedence order."""
    seen: list[str] = []
    for group in ordered_groups(groups):
        if group.role_arn and group.role_arn not in seen:
            seen.append(group.role_arn)
    return seen


def preferred_role(groups: Iterable[GroupInfo]) -> str | None:
    """The value of `cognito:preferred_role`, or None when Cognito would leave the claim out."""
    with_roles = [g for g in groups if g.role_arn]
    if not with_roles:
        return None
    distinct = {g.role_arn for g in with_roles}
    if len(distinct) == 1:
        return with_roles[0].role_arn
    best = min(_rank(g)[:2] for g in with_roles)
    best_roles = {g.role_arn for g in with_roles if _rank(g)[:2] == best}
    if len(best_roles) == 1:
        return next(iter(best_roles))
    return None


def group_claims(groups: Iterable[GroupInfo]) -> dict[str, Any]:
    """`cognito:groups`, `cognito:roles` and `cognito:preferred_role`, each only when it has a value."""
    groups = list(groups)
    claims: dict[str, Any] = {}
    if groups:
        claims["cognito:groups"] = group_names(groups)
    roles = role_arns(groups)
    if roles:
        claims["cognito:roles"] = roles
    preferred = preferred_role(groups)
    if preferred:
        claims["cognito:preferred_role"] = preferred
    return claims

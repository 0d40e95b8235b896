"""Merging a revocation into a user's record (functions/revocation/revocation_core/record.py): what
the authorizer will refuse afterwards, how long the item lives, and that nothing is ever lost."""

from __future__ import annotations

from typing import Any

import pytest
from revocation_core import record
from revocation_core.record import Revocation, merge

LIFETIME = 3630.0  # a 60-minute token + 30 s skew
NOW = 1_800_000_000.0


def _item(before: float | None = None, families: dict[str, Any] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"sub": {"S": "u"}}
    if before is not None:
        item["revoked_before"] = {"N": str(before)}
    if families is not None:
        item["families"] = {"M": {k: {"N": str(v)} for k, v in families.items()}}
    return item


def test_a_global_revocation_of_a_new_user() -> None:
    merged = merge(None, Revocation("u", NOW, None, "GlobalSignOut"), LIFETIME, NOW)
    assert (merged.revoked_before, merged.families, merged.expires_at) == (NOW, {}, int(NOW + LIFETIME))


def test_revoked_before_only_ever_rises() -> None:
    later = merge(_item(before=NOW + 50), Revocation("u", NOW, None, "AdminDisableUser"), LIFETIME, NOW)
    assert later.revoked_before == NOW + 50  # a late (replayed, delayed) event never un-revokes
    assert merge(_item(before=NOW - 50), Revocation("u", NOW, None, "x"), LIFETIME, NOW).revoked_before == NOW


def test_a_family_is_remembered_until_its_last_token_has_expired() -> None:
    merged = merge(_item(before=NOW - 100), Revocation("u", NOW, "fam", "RevokeToken"), LIFETIME, NOW)
    assert merged.families == {"fam": int(NOW + LIFETIME)}
    assert merged.revoked_before == NOW - 100  # kept
    assert merged.expires_at == int(NOW + LIFETIME)


def test_expired_families_are_pruned_and_the_ttl_is_the_latest_horizon() -> None:
    current = _item(families={"gone": NOW - 1, "alive": NOW + 10_000})
    merged = merge(current, Revocation("u", NOW, "new", "RevokeToken"), LIFETIME, NOW)
    assert merged.families == {"alive": int(NOW + 10_000), "new": int(NOW + LIFETIME)}
    assert merged.expires_at == int(NOW + 10_000)


def test_too_many_families_fold_into_a_revocation_of_everything_until_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(record, "MAX_FAMILIES", 3)
    current = _item(families={f"f{i}": NOW + 100 for i in range(3)})
    merged = merge(current, Revocation("u", NOW - 5, "f3", "RevokeToken"), LIFETIME, NOW)
    assert merged.folded
    assert (merged.revoked_before, merged.families) == (NOW, {})  # a superset of the four families
    assert merged.expires_at == int(NOW + LIFETIME)


def test_unreadable_attributes_are_never_dropped() -> None:
    current = {"sub": {"S": "u"}, "revoked_before": {"S": "?"}, "families": {"M": {"odd": {"S": "?"}}}}
    merged = merge(current, Revocation("u", NOW - 10, "fam", "RevokeToken"), LIFETIME, NOW)
    assert merged.revoked_before == NOW  # at least everything until now
    assert set(merged.families) == {"odd", "fam"}

"""Names, run ids, ages and passwords of the principals a live run creates (no service)."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest

from tools.live import principals
from tools.live.principals import Principal


def test_a_name_carries_the_prefix_the_run_and_the_kind_and_parses_back() -> None:
    run_id = principals.new_run_id(datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC))
    assert run_id.startswith("20300506T070809-")
    name = principals.principal_name(run_id, "multi-group")
    assert name == f"fgaverify-{run_id}-multi-group@verify.invalid"
    assert principals.parse_name(name) == (run_id, "multi-group")
    assert principals.parse_name(principals.principal_name(run_id, "external", email=False)) == (
        run_id,
        "external",
    )
    assert principals.run_started(run_id) == datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "name",
    [
        "admin@example.com",
        "fgaverify-admin@verify.invalid",
        "fgaverify-20300506T070809-zzzzzz-admin@verify.invalid",
        "xfgaverify-20300506T070809-abcdef-admin@verify.invalid",
        "fgaverify-20300506T070809-abcdef-admin@example.com",
    ],
)
def test_names_the_run_did_not_make_are_not_its_own(name: str) -> None:
    """The sweeper only ever removes what parses: a real user's name never does."""
    assert principals.parse_name(name) is None


def test_only_runs_older_than_the_age_are_stale() -> None:
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    old = principals.new_run_id(now - timedelta(minutes=61))
    young = principals.new_run_id(now - timedelta(minutes=59))
    assert principals.is_stale(old, timedelta(hours=1), now)
    assert not principals.is_stale(young, timedelta(hours=1), now)
    assert principals.is_stale(young, timedelta(0), now)


def test_passwords_are_random_long_and_have_every_class() -> None:
    seen = {principals.new_password() for _ in range(50)}
    assert len(seen) == 50
    for password in seen:
        assert len(password) >= 32
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(c in "!#%*+-=?^_~" for c in password)
    assert len(principals.new_password(64)) == 64


def test_a_principal_never_shows_its_password() -> None:
    principal = Principal("admin", "fgaverify-x-admin@verify.invalid", "x", password="S3cret!Value")
    assert "S3cret" not in repr(principal)
    assert "S3cret" not in str(principal)


def test_a_principals_records_are_keyed_by_its_sub_and_identity() -> None:
    user = Principal("admin", "u", "r", sub="abc", identity_id="us-east-1:1")
    assert user.record_keys == ["sub#abc", "identity#us-east-1:1"]
    external = Principal("external", "e", "r", external=True, sub="idp-sub", identity_id="us-east-1:2")
    assert external.record_keys == ["identity#us-east-1:2"], "an IdP's sub keys nothing of ours"

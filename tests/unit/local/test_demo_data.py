"""What `make up` seeds: demo users derived from the config, news ids the backend accepts."""

from __future__ import annotations

import importlib

import pytest

from local.demo_data import EXTERNAL, MULTI_GROUP, NO_GROUP, demo_users, news_id
from tools import config
from tools.config import REPO_ROOT


def test_one_user_per_group_plus_no_group_multi_group_and_external() -> None:
    cfg = config.load("local")
    users = {u.name: u for u in demo_users(cfg)}
    for group in cfg.groups:
        assert users[group].groups == (group,)
    assert users[NO_GROUP].groups == ()
    assert len(users[MULTI_GROUP].groups) == 2
    assert users[EXTERNAL].external
    assert not any(u.external for name, u in users.items() if name != EXTERNAL)


def test_multi_group_user_shows_the_precedence_rule() -> None:
    """The pair is chosen so the lower-precedence group is not simply the first one listed."""
    cfg = config.load("local")
    multi = next(u for u in demo_users(cfg) if u.name == MULTI_GROUP)
    precedences = [cfg.groups[g].precedence for g in multi.groups]
    assert precedences[0] > precedences[1]


def test_passwords_are_random_and_meet_the_policy() -> None:
    passwords = [u.password for u in demo_users(config.load("local"))]
    assert len(set(passwords)) == len(passwords)
    for password in passwords:
        assert len(password) >= 12
        assert any(c.islower() for c in password)
        assert any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)
        assert any(not c.isalnum() for c in password)


def test_seeded_news_ids_are_ids_the_news_handler_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO_ROOT / "functions" / "backend"))
    news_records = importlib.import_module("backend_core.news_records")
    ids = [news_id(i) for i in range(3)]
    assert [news_records.check_id(i) for i in ids] == ids
    assert ids == sorted(ids)

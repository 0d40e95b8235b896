""" "Call every route" leaves the demo as seeded, for every demo user (issue 22, point 7).

Every demo user is signed in to a console tab of its own and clicks the button, all at once; the
records table, read through the emulator before and after, is the same, while the calls were really
made: every route answered what the contract promises, each user's profile write answered 2xx (and
was put back), and each `DELETE /news` was aimed at a news item written for that call alone, which
admin's deleted (2xx) (local/console/targets.py).

Sign-in: the hosted UI's authorization-code flow with PKCE for the web client, driven headlessly
(`local.cognito_idp.oauth.code_flow_tokens`), its tokens handed to the tab where the console keeps
them (sessionStorage). Typing into the hosted UI in the browser is what test_console.py checks; here
it would triple the page loads for six users.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

from playwright.sync_api import BrowserContext, Request

from local.cognito_idp.oauth import code_flow_tokens
from tools.live.session import aws_client

from .conftest import Console

#: Where the console keeps the signed-in user's tokens (local/console/static/oauth.js).
TOKENS_KEY = "console.tokens"


def _records(stack: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of the records table, in key order (the demo's table is a handful of items)."""
    db = aws_client(stack, "dynamodb", signed=True)
    items: list[dict[str, Any]] = []
    for page in db.get_paginator("scan").paginate(TableName=stack["tables"]["records"], ConsistentRead=True):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _console_tokens(stack: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """`user`'s tokens from the hosted UI's code flow, with the scopes the console asks for (its
    /config.json: the OIDC scopes and the scope-protected user_pool routes' scopes), in the shape the
    console keeps them."""
    with urlopen(f"{stack['console_url']}/config.json", timeout=10) as answer:  # noqa: S310 - loopback
        scopes = json.load(answer)["scopes"]
    answer = code_flow_tokens(
        stack["emulator_url"],
        stack["user_pool_id"],
        stack["user_pool_client_id"],
        user["username"],
        user["password"],
        list(scopes),
        f"{stack['console_url']}/callback",
    )
    expires_at = int(time.time() * 1000) + int(answer["expires_in"]) * 1000
    return {
        "id": answer["id_token"],
        "access": answer["access_token"],
        "expiresAt": expires_at,
        "user": user["name"],
    }


class _Tab:
    """One demo user's console in a tab of its own, and the API requests it sent."""

    def __init__(self, context: BrowserContext, stack: dict[str, Any], user: dict[str, Any]) -> None:
        self.user = str(user["name"])
        self.page = context.new_page()
        self.console = Console(self.page, stack, [])
        self.page.on("pageerror", lambda exc: self.console.errors.append(str(exc)))
        self.sent: list[Request] = []
        self.page.on("request", lambda r: self.sent.append(r) if r.url.startswith(stack["api_url"]) else None)
        tokens = json.dumps(_console_tokens(stack, user))
        self.page.add_init_script(f"sessionStorage.setItem({TOKENS_KEY!r}, {json.dumps(tokens)})")
        self.page.goto(self.console.url, wait_until="commit")

    def rows(self) -> dict[str, dict[str, str | None]]:
        """Each route row's answer (read in one go: six tabs x thirteen rows)."""
        rows: dict[str, dict[str, str | None]] = self.page.eval_on_selector_all(
            "#route-table tbody tr",
            """rows => Object.fromEntries(rows.map(row => [row.dataset.route, {
                 status: row.dataset.status ?? null,
                 verdict: row.dataset.verdict ?? null,
                 sent: row.dataset.sent ?? null,
               }]))""",
        )
        return rows


def test_call_every_route_leaves_the_records_table_as_seeded_for_every_demo_user(
    context: BrowserContext, console_stack: dict[str, Any]
) -> None:
    stack = console_stack
    users = [u for u in stack["users"] if not u["external"]]  # the external IdP has no hosted UI here
    assert {"admin", "no-group", "multi-group"} <= {u["name"] for u in users}
    tabs = [_Tab(context, stack, user) for user in users]  # the pages load side by side
    for tab in tabs:
        tab.page.wait_for_selector("body[data-ready=true]")
        assert tab.page.inner_text("#whoami").startswith(tab.user)

    before = _records(stack)
    assert any(item["pk"]["S"] == "news" for item in before), "the demo seeds news items"
    for tab in tabs:  # every user's calls in flight together
        tab.page.click("#call-all")
    for tab in tabs:
        tab.page.wait_for_selector("body[data-called-all=true]")
    after = _records(stack)

    assert after == before, f"the records table changed: {[i for i in after if i not in before]}"
    for tab in tabs:
        _check_the_calls_were_made(tab, stack, before)


def _check_the_calls_were_made(tab: _Tab, stack: dict[str, Any], before: list[dict[str, Any]]) -> None:
    """Every route answered as the contract says; the writes were sent and answered."""
    user, rows = tab.user, tab.rows()
    assert tab.console.errors == [], f"{user}: uncaught errors in the page: {tab.console.errors}"
    assert not tab.page.is_visible("#error"), f"{user}: {tab.page.inner_text('#error')}"
    assert set(rows) == set(stack["routes"])
    for route, row in rows.items():
        assert row["verdict"] == "ok", f"{user} {route}: {row}"
    assert rows["cup-post"]["status"] in {"200", "201"}, f"{user}: the profile write did not happen"
    deletes = [r for r in tab.sent if r.method == "DELETE"]
    assert [urlsplit(r.url).path for r in deletes] == [f"{urlsplit(stack['api_url']).path}/news"]
    (item_id,) = parse_qs(urlsplit(deletes[0].url).query)["id"]
    assert item_id not in {item["sk"]["S"] for item in before}  # disposable, not a seeded item
    assert rows["news-delete"]["sent"] == f"DELETE /news?id={item_id}"
    expected = {"200", "204"} if user == "admin" else {"403"}
    assert rows["news-delete"]["status"] in expected, (user, rows["news-delete"])

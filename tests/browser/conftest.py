"""Browser fixtures: one headless Chromium per session (Playwright), a fresh context per test, and
sign-in through the hosted UI the way a person does it (click, type, submit).

The console under test is the one the shared local stack serves (tests/stack_fixture.py: the same
stack the e2e suite uses). Without a Chromium the tests fail with what to install: never skipped.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tools import chromium
from tools.config import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "build" / "browser"
#: Flags that keep a headless Chromium quiet and self-contained on a build machine.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
#: Playwright waits (ms): generous for a loaded 2-core machine; a passing run never waits this long.
TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    try:
        return chromium.find()
    except chromium.ChromiumNotFound as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: Path) -> Iterator[Browser]:
    # launch() gives every browser a fresh temporary --user-data-dir and runs it headless.
    with tempfile.TemporaryDirectory(prefix="chromium-") as downloads:
        instance = playwright.chromium.launch(
            executable_path=str(chromium_path),
            headless=True,
            args=CHROMIUM_ARGS,
            downloads_path=downloads,
        )
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def console_stack(stack: dict[str, Any]) -> dict[str, Any]:
    if not stack.get("console_url"):
        pytest.fail("the stack under test serves no browser console (console_url is missing)", pytrace=False)
    return stack


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@dataclass
class Console:
    """The console in one browser tab, and what the page reported."""

    page: Page
    stack: dict[str, Any]
    errors: list[str]

    @property
    def url(self) -> str:
        return str(self.stack["console_url"])

    def user(self, name: str) -> dict[str, Any]:
        return next(u for u in self.stack["users"] if u["name"] == name)

    def open(self, url: str | None = None) -> None:
        self.page.goto(url or self.url)
        self.page.wait_for_selector("body[data-ready=true]")

    def sign_in(self, name: str) -> None:
        """Click the user's sign-in button, then type the credentials into the hosted UI's form."""
        user = self.user(name)
        self.open()
        self.page.click(f'#signin button[data-user="{name}"]')
        self.page.wait_for_selector("input[name=username]")
        assert self.page.url.startswith(self.stack["hosted_ui"]), self.page.url
        self.page.fill("input[name=username]", user["username"])
        self.page.fill("input[name=password]", user["password"])
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.url}/")
        self.page.wait_for_selector("body[data-ready=true]")  # set once identity and credentials are shown

    def call(self, route: str) -> dict[str, str]:
        """Click the route's Call button; its row's status, verdict and body once answered."""
        row = self.page.locator(f'#route-table tr[data-route="{route}"]')
        row.locator("button.call").click()
        self.page.wait_for_selector(f'#route-table tr[data-route="{route}"][data-verdict]')
        return {
            "status": str(row.get_attribute("data-status")),
            "verdict": str(row.get_attribute("data-verdict")),
            "expected": row.locator("td.expected").inner_text(),
            "body": row.locator("pre.body").inner_text(),
        }

    def fetch(self, url: str, init: dict[str, Any] | None = None) -> dict[str, Any]:
        """fetch() from the page's origin: {"status", "type", "body"} or {"error"} when the browser
        refuses to expose the response (CORS) or the request fails."""
        result: dict[str, Any] = self.page.evaluate(
            """async ([url, init]) => {
                 try {
                   const r = await fetch(url, init);
                   return {status: r.status, type: r.type, body: r.type === "opaque" ? null : await r.text()};
                 } catch (e) {
                   return {error: `${e.name}: ${e.message}`};
                 }
               }""",
            [url, init or {}],
        )
        return result

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def console(context: BrowserContext, console_stack: dict[str, Any]) -> Iterator[Console]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield Console(page, console_stack, errors)
    assert errors == [], f"uncaught errors in the page: {errors}"

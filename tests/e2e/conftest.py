"""Playwright (Python) driving Debian's Chromium against the running app."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlmodel import Session, select

from crm_app.db import get_engine, write_session
from crm_app.models import User
from crm_app.services.auth import Actor
from tests.apprunner import ROOT, RunningApp

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORDS = {"admin": "admin1234"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                               args=CHROMIUM_ARGS)
        yield b
        b.close()


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


class AppPage:
    """A browser context on the app, collecting page errors (framework errors fail the test)."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def goto(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def login(self, username: str, password: str | None = None, landing: str = "/raw-leads") -> Page:
        """Log in (which lands on the dashboard), then open `landing` — the list, by default."""
        page = self.goto("/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password or DEMO_PASSWORDS.get(username, "demo1234"))
        page.locator("#login-submit").click()
        expect(page.locator("#current-user")).to_be_attached(timeout=20_000)
        if landing:
            self.goto(landing)
            expect(page.locator("#current-user")).to_be_attached(timeout=20_000)
        return page

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def app_page_factory(browser: Browser, running_app: RunningApp, request: pytest.FixtureRequest
                     ) -> Iterator:
    made: list[AppPage] = []

    def make(viewport: tuple[int, int] = (1366, 860)) -> AppPage:
        ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  locale="vi-VN")
        ctx.set_default_timeout(15_000)
        ap = AppPage(ctx, running_app.base_url)
        made.append(ap)
        return ap

    yield make
    failed = request.node.stash.get(_FAILED, False)
    for i, ap in enumerate(made):
        if failed:
            safe = re.sub(r"[^\w.-]", "_", request.node.name)
            ap.screenshot(f"FAILED-{safe}-{i}")
        ap.context.close()
    if not failed:
        errors = [e for ap in made for e in ap.errors]
        assert not errors, f"page errors in the browser: {errors}"


@pytest.fixture
def app_page(app_page_factory) -> AppPage:  # type: ignore[no-untyped-def]
    return app_page_factory()


@contextmanager
def acting_as(running_app: RunningApp, username: str) -> Iterator[tuple[Session, Actor]]:
    """A write session on the running app's database and one of its users, to set up records as
    that user before the browser opens (committed on leaving the block)."""
    with write_session(get_engine(running_app.database_url)) as session:
        yield session, Actor.of(session.exec(select(User).where(User.username == username)).one())


def open_as(app_page_factory: Callable[..., AppPage], username: str, landing: str,
            viewport: tuple[int, int] = (1366, 860)) -> tuple[AppPage, Page]:
    """A new browser page (1366 px wide unless `viewport` says), logged in as `username`, on `landing`."""
    app_page = app_page_factory(viewport)
    return app_page, app_page.login(username, landing=landing)

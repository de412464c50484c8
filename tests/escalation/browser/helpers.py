"""What the console's browser tests are made of: the app and its database, a child on the web
chat, a colleague on the JSON API, and small Selenium helpers that wait instead of sleeping.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import httpx

from escalation.accounts import create_user
from store.db import create_engine, session_factory
from tests.escalation.browser.live import LiveServer

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = ROOT / "docs" / "console.png"
PASSWORD = "a long enough password"
HIGH_RISK_TEXT = "ozumu oldurmek isteyirem bu gece"
WAIT = 20  # seconds: generous for a loaded CI machine; never an assertion on elapsed time


# -- the app and its database ------------------------------------------------------------


def run(coroutine):
    return asyncio.run(coroutine)


async def add_users(url: str, users: dict[str, str]) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            ids = {}
            for username, role in users.items():
                ids[username] = (await create_user(session, username, PASSWORD, role)).id
            return ids
    finally:
        await engine.dispose()


async def execute(url: str, statement) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(statement)
    finally:
        await engine.dispose()


async def query(url: str, statement):
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(statement)).scalars())
    finally:
        await engine.dispose()


def build_app(settings):
    from bot.bootstrap import build_container
    from bot.web.app import create_app
    from escalation.console import build_console_router
    from escalation.routers import ROUTER_BUILDERS

    container = build_container(settings)
    if getattr(container, "auth", None) is None:  # until the composition root builds it
        from escalation.auth import StaffAuth

        container.auth = StaffAuth(
            sessions=container.sessions,
            backend=container.backend,
            clock=container.clock,
            idle_minutes=settings.session_idle_minutes,
            cipher=container.cipher,
        )
    builders = list(ROUTER_BUILDERS)
    if build_console_router not in builders:
        builders.append(build_console_router)
    container.extra_routers.extend(b for b in builders if b not in container.extra_routers)
    return create_app(container)


# -- people -------------------------------------------------------------------------------


class Child:
    """A child on the web chat, through its public API (cookie session)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.http.post("/api/chat/session").raise_for_status()

    def say(self, text: str) -> None:
        self.http.post(
            "/api/chat/messages", json={"id": uuid.uuid4().hex, "text": text}
        ).raise_for_status()

    def send_media(self, server: LiveServer, kind: str) -> None:
        """A photo or voice note: the web chat cannot send one, Telegram can; same entry point."""
        from bot.messages import InboundMessage

        token = self.http.cookies["helpline_chat"]
        inbound = InboundMessage("webchat", token, token, kind, attachment="telegram-file-id")
        server.call(server.container.core.handle(inbound))

    def history(self) -> list[dict]:
        response = self.http.get("/api/chat/history")
        response.raise_for_status()
        return response.json()["messages"]

    def close(self) -> None:
        self.http.close()


class Staff:
    """A colleague working through the JSON API (the second pair of hands in a scenario)."""

    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        response = self.http.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        response.raise_for_status()
        self.http.headers["X-CSRF-Token"] = response.json()["csrf_token"]

    def post(self, path: str, body: dict | None = None) -> httpx.Response:
        return self.http.post(path, json=body or {})

    def close(self) -> None:
        self.http.close()


# -- the browser ---------------------------------------------------------------------------


def wait_for(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # the page is changing under us: try again
            last_error = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error!r})")


def css(driver, selector: str):
    return driver.find_elements("css selector", selector)


def visible(driver, element_id: str) -> bool:
    found = css(driver, f"#{element_id}")
    return bool(found) and found[0].is_displayed()


def click(driver, selector: str, what: str) -> None:
    """Find and click in one go, again if a live refresh replaced the element meanwhile."""

    def attempt():
        found = css(driver, selector)
        if found and found[0].is_displayed():
            found[0].click()
            return True
        return False

    wait_for(attempt, what)


def sign_in(driver, base_url: str, username: str) -> None:
    driver.get(f"{base_url}/console")
    wait_for(lambda: visible(driver, "login-form"), "the sign-in form")
    driver.find_element("id", "login-username").send_keys(username)
    driver.find_element("id", "login-password").send_keys(PASSWORD)
    driver.find_element("id", "login-submit").click()
    wait_for(lambda: visible(driver, "app-view"), "the console after signing in")


def select_value(driver, element_id: str, value: str) -> None:
    from selenium.webdriver.support.select import Select

    Select(driver.find_element("id", element_id)).select_by_value(value)


def transcript_texts(driver, sender: str) -> list[str]:
    return [node.text for node in css(driver, f"#transcript .msg.{sender}")]


def screenshot(driver) -> None:
    if os.environ.get("HELPLINE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        driver.save_screenshot(str(SCREENSHOT))


def snap(driver, name: str) -> None:
    """Step pictures for looking at a run (HELPLINE_SCREENSHOT_DIR=/some/dir), e.g. a CI failure."""
    folder = os.environ.get("HELPLINE_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def console_errors(driver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
    ]

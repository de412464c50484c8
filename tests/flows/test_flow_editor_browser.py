"""The flow editor in a real headless Chromium (Selenium + Debian's chromium/chromedriver):
edit a message in the form, see a validation error, fix it, try it in the simulator, publish,
and see the new text served to a child. Skips when Chromium is not installed."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass

import pytest
from fastapi import FastAPI, Header, HTTPException
from flow_chat import analysis

from flows.editor import InMemoryFlowRepository, build_editor_router, seed_defaults
from flows.editor.repository import published_sources
from flows.library import FlowLibrary
from flows.loader import load_flowset
from flows.runner import FlowRunner
from flows.types import FlowEvent, FlowState

CHROMEDRIVER = shutil.which("chromedriver")
IN_CI = os.environ.get("CI") == "true"
if not CHROMEDRIVER and IN_CI:
    raise RuntimeError("CI must have chromium and chromium-driver installed")
pytestmark = pytest.mark.skipif(not CHROMEDRIVER, reason="chromedriver is not installed")
TOKEN = "browser-csrf"


@dataclass
class User:
    username: str = "aygun"
    role: str = "editor"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    import uvicorn

    repository = InMemoryFlowRepository()
    asyncio.run(seed_defaults(repository))
    library = FlowLibrary(load_flowset(asyncio.run(published_sources(repository))))

    async def analyze(text, context):
        return analysis(language=context["language"])

    async def on_published(flow_id, version):
        found = await repository.get(flow_id, version)
        library.install(flow_id, found.source, version)

    def require_csrf(x_csrf_token: str | None = Header(default=None)) -> None:
        if x_csrf_token != TOKEN:
            raise HTTPException(403, "CSRF")

    app = FastAPI()
    app.include_router(
        build_editor_router(
            repository=repository,
            require_editor=lambda: User(),
            analyze=analyze,
            on_published=on_published,
            require_csrf=require_csrf,
            csrf_token=lambda request: TOKEN,
        )
    )
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if uv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", repository, library
    uv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    chromium = shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1400, 1000)
    yield driver
    driver.quit()


def test_edit_try_and_publish_a_message_in_the_browser(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, repository, library = server
    wait = WebDriverWait(browser, 15)
    browser.get(f"{base}/flows")
    browser.find_element(By.CSS_SELECTOR, 'a[data-flow="welcome"]').click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "No problems"))

    # Edit the English promise in the form; a stray {name} is an error staff can read.
    box = browser.find_element(By.CSS_SELECTOR, 'fieldset[data-step="promise"] textarea.text-en')
    box.clear()
    box.send_keys("You are safe here, {name}.")
    wait.until(ec.text_to_be_present_in_element((By.ID, "errors"), "{name}"))
    assert "problem" in browser.find_element(By.ID, "status").text
    box.send_keys("\b" * len(" {name}.") + ".")
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "No problems"))
    assert "You are safe here," in browser.find_element(By.ID, "yaml").get_attribute("value")

    # Try it in the simulator, in English.
    browser.find_element(By.CSS_SELECTOR, "#sim-language option[value=en]").click()
    browser.find_element(By.ID, "sim-restart").click()
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, '.sim-button[data-data$=":en"]')))
    browser.find_element(By.CSS_SELECTOR, '.sim-button[data-data$=":en"]').click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "sim-log"), "You are safe here,"))

    # Publish it, and a child who starts now sees it.
    browser.find_element(By.ID, "note").send_keys("shorter promise")
    browser.find_element(By.ID, "publish").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "publish-result"), "version 2"))
    stored = asyncio.run(repository.get("welcome"))
    assert (stored.version, stored.author, stored.note) == (2, "aygun", "shorter promise")
    runner = FlowRunner(library)
    result = runner.step(FlowState(), FlowEvent(kind="command", command="start"))
    result = runner.step(result.state, FlowEvent(kind="button", button="f:welcome:language:en"))
    assert result.replies[0].text.startswith("You are safe here,")

    # The history page shows the diff and rolls back.
    browser.get(f"{base}/flows/welcome/history")
    assert "shorter promise" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, 'button.rollback[data-version="1"]').click()
    browser.switch_to.alert.accept()
    wait.until(lambda d: asyncio.run(repository.get("welcome")).version == 3)

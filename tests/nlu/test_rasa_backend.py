"""The Rasa backend against a fake Rasa server on loopback (Rasa's documented /model/parse shape)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nlu import Analyzer, build_analyzer


class FakeRasa:
    def __init__(self) -> None:
        self.mode = "ok"
        self.intent = "violence__cyberbullying"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body})
                if fake.mode == "slow":
                    time.sleep(1.0)
                if fake.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"internal error")
                    return
                if fake.mode == "garbage":
                    payload = b"<html>not json"
                else:
                    payload = json.dumps(
                        {
                            "text": body["text"],
                            "intent": {"name": fake.intent, "confidence": 0.93},
                            "entities": [],
                            "intent_ranking": [
                                {"name": fake.intent, "confidence": 0.93},
                                {"name": "greeting", "confidence": 0.07},
                            ],
                        }
                    ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # keep test output (and message text) quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rasa():
    fake = FakeRasa()
    yield fake
    fake.close()


@pytest.fixture
async def analyzer(rasa):
    a = build_analyzer("rasa", rasa.url, timeout_seconds=0.3)
    yield a
    await a.aclose()


async def test_topic_comes_from_rasa_and_the_request_has_rasas_shape(rasa, analyzer):
    assert isinstance(analyzer, Analyzer)
    a = await analyzer.analyze("sinifdə hamı instada mənə gülür")
    assert (a.category, a.subcategory) == ("violence", "cyberbullying")
    assert not a.needs_human
    assert rasa.requests == [
        {"path": "/model/parse", "body": {"text": "sinifdə hamı instada mənə gülür"}}
    ]


async def test_rasa_never_lowers_the_risk_from_the_rules(rasa, analyzer):
    rasa.intent = "greeting"
    a = await analyzer.analyze("ozumu oldurmek isteyirem")
    assert a.risk.is_urgent
    rasa.intent = "risk_none"
    assert (await analyzer.analyze("bu gece ozumu oldurecem")).risk.level == "imminent"


async def test_rasa_can_raise_the_risk(rasa, analyzer):
    rasa.intent = "risk_high"
    a = await analyzer.analyze("salam")
    assert a.risk.is_urgent


async def test_rasa_fallback_keeps_the_builtin_topic(rasa, analyzer):
    rasa.intent = "nlu_fallback"
    text = "atam məni hər gün kəmərlə döyür"
    builtin = await build_analyzer().analyze(text)
    a = await analyzer.analyze(text)
    assert (a.category, a.subcategory) == (builtin.category, builtin.subcategory)
    assert not a.needs_human


async def test_ask_human_intent_sets_the_flag(rasa, analyzer):
    rasa.intent = "ask_human"
    assert (await analyzer.analyze("hmm")).asks_for_human


@pytest.mark.parametrize("mode", ["error", "slow", "garbage"])
async def test_a_failing_rasa_means_a_human_never_safe(rasa, analyzer, mode):
    rasa.mode = mode
    a = await analyzer.analyze("salam")
    assert a.needs_human
    assert a.risk.is_urgent
    assert any("rasa backend failed" in r for r in a.risk.reasons)


async def test_a_rasa_that_is_down_means_a_human():
    analyzer = build_analyzer("rasa", "http://127.0.0.1:9", timeout_seconds=0.3)
    try:
        a = await analyzer.analyze("salam")
    finally:
        await analyzer.aclose()
    assert a.needs_human and a.risk.is_urgent


async def test_builtin_backend_is_async_too():
    a = await build_analyzer().analyze("i want to die")
    assert a.risk.is_urgent


def test_unknown_backend_and_missing_url_are_refused():
    with pytest.raises(ValueError):
        build_analyzer("spacy")
    with pytest.raises(ValueError):
        build_analyzer("rasa")

"""A fake Telegram Bot API server on loopback that a real aiogram Bot talks to.

Point HELPLINE_TELEGRAM_API_BASE (Settings.telegram_api_base) at `server.base_url`. It answers
/bot{token}/{method} for getMe, getUpdates (long poll, honours offset), sendMessage,
answerCallbackQuery, setWebhook, deleteWebhook; records every call; and can answer the next N
calls of a method with 429 (retry_after), a 5xx, or slowly. Used by the tests and bench/e2e.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry later",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
# Fields that are strings even when they look like JSON ("42", "true").
STRING_FIELDS = frozenset({"text", "caption", "callback_query_id", "url", "secret_token"})


@dataclass
class Call:
    method: str
    token: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup") or {}
        return [
            (button["text"], button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    delay: float = 0.0
    description: str = ""


class FakeTelegram:
    def __init__(self, *, token: str | None = None, bot_username: str = "helpline_test_bot"):
        self.token = token  # when set, other tokens get 401
        self.bot_username = bot_username
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] | None = None
        self.confirmed_offset = 0  # every update below it was acknowledged by getUpdates
        self.on_send: Callable[[Call], None] | None = None  # bench: timestamps replies
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1000
        self._next_message_id = 1
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        self._faults: dict[str, list[Fault | None]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # -- scripting ------------------------------------------------------------------------------

    async def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; assigns update_id when missing."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self._updates.append(update)
        await self._notify()
        return update["update_id"]

    def fail_next(
        self,
        method: str,
        count: int = 1,
        *,
        status: int = 500,
        retry_after: int | None = None,
        after: int = 0,
    ) -> None:
        """After `after` normal calls, the next `count` calls of `method` get an error: 429 with
        retry_after, a 5xx, 403 (the child blocked the bot), 400."""
        description = DESCRIPTIONS.get(status, "Error")
        self._script(method, after, [Fault(status, retry_after, description=description)] * count)

    def slow_next(self, method: str, count: int = 1, *, seconds: float, after: int = 0) -> None:
        """The next `count` calls of `method` answer normally, but only after `seconds`."""
        self._script(method, after, [Fault(200, delay=seconds)] * count)

    def _script(self, method: str, after: int, faults: list[Fault]) -> None:
        self._faults.setdefault(method, []).extend([None] * after + faults)

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.method == method and (chat_id is None or call.chat_id == chat_id)
        ]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages successfully sent (a faulted call is recorded but not sent)."""
        return [
            call
            for call in self.calls_to("sendMessage", chat_id)
            if call.params.get("_status") == 200
        ]

    async def wait_for(
        self, predicate: Callable[[FakeTelegram], bool], timeout: float = 10.0
    ) -> None:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self))

        await asyncio.wait_for(until(), timeout)

    async def wait_sent(self, count: int, chat_id: int | None = None, timeout: float = 10.0):
        await self.wait_for(lambda server: len(server.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    # -- the API --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await _params(request)
        call = Call(method, token, params)
        self.calls.append(call)
        fault = self._take_fault(method)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
            fault = None
        if fault is not None:
            params["_status"] = fault.status
            await self._notify()
            return _error(fault)
        if self.token is not None and token != self.token:
            params["_status"] = 401
            await self._notify()
            return _error(Fault(401, description="Unauthorized"))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            params["_status"] = 404
            await self._notify()
            return _error(Fault(404, description="Not Found: method not found"))
        status, result = await handler(params)
        params["_status"] = status
        if status == 200 and self.on_send is not None and method == "sendMessage":
            self.on_send(call)
        await self._notify()
        if status != 200:
            return _error(Fault(status, description=result))
        return web.json_response({"ok": True, "result": result})

    async def _api_getFile(self, params):
        file_id = params.get("file_id")
        if file_id not in self.files:
            return 400, "Bad Request: invalid file_id"
        path, content = self.files[file_id]
        return 200, {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for file_path, content in self.files.values():
            if file_path == path:
                return web.Response(body=content)
        return web.Response(status=404)

    async def _api_getMe(self, params):
        bot_id = int((self.token or "1:x").split(":", 1)[0])
        return 200, {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Helpline",
            "username": self.bot_username,
        }

    async def _api_getUpdates(self, params):
        if self.webhook is not None:
            return 409, "Conflict: can't use getUpdates method while webhook is active"
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if not self._updates and timeout > 0:
            try:
                async with self._changed:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates)), timeout
                    )
            except TimeoutError:
                pass
        return 200, self._updates[:limit]

    async def _api_sendMessage(self, params):
        text = params.get("text") or ""
        if not text.strip():
            return 400, "Bad Request: message text is empty"
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return 400, "Bad Request: message is too long"
        message_id = self._next_message_id
        self._next_message_id += 1
        return 200, {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "text": text,
        }

    async def _api_answerCallbackQuery(self, params):
        return 200, True

    async def _api_setWebhook(self, params):
        self.webhook = {key: value for key, value in params.items() if not key.startswith("_")}
        return 200, True

    async def _api_deleteWebhook(self, params):
        self.webhook = None
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._updates.clear()
        return 200, True

    # -- helpers --------------------------------------------------------------------------------

    def _take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        return queue.pop(0) if queue else None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    raw = dict(request.query)
    if request.can_read_body:
        raw.update(await request.post())
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            continue  # uploaded files: not used by the helpline
        if key in STRING_FIELDS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def _error(fault: Fault) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": fault.status,
        "description": fault.description or "Error",
    }
    if fault.retry_after is not None:
        body["parameters"] = {"retry_after": fault.retry_after}
    return web.json_response(body, status=fault.status)

"""A local HTTP server that speaks enough of the Telegram Bot API for orglife's tests.

python-telegram-bot talks to it through ``base_url`` (``ORGLIFE_TELEGRAM_API_URL``), so the real
client library, its error mapping and its retries are exercised; only the wire is fake.

    with FakeTelegram() as tg:
        env = {"ORGLIFE_TELEGRAM_TOKEN": tg.token, "ORGLIFE_TELEGRAM_API_URL": tg.base_url}
        tg.fail(chat_id=-100, status=429, retry_after=2)      # next sendMessage to -100
        tg.push_message(chat_id=-100, user_id=42, text="/status")   # an update for getUpdates
        tg.sent                                               # messages accepted, in order

Methods: getMe, sendMessage, sendDocument, getUpdates (long polling, short timeouts),
setMyCommands, getMyCommands, deleteWebhook, setWebhook, close, logOut. Failures are queued
per chat: HTTP 429 with ``retry_after``, 403 Forbidden, 400 "chat not found", 400 with
``migrate_to_chat_id``, 500, or a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000000001
TOKEN = "7000000001:AAfakeTokenForOrglifeTests_0123456789"


@dataclass
class Sent:
    """A message or document the fake accepted."""

    method: str
    chat_id: int
    text: str
    message_id: int
    at: float
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Failure:
    status: int
    description: str
    parameters: dict[str, Any] | None = None
    drop: bool = False  # close the connection without answering


class FakeTelegram:
    """The fake Bot API on 127.0.0.1, served from a background thread's event loop."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.commands: list[dict[str, Any]] = []
        self._failures: dict[int | None, deque[_Failure]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.delay = 0.0  # seconds each sendMessage takes (to kill a sender mid-flight)

    # --- control -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as ``base_url`` (the token is appended to it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def fail(
        self,
        chat_id: int | None = None,
        *,
        status: int = 429,
        retry_after: int | None = None,
        migrate_to: int | None = None,
        description: str | None = None,
        times: int = 1,
        drop: bool = False,
    ) -> None:
        """Make the next ``times`` sends to ``chat_id`` (None: any chat) fail this way."""
        parameters: dict[str, Any] | None = None
        if retry_after is not None:
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif migrate_to is not None:
            parameters = {"migrate_to_chat_id": migrate_to}
            description = description or "Bad Request: group chat was upgraded to a supergroup chat"
        elif status == 403:
            description = description or "Forbidden: bot was kicked from the group chat"
        elif status == 400:
            description = description or "Bad Request: chat not found"
        else:
            description = description or "Internal Server Error"
        with self._lock:
            queue = self._failures.setdefault(chat_id, deque())
            for _ in range(times):
                queue.append(_Failure(status, description, parameters, drop))

    def push_message(
        self,
        *,
        chat_id: int,
        user_id: int,
        text: str,
        chat_type: str | None = None,
        first_name: str = "测试",
        username: str | None = None,
    ) -> int:
        """Queue an incoming message (a command in a group or a private chat) for getUpdates."""
        update_id = next(self._update_ids)
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": kind, "title": None if kind == "private" else "测试群"},
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            "text": text,
        }
        if username:
            message["from"]["username"] = username
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        with self._lock:
            self._updates.append({"update_id": update_id, "message": message})
        return update_id

    def messages_to(self, chat_id: int) -> list[str]:
        with self._lock:
            return [s.text for s in self.sent if s.chat_id == chat_id]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> bool:
        """Poll until ``predicate(self)`` is true (for the bot's asynchronous replies)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if predicate(self):
                    return True
            time.sleep(0.02)
        return False

    # --- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> FakeTelegram:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            app = web.Application()
            app.router.add_route("*", "/bot{token}/{method}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Telegram server did not start")

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    # --- the API -------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        # An uploaded file: its name, and its bytes for the test to open.
                        params[name] = value.filename
                        params[f"{name}_bytes"] = value.file.read()
                    else:
                        params[name] = value
        for name in ("chat_id", "offset", "timeout", "limit"):
            if name in params and isinstance(params[name], str):
                with contextlib.suppress(ValueError):  # leave it as sent; the handler says no
                    params[name] = int(params[name])
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        with self._lock:
            self.requests.append((method, params))
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result: web.StreamResponse = await handler(request, params)
        return result

    async def _api_getme(self, _: web.Request, __: dict[str, Any]) -> web.Response:
        return _ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "组织生活提醒",
                "username": "orglife_test_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    def _take_failure(self, chat_id: int | None) -> _Failure | None:
        with self._lock:
            for key in (chat_id, None):
                queue = self._failures.get(key)
                if queue:
                    return queue.popleft()
        return None

    async def _send(self, request: web.Request, params: dict[str, Any], method: str) -> Any:
        chat_id = int(params["chat_id"])
        if self.delay:
            await asyncio.sleep(self.delay)
        failure = self._take_failure(chat_id)
        if failure is not None:
            if failure.drop:
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)
            return _error(failure.status, failure.description, failure.parameters)
        text = str(params.get("text") or params.get("caption") or "")
        sent = Sent(method, chat_id, text, next(self._message_ids), time.time(), params)
        with self._lock:
            self.sent.append(sent)
        message = {
            "message_id": sent.message_id,
            "date": int(sent.at),
            "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "组织生活提醒"},
        }
        if method == "sendDocument":
            message["document"] = {"file_id": f"doc{sent.message_id}", "file_unique_id": "u"}
            if text:
                message["caption"] = text
        else:
            message["text"] = text
        return _ok(message)

    async def _api_sendmessage(self, request: web.Request, params: dict[str, Any]) -> Any:
        return await self._send(request, params, "sendMessage")

    async def _api_senddocument(self, request: web.Request, params: dict[str, Any]) -> Any:
        return await self._send(request, params, "sendDocument")

    async def _api_getupdates(self, _: web.Request, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 0.5)  # keep tests quick
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                # Telegram forgets updates below the offset once it is confirmed.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = list(self._updates)
            if ready or time.monotonic() >= deadline:
                return _ok(ready)
            await asyncio.sleep(0.02)

    async def _api_setmycommands(self, _: web.Request, params: dict[str, Any]) -> web.Response:
        commands = params.get("commands", [])
        if isinstance(commands, str):
            commands = json.loads(commands)
        with self._lock:
            self.commands = list(commands)
        return _ok(True)

    async def _api_getmycommands(self, _: web.Request, __: dict[str, Any]) -> web.Response:
        return _ok(self.commands)

    async def _api_deletewebhook(self, _: web.Request, __: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_setwebhook(self, _: web.Request, __: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_close(self, _: web.Request, __: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_logout(self, _: web.Request, __: dict[str, Any]) -> web.Response:
        return _ok(True)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)

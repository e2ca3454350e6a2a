"""Local HTTP servers that speak enough of the three group-robot webhooks for orglife's tests:
企业微信 (:class:`FakeWeCom`), 钉钉 (:class:`FakeDingTalk`) and 飞书 (:class:`FakeFeishu`).

The real clients (httpx) talk to them on 127.0.0.1, so the wire format, the signatures and the
errcode mapping are exercised; only the platform is fake. Like the real services, every answer
is HTTP 200 with the platform's JSON (unless a test asks for an outage or another status).

    with FakeWeCom(clock=clock.epoch) as wecom:
        url = wecom.webhook("branch")                   # registers a robot, returns its URL
        wecom.fail_next("branch", 45009, "api freq out of limit")
        wecom.received_for("branch")                    # messages accepted, in order

Each fake checks what its platform checks: the key or token (unknown: 93000 / 300001 / 19001),
the signature when the robot has a secret (DingTalk: ``timestamp``/``sign`` in the query,
within an hour of the fake's clock; Feishu: in the body), that the body is JSON with the
required fields, the size limits (WeCom markdown 4096 and text 2048 UTF-8 bytes; DingTalk 20000
bytes; Feishu 20 KB of request body) and the rate limits per robot (WeCom 20 a minute → 45009;
DingTalk 20 a minute, then blocked 10 minutes → 130101; Feishu 5 a second and 100 a minute →
9499). WeCom's ``upload_media`` takes a multipart ``media`` file of 5 B to 20 MB and returns a
``media_id`` valid for 3 days; a file message with an unknown or expired one gets 40007.

Controls: ``clock`` (epoch seconds; share it with the client's clock), :meth:`fail_next`,
``down`` (every request answered HTTP 502), ``drop`` (connections closed without an answer),
``delay`` (seconds each request takes), ``requests`` (every request that arrived).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from aiohttp import web

JSON_TYPE = "application/json"


@dataclass
class Received:
    """A message a fake accepted: the robot's name, the parsed body, the text as sent."""

    robot: str
    body: dict[str, Any]
    text: str
    at: float  # the fake's clock
    raw: bytes  # the request body as it arrived
    content_type: str  # the request's Content-Type header
    title: str | None = None  # DingTalk's markdown title, the Feishu card's header
    filename: str | None = None  # a WeCom file message's file
    file: bytes | None = None


@dataclass
class Upload:
    """A file WeCom's ``upload_media`` accepted."""

    robot: str
    media_id: str
    filename: str
    data: bytes
    at: float


@dataclass
class Robot:
    name: str
    credential: str  # WeCom's key, DingTalk's access_token, Feishu's token
    secret: str | None
    sent: deque[float] = field(default_factory=deque)  # accepted messages' times
    blocked_until: float = 0.0  # DingTalk's 10-minute block


@dataclass
class _Failure:
    code: int
    msg: str
    status: int = 200
    retry_after: str | None = None
    raw: bytes | None = None  # a body that is not the platform's JSON


class Refusal(Exception):
    """Raised inside a handler: answer with the platform's ``code`` and ``msg``."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


class FakeRobots:
    """One platform's robots on 127.0.0.1, served from a background thread's event loop."""

    name: ClassVar[str] = "robots"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.received: list[Received] = []
        self.requests: list[str] = []  # the path of every request that arrived
        self.down = False  # answer every request with HTTP 502
        self.drop = False  # close every connection without answering
        self.delay = 0.0  # seconds each request takes (to kill a sender mid-flight)
        self.port = 0
        self._robots: dict[str, Robot] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # --- control -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def new_credential(self) -> str:
        return str(uuid.uuid4())

    def url_for(self, credential: str) -> str:
        raise NotImplementedError

    def webhook(self, name: str, secret: str | None = None) -> str:
        """Register robot ``name`` (signing with ``secret`` when given); its full URL."""
        with self._lock:
            robot = Robot(name, self.new_credential(), secret)
            self._robots[name] = robot
        return self.url_for(robot.credential)

    def robot(self, name: str) -> Robot:
        with self._lock:
            return self._robots[name]

    def fail_next(
        self,
        robot: str,
        code: int = 0,
        msg: str = "",
        *,
        status: int = 200,
        retry_after: str | None = None,
        raw: bytes | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``robot`` with ``code``/``msg`` (or HTTP
        ``status``, or the ``raw`` body) instead of handling them."""
        with self._lock:
            queue = self._failures.setdefault(robot, deque())
            for _ in range(times):
                queue.append(_Failure(code, msg, status, retry_after, raw))

    def received_for(self, robot: str) -> list[Received]:
        with self._lock:
            return [message for message in self.received if message.robot == robot]

    def texts_for(self, robot: str) -> list[str]:
        return [message.text for message in self.received_for(robot)]

    # --- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Self:
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
            # Uploads reach 20 MB; aiohttp's default body limit is 1 MB.
            app = web.Application(client_max_size=32 * 1024 * 1024)
            self.routes(app)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = int(self._runner.addresses[0][1])
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name=f"fake-{self.name}", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"the fake {self.name} server did not start")

    def stop(self) -> None:
        """Stop serving (again is fine: a test may stop the fake to simulate an outage)."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(10)

    # --- the platform (subclasses) -----------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def answer(self, code: int, msg: str, **extra: Any) -> web.Response:
        """The platform's JSON answer, HTTP 200."""
        raise NotImplementedError

    # --- shared handling -------------------------------------------------------------------

    async def intercept(self, request: web.Request) -> web.StreamResponse | None:
        """The outage controls and the delay, before the platform looks at the request."""
        with self._lock:
            self.requests.append(request.path)
        if self.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if self.down:
            return web.Response(status=502, text="<html>502 Bad Gateway</html>")
        if self.delay:
            await asyncio.sleep(self.delay)
        return None

    def find(self, credential: str) -> Robot | None:
        with self._lock:
            for robot in self._robots.values():
                if robot.credential == credential:
                    return robot
        return None

    def injected(self, robot: Robot) -> web.Response | None:
        """The failure a test queued for ``robot``, as an answer."""
        with self._lock:
            queue = self._failures.get(robot.name)
            failure = queue.popleft() if queue else None
        if failure is None:
            return None
        headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
        if failure.raw is not None:
            return web.Response(status=failure.status, body=failure.raw, headers=headers)
        response = self.answer(failure.code, failure.msg)
        response.set_status(failure.status)
        if headers:
            response.headers.update(headers)
        return response

    def within_rate(self, robot: Robot, limit: int, seconds: float) -> bool:
        """Whether ``robot`` sent fewer than ``limit`` messages in the last ``seconds``."""
        now = self.clock()
        with self._lock:
            recent = sum(1 for at in robot.sent if at > now - seconds)
        return recent < limit

    def accept(self, robot: Robot, message: Received) -> None:
        with self._lock:
            robot.sent.append(message.at)
            while robot.sent and robot.sent[0] <= message.at - 3600:  # keep an hour
                robot.sent.popleft()
            self.received.append(message)

    @staticmethod
    def parse(raw: bytes) -> dict[str, Any] | None:
        """The JSON object in ``raw``, or None when it is not one (or not UTF-8)."""
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return None
        return body if isinstance(body, dict) else None


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


# --- 企业微信 ----------------------------------------------------------------------------------


class FakeWeCom(FakeRobots):
    """``/cgi-bin/webhook/send?key=KEY`` and ``/cgi-bin/webhook/upload_media?key=KEY&type=file``."""

    name = "wecom"
    MARKDOWN_LIMIT = 4096
    TEXT_LIMIT = 2048
    RATE = 20  # a minute
    WINDOW = 60.0  # seconds (tests of replicas shorten it to run in real time)
    FILE_MIN, FILE_MAX = 5, 20 * 1024 * 1024
    MEDIA_LIFETIME = 3 * 86400.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.uploads: list[Upload] = []
        self._media_ids = itertools.count(1)

    def url_for(self, credential: str) -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={credential}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/cgi-bin/webhook/send", self._send)
        app.router.add_post("/cgi-bin/webhook/upload_media", self._upload)

    def answer(self, code: int, msg: str, **extra: Any) -> web.Response:
        hint = "" if code == 0 else f", hint: [{int(self.clock())}_fake]"
        return web.json_response({"errcode": code, "errmsg": msg + hint, **extra})

    def _robot(self, request: web.Request) -> Robot:
        robot = self.find(request.query.get("key", ""))
        if robot is None:
            raise Refusal(93000, "invalid webhook url")
        return robot

    async def _send(self, request: web.Request) -> web.StreamResponse:
        early = await self.intercept(request)
        if early is not None:
            return early
        raw = await request.read()
        try:
            robot = self._robot(request)
            injected = self.injected(robot)
            if injected is not None:
                return injected
            if not self.within_rate(robot, self.RATE, self.WINDOW):
                raise Refusal(45009, "api freq out of limit")
            message = self._message(robot, request, raw)
        except Refusal as refusal:
            return self.answer(refusal.code, refusal.msg)
        self.accept(robot, message)
        return self.answer(0, "ok")

    def _message(self, robot: Robot, request: web.Request, raw: bytes) -> Received:
        body = self.parse(raw)
        if body is None:
            raise Refusal(40035, "invalid parameter, Warning: wrong json format.")
        kind = body.get("msgtype")
        filename: str | None = None
        data: bytes | None = None
        if kind in ("markdown", "text"):
            part = body.get(kind)
            text = _text(part.get("content")) if isinstance(part, dict) else None
            if not text:
                raise Refusal(44004, f"{kind}.content is empty")
            limit = self.MARKDOWN_LIMIT if kind == "markdown" else self.TEXT_LIMIT
            if _utf8(text) > limit:
                raise Refusal(
                    40058, f"{kind}.content exceed max length {limit}. invalid Request Parameter"
                )
        elif kind == "file":
            part = body.get("file")
            media_id = _text(part.get("media_id")) if isinstance(part, dict) else None
            upload = self._media(robot, media_id)
            text, filename, data = "", upload.filename, upload.data
        else:
            raise Refusal(40008, "invalid message type")
        return Received(
            robot.name,
            body,
            text,
            self.clock(),
            raw,
            request.headers.get("Content-Type", ""),
            filename=filename,
            file=data,
        )

    def _media(self, robot: Robot, media_id: str | None) -> Upload:
        now = self.clock()
        with self._lock:
            for upload in self.uploads:
                if (
                    upload.media_id == media_id
                    and upload.robot == robot.name
                    and now - upload.at <= self.MEDIA_LIFETIME
                ):
                    return upload
        raise Refusal(40007, "invalid media_id")

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        early = await self.intercept(request)
        if early is not None:
            return early
        try:
            robot = self._robot(request)
            injected = self.injected(robot)
            if injected is not None:
                return injected
            if request.query.get("type") != "file":
                raise Refusal(40005, "invalid media type")
            if not request.content_type.startswith("multipart/"):
                raise Refusal(44001, "empty media data")
            form = await request.post()
            media = form.get("media")
            if not isinstance(media, web.FileField):
                raise Refusal(44001, "empty media data")
            data = media.file.read()
            if not self.FILE_MIN <= len(data) <= self.FILE_MAX:
                raise Refusal(40006, "invalid file size")
        except Refusal as refusal:
            return self.answer(refusal.code, refusal.msg)
        upload = Upload(
            robot.name, f"media-{next(self._media_ids)}", media.filename, data, self.clock()
        )
        with self._lock:
            self.uploads.append(upload)
        return self.answer(
            0, "ok", type="file", media_id=upload.media_id, created_at=str(int(upload.at))
        )


# --- 钉钉 -----------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """The signature DingTalk expects (base64, before URL encoding)."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


class FakeDingTalk(FakeRobots):
    """``/robot/send?access_token=TOKEN`` (with ``&timestamp=…&sign=…`` for signing robots)."""

    name = "dingtalk"
    LIMIT = 20000
    RATE = 20  # a minute
    BLOCK = 600.0  # seconds a robot is throttled after exceeding the rate
    SKEW = 3600.0  # seconds a signature's timestamp may be off

    def new_credential(self) -> str:
        return secrets.token_hex(32)

    def url_for(self, credential: str) -> str:
        return f"{self.base_url}/robot/send?access_token={credential}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/robot/send", self._send)

    def answer(self, code: int, msg: str, **extra: Any) -> web.Response:
        return web.json_response({"errcode": code, "errmsg": msg, **extra})

    async def _send(self, request: web.Request) -> web.StreamResponse:
        early = await self.intercept(request)
        if early is not None:
            return early
        raw = await request.read()
        robot = self.find(request.query.get("access_token", ""))
        if robot is None:
            return self.answer(300001, "token is not exist")
        injected = self.injected(robot)
        if injected is not None:
            return injected
        try:
            self._check_signature(robot, request)
            self._check_rate(robot)
            message = self._message(robot, request, raw)
        except Refusal as refusal:
            return self.answer(refusal.code, refusal.msg)
        self.accept(robot, message)
        return self.answer(0, "ok")

    def _check_signature(self, robot: Robot, request: web.Request) -> None:
        if not robot.secret:
            return
        timestamp, signature = request.query.get("timestamp"), request.query.get("sign")
        if not timestamp or not signature:
            raise Refusal(310000, "sign not match")
        try:
            skew = abs(self.clock() * 1000 - int(timestamp)) / 1000
        except ValueError:
            raise Refusal(310000, "invalid timestamp") from None
        if skew > self.SKEW:
            raise Refusal(310000, "invalid timestamp")
        expected = dingtalk_sign(robot.secret, timestamp)
        if not hmac.compare_digest(signature, expected):
            raise Refusal(310000, "sign not match")

    def _check_rate(self, robot: Robot) -> None:
        now = self.clock()
        throttled = Refusal(130101, "send too fast, exceed 20 times per minute")
        if now < robot.blocked_until:
            raise throttled
        if not self.within_rate(robot, self.RATE, 60.0):
            robot.blocked_until = now + self.BLOCK
            raise throttled

    def _message(self, robot: Robot, request: web.Request, raw: bytes) -> Received:
        body = self.parse(raw)
        if body is None:
            raise Refusal(40035, "缺少参数 json")
        kind = body.get("msgtype")
        part = body.get(kind) if isinstance(kind, str) else None
        title: str | None = None
        if kind == "markdown":
            title = _text(part.get("title")) if isinstance(part, dict) else None
            text = _text(part.get("text")) if isinstance(part, dict) else None
            if not title or not text:
                raise Refusal(40035, "缺少参数 markdown.title 或 markdown.text")
        elif kind == "text":
            text = _text(part.get("content")) if isinstance(part, dict) else None
            if not text:
                raise Refusal(40035, "缺少参数 text.content")
        else:
            raise Refusal(400105, "不支持的消息类型")
        if _utf8(text) > self.LIMIT:
            raise Refusal(460101, "message too long, exceed 20000 bytes")
        return Received(
            robot.name,
            body,
            text,
            self.clock(),
            raw,
            request.headers.get("Content-Type", ""),
            title=title,
        )


# --- 飞书 -----------------------------------------------------------------------------------


def feishu_sign(secret: str, timestamp: str) -> str:
    """The signature Feishu expects: HMAC-SHA256 keyed by ``timestamp\\nsecret`` of nothing."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FakeFeishu(FakeRobots):
    """``/open-apis/bot/v2/hook/TOKEN`` (``timestamp``/``sign`` in the body when signing)."""

    name = "feishu"
    BODY_LIMIT = 20 * 1024
    PER_SECOND, PER_MINUTE = 5, 100
    SKEW = 3600.0

    def url_for(self, credential: str) -> str:
        return f"{self.base_url}/open-apis/bot/v2/hook/{credential}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/open-apis/bot/v2/hook/{token}", self._send)

    def answer(self, code: int, msg: str, **extra: Any) -> web.Response:
        body: dict[str, Any] = {"code": code, "data": {}, "msg": msg, **extra}
        if code == 0:  # the older fields, still sent on success
            body.update(StatusCode=0, StatusMessage="success")
        return web.json_response(body)

    async def _send(self, request: web.Request) -> web.StreamResponse:
        early = await self.intercept(request)
        if early is not None:
            return early
        raw = await request.read()
        robot = self.find(request.match_info["token"])
        if robot is None:
            return self.answer(19001, "param invalid: incoming webhook access token invalid")
        injected = self.injected(robot)
        if injected is not None:
            return injected
        try:
            if len(raw) > self.BODY_LIMIT:
                raise Refusal(9499, "Bad Request")
            body = self.parse(raw)
            if body is None:
                raise Refusal(9499, "Bad Request")
            self._check_signature(robot, body)
            if not (
                self.within_rate(robot, self.PER_SECOND, 1.0)
                and self.within_rate(robot, self.PER_MINUTE, 60.0)
            ):
                raise Refusal(9499, "too many request")
            message = self._message(robot, request, raw, body)
        except Refusal as refusal:
            return self.answer(refusal.code, refusal.msg)
        self.accept(robot, message)
        return self.answer(0, "success")

    def _check_signature(self, robot: Robot, body: dict[str, Any]) -> None:
        if not robot.secret:
            return
        failed = Refusal(
            19021, "sign match fail or timestamp is not within one hour from current time"
        )
        timestamp, signature = body.get("timestamp"), body.get("sign")
        if not isinstance(timestamp, str | int) or not isinstance(signature, str):
            raise failed
        try:
            skew = abs(self.clock() - int(timestamp))
        except ValueError:
            raise failed from None
        expected = feishu_sign(robot.secret, str(timestamp))
        if skew > self.SKEW or not hmac.compare_digest(signature, expected):
            raise failed

    def _message(
        self, robot: Robot, request: web.Request, raw: bytes, body: dict[str, Any]
    ) -> Received:
        kind = body.get("msg_type")
        title: str | None = None
        if not isinstance(kind, str) or not kind:
            raise Refusal(19002, "params error, msg_type need")
        if kind == "interactive":
            title, text = self._card(body.get("card"))
        elif kind == "text":
            content = body.get("content")
            text = (_text(content.get("text")) if isinstance(content, dict) else None) or ""
            if not text:
                raise Refusal(9499, "Bad Request")
        else:
            raise Refusal(19002, f"params error, msg_type {kind} is not supported here")
        return Received(
            robot.name,
            body,
            text,
            self.clock(),
            raw,
            request.headers.get("Content-Type", ""),
            title=title,
        )

    @staticmethod
    def _card(card: object) -> tuple[str, str]:
        """The card's title and the text it shows (title, then each ``lark_md`` block)."""
        bad = Refusal(9499, "Bad Request")
        if not isinstance(card, dict):
            raise bad
        header, elements = card.get("header"), card.get("elements")
        title = header.get("title") if isinstance(header, dict) else None
        content = _text(title.get("content")) if isinstance(title, dict) else None
        if not content or not isinstance(elements, list):
            raise bad
        blocks: list[str] = []
        for element in elements:
            text = element.get("text") if isinstance(element, dict) else None
            block = _text(text.get("content")) if isinstance(text, dict) else None
            if block is None:
                raise bad
            blocks.append(block)
        return content, "\n".join([content, *blocks])

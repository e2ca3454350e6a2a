"""The group-robot clients (WeCom, DingTalk, Feishu) against the fake robots, and the per-platform
styles they send: text arrives intact and inert, signatures verify, each errcode becomes the
outcome the dispatcher acts on, limits are kept before a request, and no webhook key, token or
signing secret reaches an exception or a log line."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from monitor.alerts.channels import (
    Answer,
    Channels,
    ChatGone,
    DeliveryError,
    Rejected,
    RetryLater,
    Transient,
    channel_from_env,
    guard_logs,
)
from monitor.alerts.channels.dingtalk import DingTalkChannel
from monitor.alerts.channels.feishu import FeishuChannel, template_for
from monitor.alerts.channels.style import Style, style_for
from monitor.alerts.channels.webhook import RobotChannel, credentials, encode_json
from monitor.alerts.channels.wecom import WeComChannel, upload_url
from monitor.alerts.plan import Chat, ChatRole, Platform
from tests.fake_robots import FakeDingTalk, FakeFeishu, FakeRobots, FakeWeCom

T = TypeVar("T")

START = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
DING_SECRET = "SEC" + "3f9a1c7e" * 8
FEISHU_SECRET = "fs" + "8b2d4e6a" * 3
USER_DATA = "*张三* <@all> [x](y)"
ESCAPED = "＊张三＊ ＜＠all＞ ［x］(y)"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


class Clock:
    """One time for a fake and its client: epoch seconds for the fake, a datetime for the
    client; tests move it explicitly."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.at = start

    def now(self) -> dt.datetime:
        return self.at

    def epoch(self) -> float:
        return self.at.timestamp()

    def advance(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests go straight to 127.0.0.1 whatever the environment says."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wecom(clock: Clock) -> Iterator[FakeWeCom]:
    with FakeWeCom(clock=clock.epoch) as fake:
        yield fake


@pytest.fixture
def dingtalk(clock: Clock) -> Iterator[FakeDingTalk]:
    with FakeDingTalk(clock=clock.epoch) as fake:
        yield fake


@pytest.fixture
def feishu(clock: Clock) -> Iterator[FakeFeishu]:
    with FakeFeishu(clock=clock.epoch) as fake:
        yield fake


def robot_chat(
    platform: Platform, webhook: str, secret: str | None = None, chat_id: int = 1
) -> Chat:
    return Chat(
        chat_id, None, "B01", ChatRole.BRANCH, platform=platform, webhook=webhook, secret=secret
    )


def run(channel: RobotChannel, call: Callable[[], Awaitable[T]]) -> T:
    """``call()`` on a fresh event loop, the channel's HTTP client closed afterwards."""

    async def main() -> T:
        try:
            return await call()
        finally:
            await channel.aclose()

    return asyncio.run(main())


def deliver(channel: RobotChannel, chat: Chat, text: str) -> Answer:
    return run(channel, lambda: channel.deliver(chat, text))


def failure(channel: RobotChannel, chat: Chat, text: str) -> DeliveryError:
    """The :class:`DeliveryError` delivering ``text`` raises."""
    with pytest.raises(DeliveryError) as caught:
        deliver(channel, chat, text)
    return caught.value


def digest(platform: Platform, title: str, *lines: str) -> str:
    """A digest as the dispatcher composes it: the heading and one item per line."""
    style = style_for(platform)
    return style.newline.join([style.heading(title), *(style.item(line) for line in lines)])


# --- delivered text -----------------------------------------------------------------------------


def test_wecom_delivers_markdown_as_utf8_json_with_user_data_inert(
    wecom: FakeWeCom, clock: Clock
) -> None:
    chat = robot_chat(Platform.WECOM, wecom.webhook("branch"))
    text = digest(Platform.WECOM, "三月组织生活提醒", f"{USER_DATA} 未参加支部党员大会")

    answer = deliver(WeComChannel(clock=clock.now), chat, text)

    assert answer == Answer(0, "ok", 200)
    [got] = wecom.received_for("branch")
    assert got.body == {"msgtype": "markdown", "markdown": {"content": text}}
    assert got.text == f"**三月组织生活提醒**\n• {ESCAPED} 未参加支部党员大会"
    assert "<@all>" not in got.text
    assert "*张三*" not in got.text
    assert "张三".encode() in got.raw
    assert b"\\u" not in got.raw
    assert got.content_type == "application/json; charset=utf-8"


def test_dingtalk_sends_the_heading_in_the_text_and_the_plain_header_as_title(
    dingtalk: FakeDingTalk, clock: Clock
) -> None:
    chat = robot_chat(Platform.DINGTALK, dingtalk.webhook("branch"))
    text = digest(Platform.DINGTALK, "三月组织生活提醒", USER_DATA, "李四")

    assert deliver(DingTalkChannel(clock=clock.now), chat, text).code == 0

    [got] = dingtalk.received_for("branch")
    assert got.title == "三月组织生活提醒"
    assert got.text == f"#### 三月组织生活提醒\n\n• {ESCAPED}\n\n• 李四"
    assert got.body["msgtype"] == "markdown"
    assert b"\\u" not in got.raw


def test_dingtalk_title_is_one_line_of_at_most_64_characters(
    dingtalk: FakeDingTalk, clock: Clock
) -> None:
    chat = robot_chat(Platform.DINGTALK, dingtalk.webhook("branch"))
    text = digest(Platform.DINGTALK, "长" * 100, "张三")

    deliver(DingTalkChannel(clock=clock.now), chat, text)

    [got] = dingtalk.received_for("branch")
    assert got.title is not None
    assert len(got.title) == 64
    assert got.title.endswith("…")
    assert got.text == text


def test_feishu_sends_a_card_with_the_header_as_title(feishu: FakeFeishu, clock: Clock) -> None:
    chat = robot_chat(Platform.FEISHU, feishu.webhook("branch"))
    text = digest(Platform.FEISHU, "三月组织生活提醒", USER_DATA)

    assert deliver(FeishuChannel(clock=clock.now), chat, text) == Answer(0, "success", 200)

    [got] = feishu.received_for("branch")
    card = got.body["card"]
    assert got.body["msg_type"] == "interactive"
    assert card["config"] == {"wide_screen_mode": True}
    assert card["header"] == {
        "title": {"tag": "plain_text", "content": "三月组织生活提醒"},
        "template": "blue",
    }
    assert card["elements"] == [
        {"tag": "div", "text": {"tag": "lark_md", "content": f"• {ESCAPED}"}}
    ]
    assert "sign" not in got.body
    assert "timestamp" not in got.body
    assert b"\\u" not in got.raw


@pytest.mark.parametrize(
    ("title", "template"),
    [
        ("红色预警：三个支部逾期", "red"),
        ("橙色预警", "orange"),
        ("黄色提醒", "yellow"),
        ("提醒", "blue"),
    ],
)
def test_feishu_header_colour_follows_the_level_in_the_title(
    feishu: FakeFeishu, clock: Clock, title: str, template: str
) -> None:
    chat = robot_chat(Platform.FEISHU, feishu.webhook("branch"))
    deliver(FeishuChannel(clock=clock.now), chat, digest(Platform.FEISHU, title, "张三"))
    [got] = feishu.received_for("branch")
    assert got.body["card"]["header"]["template"] == template == template_for(title)


def test_send_returns_none_and_probe_returns_the_answer(wecom: FakeWeCom, clock: Clock) -> None:
    chat = robot_chat(Platform.WECOM, wecom.webhook("branch"))
    channels = channel_from_env({}, clock=clock.now)
    channel = channels.for_platform(Platform.WECOM)
    assert isinstance(channel, WeComChannel)
    assert channel.clock == clock.now

    async def main() -> tuple[int | None, Answer]:
        try:
            return await channels.send(chat, "**提醒**"), await channels.probe(chat, "**测试**")
        finally:
            await channels.aclose()

    assert asyncio.run(main()) == (None, Answer(0, "ok", 200))
    assert wecom.texts_for("branch") == ["**提醒**", "**测试**"]


def test_one_channel_serves_several_event_loops(wecom: FakeWeCom, clock: Clock) -> None:
    channel = WeComChannel(clock=clock.now)
    chat = robot_chat(Platform.WECOM, wecom.webhook("branch"))

    async def twice() -> None:
        await channel.send(chat, "第一条")

    asyncio.run(twice())  # the client of a closed loop is left behind, not reused
    asyncio.run(twice())
    run(channel, lambda: channel.send(chat, "第三条"))
    assert wecom.texts_for("branch") == ["第一条", "第一条", "第三条"]


# --- signatures ----------------------------------------------------------------------------------


def test_dingtalk_signature_with_the_right_secret_is_accepted(
    dingtalk: FakeDingTalk, clock: Clock
) -> None:
    chat = robot_chat(Platform.DINGTALK, dingtalk.webhook("signed", DING_SECRET), DING_SECRET)
    assert deliver(DingTalkChannel(clock=clock.now), chat, "#### 提醒").code == 0
    assert dingtalk.texts_for("signed") == ["#### 提醒"]


def test_dingtalk_signs_with_the_system_clock_by_default() -> None:
    with FakeDingTalk() as fake:  # the fake on time.time too
        chat = robot_chat(Platform.DINGTALK, fake.webhook("signed", DING_SECRET), DING_SECRET)
        assert deliver(DingTalkChannel(), chat, "#### 提醒").code == 0


def test_dingtalk_wrong_secret_disables_the_chat_saying_to_check_the_secret(
    dingtalk: FakeDingTalk, clock: Clock
) -> None:
    chat = robot_chat(Platform.DINGTALK, dingtalk.webhook("signed", DING_SECRET), "SEC" + "0" * 64)
    error = failure(DingTalkChannel(clock=clock.now), chat, "#### 提醒")
    assert isinstance(error, ChatGone)
    assert "加签" in error.reason
    assert "密钥" in error.reason
    assert "310000" in error.reason
    assert error.answer == Answer(310000, "sign not match", 200)
    assert dingtalk.received == []


def test_dingtalk_robot_that_signs_but_no_secret_was_given(
    dingtalk: FakeDingTalk, clock: Clock
) -> None:
    chat = robot_chat(Platform.DINGTALK, dingtalk.webhook("signed", DING_SECRET))
    error = failure(DingTalkChannel(clock=clock.now), chat, "#### 提醒")
    assert isinstance(error, ChatGone)
    assert "未填写密钥" in error.reason


@pytest.mark.parametrize(("skew", "accepted"), [(59 * 60, True), (61 * 60, False)])
def test_dingtalk_timestamp_must_be_within_an_hour(
    dingtalk: FakeDingTalk, clock: Clock, skew: float, accepted: bool
) -> None:
    chat = robot_chat(Platform.DINGTALK, dingtalk.webhook("signed", DING_SECRET), DING_SECRET)
    behind = DingTalkChannel(clock=lambda: clock.now() - dt.timedelta(seconds=skew))
    if accepted:
        assert deliver(behind, chat, "#### 提醒").code == 0
        return
    error = failure(behind, chat, "#### 提醒")
    assert isinstance(error, ChatGone)
    assert "时钟" in error.reason
    assert error.answer is not None
    assert error.answer.message == "invalid timestamp"


def test_feishu_signature_right_wrong_and_late(feishu: FakeFeishu, clock: Clock) -> None:
    url = feishu.webhook("signed", FEISHU_SECRET)
    right = robot_chat(Platform.FEISHU, url, FEISHU_SECRET)
    wrong = robot_chat(Platform.FEISHU, url, "fs" + "0" * 24)
    channel = FeishuChannel(clock=clock.now)

    assert deliver(channel, right, "提醒\n• 张三").code == 0
    [got] = feishu.received_for("signed")
    assert got.body["timestamp"] == str(int(clock.epoch()))

    for chat, late in ((wrong, 0), (right, 2 * 3600)):
        clock.advance(late)  # the fake's clock moves on; the channel's stays behind
        late_channel = FeishuChannel(clock=lambda: START)
        error = failure(late_channel if late else channel, chat, "提醒\n• 张三")
        assert isinstance(error, ChatGone)
        assert "签名" in error.reason
        assert "19021" in error.reason
    assert len(feishu.received_for("signed")) == 1


# --- rate limits ---------------------------------------------------------------------------------


def test_wecom_21st_message_in_a_minute_is_retried_after_60_seconds(
    wecom: FakeWeCom, clock: Clock
) -> None:
    chat = robot_chat(Platform.WECOM, wecom.webhook("busy"))
    channel = WeComChannel(clock=clock.now)

    async def burst() -> DeliveryError | None:
        for number in range(20):
            await channel.send(chat, f"第{number}条")
        try:
            await channel.send(chat, "第21条")
        except DeliveryError as exc:
            return exc
        return None

    error = run(channel, burst)
    assert isinstance(error, RetryLater)
    assert (error.seconds, error.robot) == (60, False)
    assert error.answer is not None
    assert error.answer.code == 45009
    clock.advance(61)
    assert deliver(channel, chat, "第21条").code == 0
    assert len(wecom.received_for("busy")) == 21


def test_dingtalk_throttles_the_robot_for_ten_minutes(dingtalk: FakeDingTalk, clock: Clock) -> None:
    chat = robot_chat(Platform.DINGTALK, dingtalk.webhook("busy"))
    channel = DingTalkChannel(clock=clock.now)

    async def burst() -> None:
        for number in range(20):
            await channel.send(chat, f"第{number}条")

    run(channel, burst)
    error = failure(channel, chat, "第21条")
    assert isinstance(error, RetryLater)
    assert (error.seconds, error.robot) == (600, True)
    assert error.answer is not None
    assert error.answer.code == 130101
    clock.advance(120)  # the minute is over, the block is not
    assert isinstance(failure(channel, chat, "第21条"), RetryLater)
    clock.advance(481)
    assert deliver(channel, chat, "第21条").code == 0


def test_feishu_limits_five_a_second_and_a_hundred_a_minute(
    feishu: FakeFeishu, clock: Clock
) -> None:
    chat = robot_chat(Platform.FEISHU, feishu.webhook("busy"))
    channel = FeishuChannel(clock=clock.now)

    async def send(count: int) -> None:
        for _ in range(count):
            await channel.send(chat, "提醒\n• 张三")

    run(channel, lambda: send(5))
    error = failure(channel, chat, "提醒\n• 张三")
    assert isinstance(error, RetryLater)
    assert (error.seconds, error.robot) == (2, False)
    assert error.answer == Answer(9499, "too many request", 200)

    for _ in range(19):  # 5 a second up to 100 in the minute
        clock.advance(1)
        run(channel, lambda: send(5))
    clock.advance(1)
    assert isinstance(failure(channel, chat, "提醒\n• 张三"), RetryLater)
    clock.advance(60)
    assert deliver(channel, chat, "提醒\n• 张三").code == 0
    assert len(feishu.received_for("busy")) == 101


# --- errcodes ------------------------------------------------------------------------------------

RETRY, GONE, REJECTED, TRANSIENT = RetryLater, ChatGone, Rejected, Transient

ERRCODES: list[tuple[Platform, int, str, type[DeliveryError], float | None, bool]] = [
    (Platform.WECOM, 45009, "api freq out of limit", RETRY, 60, False),
    (Platform.WECOM, 93000, "invalid webhook url", GONE, None, False),
    (Platform.WECOM, 40058, "markdown.content exceed max length 4096", REJECTED, None, False),
    (Platform.WECOM, 40008, "invalid message type", REJECTED, None, False),
    (Platform.WECOM, 44004, "empty content", REJECTED, None, False),
    (Platform.WECOM, 45002, "content size out of limit", REJECTED, None, False),
    (Platform.WECOM, 40007, "invalid media_id", TRANSIENT, None, False),
    (Platform.WECOM, -1, "system busy", TRANSIENT, None, False),
    (Platform.WECOM, 60020, "not allow to access from your ip", TRANSIENT, None, False),
    (Platform.DINGTALK, 130101, "send too fast", RETRY, 600, True),
    (Platform.DINGTALK, 410100, "发送速度太快而限流", RETRY, 60, False),
    (Platform.DINGTALK, 310000, "keywords not in content", GONE, None, False),
    (Platform.DINGTALK, 310000, "ip 1.2.3.4 not in whitelist", GONE, None, False),
    (Platform.DINGTALK, 300001, "token is not exist", GONE, None, False),
    (Platform.DINGTALK, 400013, "群已被解散", GONE, None, False),
    (Platform.DINGTALK, 400102, "机器人已停用", GONE, None, False),
    (Platform.DINGTALK, 460101, "message too long, exceed 20000 bytes", REJECTED, None, False),
    (Platform.DINGTALK, 430102, "含有不合适的文本", REJECTED, None, False),
    (Platform.DINGTALK, -1, "系统繁忙", TRANSIENT, None, False),
    (Platform.FEISHU, 9499, "too many request", RETRY, 2, False),
    (Platform.FEISHU, 9499, "Bad Request", REJECTED, None, False),
    (Platform.FEISHU, 11232, "frequency limited", RETRY, 60, False),
    (Platform.FEISHU, 19021, "sign match fail", GONE, None, False),
    (Platform.FEISHU, 19022, "Ip Not Allowed", GONE, None, False),
    (Platform.FEISHU, 19024, "Key Words Not Found", GONE, None, False),
    (
        Platform.FEISHU,
        19001,
        "param invalid: incoming webhook access token invalid",
        GONE,
        None,
        False,
    ),
    (Platform.FEISHU, 19007, "Bot Not Enabled", GONE, None, False),
    (Platform.FEISHU, 19002, "params error, msg_type need", REJECTED, None, False),
    (Platform.FEISHU, 19001, "param invalid: card", REJECTED, None, False),
    (Platform.FEISHU, 99991400, "request trigger frequency limit", TRANSIENT, None, False),
]


def make(platform: Platform, clock: Clock) -> RobotChannel:
    kinds: dict[Platform, type[RobotChannel]] = {
        Platform.WECOM: WeComChannel,
        Platform.DINGTALK: DingTalkChannel,
        Platform.FEISHU: FeishuChannel,
    }
    return kinds[platform](clock=clock.now)


@pytest.fixture
def fakes(
    wecom: FakeWeCom, dingtalk: FakeDingTalk, feishu: FakeFeishu
) -> dict[Platform, FakeRobots]:
    return {Platform.WECOM: wecom, Platform.DINGTALK: dingtalk, Platform.FEISHU: feishu}


@pytest.mark.parametrize(
    ("platform", "code", "message", "outcome", "seconds", "robot"),
    ERRCODES,
    ids=[f"{p.value}-{c}-{o.__name__}" for p, c, _, o, _, _ in ERRCODES],
)
def test_errcode_outcomes(
    fakes: dict[Platform, FakeRobots],
    clock: Clock,
    platform: Platform,
    code: int,
    message: str,
    outcome: type[DeliveryError],
    seconds: float | None,
    robot: bool,
) -> None:
    fake = fakes[platform]
    chat = robot_chat(platform, fake.webhook("branch"))
    fake.fail_next("branch", code, message)

    error = failure(make(platform, clock), chat, digest(platform, "提醒", "张三"))

    assert type(error) is outcome
    assert error.answer is not None
    assert (error.answer.code, error.answer.status) == (code, 200)
    assert error.answer.message.startswith(message)
    if isinstance(error, RetryLater):
        assert (error.seconds, error.robot) == (seconds, robot)
    if isinstance(error, ChatGone | Rejected):
        assert str(code) in error.reason
    assert fake.received == []


def test_unknown_keys_and_tokens_disable_the_chat(
    fakes: dict[Platform, FakeRobots], clock: Clock
) -> None:
    expected = {
        Platform.WECOM: (
            93000,
            "企业微信机器人 webhook 无效（errcode 93000），"
            "请在群机器人设置中复制新的地址后重新添加",
        ),
        Platform.DINGTALK: (300001, "access_token 无效"),
        Platform.FEISHU: (19001, "webhook 无效"),
    }
    for platform, fake in fakes.items():
        fake.webhook("real")
        credential = fake.new_credential()
        chat = robot_chat(platform, fake.url_for(credential))
        error = failure(make(platform, clock), chat, digest(platform, "提醒", "张三"))
        code, words = expected[platform]
        assert isinstance(error, ChatGone), platform
        assert words in error.reason
        assert error.answer is not None
        assert error.answer.code == code
        assert credential not in str(error)
        assert credential not in str(error.answer)


# --- HTTP-level failures -------------------------------------------------------------------------


def test_http_429_waits_for_retry_after_or_a_minute(wecom: FakeWeCom, clock: Clock) -> None:
    chat = robot_chat(Platform.WECOM, wecom.webhook("branch"))
    channel = WeComChannel(clock=clock.now)
    wecom.fail_next("branch", status=429, retry_after="7", raw=b"slow down")
    wecom.fail_next("branch", status=429, raw=b"slow down")
    later = (START + dt.timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    wecom.fail_next("branch", status=429, retry_after=later, raw=b"slow down")

    waits = []
    for _ in range(3):
        error = failure(channel, chat, "提醒")
        assert isinstance(error, RetryLater)
        assert error.answer == Answer(-1, "HTTP 429", 429)
        waits.append(error.seconds)
    assert waits == [7, 60, 90]


@pytest.mark.parametrize("status", [403, 404])
def test_http_403_and_404_say_to_check_the_webhook(
    feishu: FakeFeishu, clock: Clock, status: int
) -> None:
    chat = robot_chat(Platform.FEISHU, feishu.webhook("branch"))
    feishu.fail_next("branch", status=status, raw=b"<html>not here</html>")
    error = failure(FeishuChannel(clock=clock.now), chat, "提醒")
    assert isinstance(error, ChatGone)
    assert "webhook 地址" in error.reason
    assert f"HTTP {status}" in error.reason
    assert error.answer is not None
    assert error.answer.status == status


def test_server_errors_and_answers_that_are_not_json_are_transient(
    dingtalk: FakeDingTalk, clock: Clock
) -> None:
    chat = robot_chat(Platform.DINGTALK, dingtalk.webhook("branch"))
    channel = DingTalkChannel(clock=clock.now)
    dingtalk.fail_next("branch", 0, "ok", status=500)
    dingtalk.fail_next("branch", raw=b"<html>maintenance</html>")
    dingtalk.fail_next("branch", raw=b"[1, 2]")
    for status in (500, 200, 200):
        error = failure(channel, chat, "#### 提醒")
        assert isinstance(error, Transient)
        assert error.answer is not None
        assert error.answer.status == status
    assert dingtalk.received == []


def test_outages_are_transient(wecom: FakeWeCom, clock: Clock) -> None:
    chat = robot_chat(Platform.WECOM, wecom.webhook("branch"))
    channel = WeComChannel(clock=clock.now)

    wecom.down = True
    error = failure(channel, chat, "提醒")
    assert isinstance(error, Transient)
    assert "HTTP 502" in error.reason
    assert error.answer == Answer(-1, "HTTP 502", 502)

    wecom.down, wecom.drop = False, True
    error = failure(channel, chat, "提醒")
    assert isinstance(error, Transient)
    assert error.answer is None
    assert error.__context__ is None
    assert error.__cause__ is None

    wecom.drop = False
    wecom.delay = 1.0
    error = failure(WeComChannel(clock=clock.now, timeout=0.2), chat, "提醒")
    assert isinstance(error, Transient)
    assert "0.2 秒内没有应答" in error.reason

    wecom.delay = 0
    assert deliver(channel, chat, "恢复").code == 0
    wecom.stop()
    error = failure(channel, chat, "提醒")
    assert isinstance(error, Transient)
    assert "连接失败" in error.reason
    assert wecom.texts_for("branch") == ["恢复"]


def test_a_webhook_that_is_no_url_disables_the_chat(clock: Clock) -> None:
    for webhook in ("ftp://example.org/robot/send?access_token=abcdefgh", "http://"):
        chat = robot_chat(Platform.DINGTALK, webhook)
        error = failure(DingTalkChannel(clock=clock.now), chat, "#### 提醒")
        assert isinstance(error, ChatGone), webhook
    no_webhook = Chat(1, None, "B01", ChatRole.BRANCH, platform=Platform.WECOM, address="wecom:x")
    assert isinstance(failure(WeComChannel(), no_webhook, "提醒"), ChatGone)


# --- limits before any request -------------------------------------------------------------------


def test_oversized_messages_are_rejected_without_a_request(
    fakes: dict[Platform, FakeRobots], clock: Clock
) -> None:
    limits = {Platform.WECOM: 4096, Platform.DINGTALK: 20000}
    for platform, limit in limits.items():
        fake = fakes[platform]
        chat = robot_chat(platform, fake.webhook("branch"))
        channel = make(platform, clock)
        exact = "党" * (limit // 3) + "x" * (limit % 3)  # exactly the limit in UTF-8
        assert deliver(channel, chat, exact).code == 0
        before = len(fake.requests)
        error = failure(channel, chat, exact + "x")
        assert isinstance(error, Rejected)
        assert str(limit) in error.reason
        assert error.answer is None
        assert len(fake.requests) == before

    feishu = fakes[Platform.FEISHU]
    chat = robot_chat(Platform.FEISHU, feishu.webhook("branch", FEISHU_SECRET), FEISHU_SECRET)
    channel = FeishuChannel(clock=clock.now)
    fits = "标题\n" + "党" * 6500  # a card body just under 20 KB
    assert deliver(channel, chat, fits).code == 0
    error = failure(channel, chat, fits + "党" * 300)
    assert isinstance(error, Rejected)
    assert "20 KB" in error.reason
    assert len(feishu.requests) == 1


def test_fakes_enforce_the_limits_the_clients_keep(
    fakes: dict[Platform, FakeRobots],
) -> None:
    def post(url: str, body: dict[str, Any] | bytes) -> dict[str, Any]:
        content = body if isinstance(body, bytes) else encode_json(body)
        response = httpx.post(url, content=content, timeout=10)
        assert response.status_code == 200
        answer: dict[str, Any] = response.json()
        return answer

    wecom = fakes[Platform.WECOM].webhook("raw")
    assert (
        post(wecom, {"msgtype": "markdown", "markdown": {"content": "党" * 1366}})["errcode"]
        == 40058
    )
    assert post(wecom, {"msgtype": "text", "text": {"content": "x" * 2049}})["errcode"] == 40058
    assert post(wecom, {"msgtype": "text", "text": {"content": "x" * 2048}})["errcode"] == 0
    assert post(wecom, {"msgtype": "markdown", "markdown": {}})["errcode"] == 44004
    assert post(wecom, {"msgtype": "voice"})["errcode"] == 40008
    assert post(wecom, b"{not json")["errcode"] == 40035
    assert post(wecom, {"msgtype": "file", "file": {"media_id": "media-404"}})["errcode"] == 40007
    # httpx's json= (Chinese escaped) is still valid JSON, only bigger.
    escaped = httpx.post(wecom, json={"msgtype": "markdown", "markdown": {"content": "党"}})
    assert escaped.json()["errcode"] == 0

    dingtalk = fakes[Platform.DINGTALK].webhook("raw")
    long = {"msgtype": "markdown", "markdown": {"title": "t", "text": "x" * 20001}}
    assert post(dingtalk, long)["errcode"] == 460101
    assert post(dingtalk, {"msgtype": "markdown", "markdown": {"text": "x"}})["errcode"] == 40035
    assert post(dingtalk, {"msgtype": "file"})["errcode"] == 400105

    feishu = fakes[Platform.FEISHU].webhook("raw")
    big = {"msg_type": "text", "content": {"text": "x" * (20 * 1024)}}
    assert post(feishu, big)["code"] == 9499
    assert post(feishu, {"card": {}})["code"] == 19002
    assert post(feishu, {"msg_type": "interactive", "card": {"elements": []}})["code"] == 9499
    assert post(feishu, {"msg_type": "text", "content": {"text": "好"}})["code"] == 0


# --- files ---------------------------------------------------------------------------------------


def test_wecom_uploads_a_file_then_sends_it(wecom: FakeWeCom, clock: Clock) -> None:
    chat = robot_chat(Platform.WECOM, wecom.webhook("branch"))
    data = os.urandom(300_000)
    channel = WeComChannel(clock=clock.now)

    result = run(
        channel, lambda: channel.send_document(chat, "2026年3月通报.xlsx", data, "三月通报")
    )

    assert result is None
    [upload] = wecom.uploads
    assert (upload.filename, upload.data) == ("2026年3月通报.xlsx", data)
    [got] = wecom.received_for("branch")  # the caption is not sent: file messages have none
    assert got.body == {"msgtype": "file", "file": {"media_id": upload.media_id}}
    assert (got.filename, got.file) == ("2026年3月通报.xlsx", data)
    assert wecom.requests == ["/cgi-bin/webhook/upload_media", "/cgi-bin/webhook/send"]


def test_wecom_files_outside_5_bytes_to_20_mb_are_rejected_without_a_request(
    wecom: FakeWeCom, clock: Clock
) -> None:
    chat = robot_chat(Platform.WECOM, wecom.webhook("branch"))
    channel = WeComChannel(clock=clock.now)
    for data in (b"x" * 4, b"x" * (20 * 1024 * 1024 + 1)):
        with pytest.raises(Rejected, match="5 字节至 20 MB"):
            run(channel, functools.partial(channel.send_document, chat, "a.xlsx", data))
    assert run(channel, lambda: channel.send_document(chat, "a.txt", b"12345")) is None
    assert wecom.requests == ["/cgi-bin/webhook/upload_media", "/cgi-bin/webhook/send"]


def test_wecom_upload_failures(wecom: FakeWeCom, clock: Clock) -> None:
    chat = robot_chat(Platform.WECOM, wecom.webhook("branch"))
    channel = WeComChannel(clock=clock.now)
    wecom.fail_next("branch", 40006, "invalid file size")
    with pytest.raises(Rejected) as rejected:
        run(channel, lambda: channel.send_document(chat, "a.xlsx", b"x" * 10))
    assert rejected.value.answer is not None
    assert rejected.value.answer.code == 40006
    wecom.fail_next("branch", 0, "ok")  # an upload answer without a media_id
    with pytest.raises(Transient, match="media_id"):
        run(channel, lambda: channel.send_document(chat, "a.xlsx", b"x" * 10))
    assert wecom.received == []


def test_upload_address_keeps_the_host_and_key() -> None:
    assert (
        upload_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123")
        == "https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key=abc-123&type=file"
    )
    assert (
        upload_url("https://wx.gov.example.cn:8443/proxy/cgi-bin/webhook/send?key=K1&debug=1")
        == "https://wx.gov.example.cn:8443/proxy/cgi-bin/webhook/upload_media?key=K1&debug=1&type=file"
    )
    with pytest.raises(ValueError, match="send webhook"):
        upload_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/other?key=K")


@pytest.mark.parametrize(
    ("kind", "fake"), [(DingTalkChannel, FakeDingTalk), (FeishuChannel, FakeFeishu)]
)
def test_dingtalk_and_feishu_cannot_send_files(
    kind: type[RobotChannel], fake: type[FakeRobots], clock: Clock
) -> None:
    with fake(clock=clock.epoch) as server:
        platform = Platform.DINGTALK if kind is DingTalkChannel else Platform.FEISHU
        chat = robot_chat(platform, server.webhook("branch"))
        channel = kind(clock=clock.now)
        with pytest.raises(Rejected, match="不能发送文件"):
            run(channel, lambda: channel.send_document(chat, "a.xlsx", b"x" * 10, "通报"))
        assert server.requests == []


# --- credentials ---------------------------------------------------------------------------------


def test_credentials_of_each_webhook() -> None:
    assert credentials("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aoc") == [
        "693a91f6-7aoc"
    ]
    assert credentials("https://oapi.dingtalk.com/robot/send?access_token=0c23abcdef") == [
        "0c23abcdef"
    ]
    assert credentials("https://open.feishu.cn/open-apis/bot/v2/hook/0b8e-4a1f-9c2d") == [
        "0b8e-4a1f-9c2d"
    ]
    assert credentials("https://example.org/send?key=short") == []  # not a credential


def test_guard_logs_redacts_any_string_and_keeps_telegram_tokens_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard_logs("", "webhook-secret-0001")
    guard_logs("7000000001:AAtelegramSecretPart")
    caplog.set_level(logging.DEBUG, logger="httpx")
    logger = logging.getLogger("httpx")
    logger.info(
        "POST http://h/send?key=webhook-secret-0001 and /bot7000000001:AAtelegramSecretPart"
    )
    logger.info("the secret part alone: AAtelegramSecretPart")
    assert "POST http://h/send?key=<token> and /bot<token>\n" in caplog.text
    assert "the secret part alone: <token>\n" in caplog.text


def test_no_key_token_or_secret_in_errors_or_logs(
    fakes: dict[Platform, FakeRobots], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    wecom, dingtalk, feishu = (
        fakes[Platform.WECOM],
        fakes[Platform.DINGTALK],
        fakes[Platform.FEISHU],
    )
    chats = {
        Platform.WECOM: robot_chat(Platform.WECOM, wecom.webhook("r")),
        Platform.DINGTALK: robot_chat(
            Platform.DINGTALK, dingtalk.webhook("r", DING_SECRET), DING_SECRET
        ),
        Platform.FEISHU: robot_chat(
            Platform.FEISHU, feishu.webhook("r", FEISHU_SECRET), FEISHU_SECRET
        ),
    }
    channels = {platform: make(platform, clock) for platform in chats}
    for platform, chat in chats.items():  # registers the credentials, then log everything
        assert deliver(channels[platform], chat, digest(platform, "提醒", "张三")).code == 0
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="httpcore")
    wrong_secret = "SEC" + "1" * 64
    secrets = {DING_SECRET, FEISHU_SECRET, wrong_secret}
    for chat in chats.values():
        assert chat.webhook is not None
        secrets.add(chat.webhook)
        secrets.update(credentials(chat.webhook))

    errors: list[DeliveryError] = []
    with capture_logs() as events:
        for platform, chat in chats.items():
            fake, channel = fakes[platform], channels[platform]
            # The platforms' own messages may echo what they were sent: make them do so.
            echo = f"bad request to {chat.webhook} with {chat.secret}"
            echo += f" and {credentials(chat.webhook or '')}"
            fake.fail_next("r", 40058 if platform is not Platform.FEISHU else 19002, echo)
            fake.fail_next("r", 45009 if platform is Platform.WECOM else 130101, echo)
            fake.fail_next("r", status=404, raw=b"gone")
            fake.fail_next("r", status=503, raw=chat.webhook.encode() if chat.webhook else b"")
            wrong = robot_chat(platform, chat.webhook or "", wrong_secret)
            for _ in range(4):
                errors.append(failure(channel, chat, digest(platform, "提醒", "张三")))
            if platform is not Platform.WECOM:
                errors.append(failure(channel, wrong, digest(platform, "提醒", "张三")))
            fake.down = True
            errors.append(failure(channel, chat, digest(platform, "提醒", "张三")))
            fake.down, fake.drop = False, True
            errors.append(failure(channel, chat, digest(platform, "提醒", "张三")))
            fake.drop = False
        errors.append(failure(channels[Platform.WECOM], chats[Platform.WECOM], "x" * 5000))

    assert len(errors) == 3 * 6 + 2 + 1
    assert any("HTTP Request: POST" in record.getMessage() for record in caplog.records)
    assert events
    assert all(event["event"] == "robot_delivery_failed" for event in events)
    texts = [caplog.text, repr(events)]
    for error in errors:
        texts += [str(error), repr(error), repr(error.args), repr(error.answer)]
        texts.append("".join(traceback.format_exception(error)))
    for text in texts:
        for secret in secrets:
            assert secret not in text, (secret, text[:300])


def test_channels_route_each_platform(clock: Clock) -> None:
    channels = channel_from_env({}, clock=clock.now)
    assert isinstance(channels, Channels)
    for platform, kind in (
        (Platform.WECOM, WeComChannel),
        (Platform.DINGTALK, DingTalkChannel),
        (Platform.FEISHU, FeishuChannel),
    ):
        channel = channels.for_platform(platform)
        assert isinstance(channel, kind)
        assert isinstance(channel, RobotChannel)
        assert channel.clock == clock.now


# --- styles: escaping and measuring --------------------------------------------------------------

MARKUP = "*_`[]<>#@~|\\&!"
MARKDOWN_PLATFORMS = [Platform.WECOM, Platform.DINGTALK, Platform.FEISHU]


@pytest.mark.parametrize("platform", MARKDOWN_PLATFORMS)
def test_markdown_styles_turn_markup_into_full_width(platform: Platform) -> None:
    style = style_for(platform)
    assert style.escape(MARKUP) == "＊＿｀［］＜＞＃＠～｜＼＆！"
    assert style.escape(USER_DATA) == ESCAPED
    assert style.escape("张三（第一支部）2026-03") == "张三（第一支部）2026-03"


def test_telegram_sends_plain_text_unescaped() -> None:
    style = style_for(Platform.TELEGRAM)
    assert style.escape(MARKUP) == MARKUP
    assert style.item(USER_DATA) == f"• {USER_DATA}"
    assert style.heading("<b>提醒</b>") == "<b>提醒</b>"


@pytest.mark.parametrize("platform", MARKDOWN_PLATFORMS)
@pytest.mark.parametrize("brk", ["\n", "\r\n", "\r", "\t", "\v", "\f", "\x85", "\u2028", "\u2029"])
def test_user_data_cannot_break_a_line(platform: Platform, brk: str) -> None:
    style = style_for(platform)
    line = style.item(f"张三{brk}#### 李四")
    assert len(line.splitlines()) == 1
    assert "\n" not in line
    assert "#" not in line


@pytest.mark.parametrize(
    ("platform", "heading", "newline"),
    [
        (Platform.TELEGRAM, "提醒*", "\n"),
        (Platform.WECOM, "**提醒＊**", "\n"),
        (Platform.DINGTALK, "#### 提醒＊", "\n\n"),
        (Platform.FEISHU, "提醒＊", "\n"),
    ],
)
def test_headings_items_and_title_and_body(platform: Platform, heading: str, newline: str) -> None:
    style = style_for(platform)
    assert style.heading("提醒*") == heading
    assert style.newline == newline
    text = digest(platform, "提醒*", "张三", "李四")
    title, body = style.title_and_body(text)
    assert title == ("提醒*" if platform is Platform.TELEGRAM else "提醒＊")
    assert body == newline.join(["• 张三", "• 李四"])
    assert style.plain("提醒*\n张三*") == newline.join([heading, style.escape("张三*")])


def test_measures_count_what_each_platform_counts() -> None:
    telegram, wecom = style_for(Platform.TELEGRAM), style_for(Platform.WECOM)
    dingtalk, feishu = style_for(Platform.DINGTALK), style_for(Platform.FEISHU)
    assert [telegram.measure(t) for t in ("a", "党", "😀")] == [1, 1, 2]  # UTF-16 code units
    assert [wecom.measure(t) for t in ("a", "党", "😀")] == [1, 3, 4]  # UTF-8 bytes
    assert dingtalk.measure("党") == 3
    assert [feishu.measure(t) for t in ("党", '"', "\n", "\\", "\x01")] == [3, 2, 2, 2, 6]
    assert feishu.measure("党" * 10) == len(encode_json({"t": "党" * 10})) - len('{"t":""}')
    assert (telegram.limit, wecom.limit, dingtalk.limit) == (4096, 4096, 20000)
    assert feishu.limit < 20 * 1024


@pytest.mark.parametrize("platform", list(Platform))
def test_truncate_keeps_to_the_limit_and_marks_the_cut(platform: Platform) -> None:
    style = style_for(platform)
    text = "第一支部“三会一课”落实情况\n" * 50
    assert style.truncate("短", 10) == "短"
    for limit in (0, 1, 2, 3, 10, 100, 101, 1000):
        cut = style.truncate(text, limit)
        assert style.measure(cut) <= limit, (limit, cut)
        assert text.startswith(cut.removesuffix("…"))
        if style.measure(text) <= limit:
            assert cut == text
        elif limit >= style.measure("…"):  # room for the mark: the cut is marked
            assert cut.endswith("…")


@given(st.text(), st.sampled_from(list(Platform)), st.integers(min_value=0, max_value=300))
def test_truncate_and_escape_hold_for_any_text(text: str, platform: Platform, limit: int) -> None:
    style: Style = style_for(platform)
    cut = style.truncate(text, limit)
    assert style.measure(cut) <= limit
    assert cut == text or text.startswith(cut.removesuffix("…"))
    if platform is not Platform.TELEGRAM:
        escaped = style.escape(text)
        assert not set(escaped) & set(MARKUP)
        assert len(escaped.splitlines()) <= 1

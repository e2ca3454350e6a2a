"""The dispatcher and the alert cycle against the fake WeCom, DingTalk and Feishu robots: digests
split by each platform's byte limit, signatures, rate limits and their errcodes, dead webhooks,
a killed dispatcher, two replicas sharing one robot's limit, the WeCom file upload, a newly
linked chat's first digest, and `orglife chats …` on the command line."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.alerts.channels import channel_from_env
from monitor.alerts.channels.style import style_for
from monitor.alerts.dispatch import Dispatcher, DispatchReport
from monitor.alerts.plan import (
    AlertPlan,
    Chat,
    ChatRole,
    FindingKey,
    Notice,
    NoticeKind,
    Platform,
)
from monitor.alerts.store import AlertStore
from monitor.cli import main
from monitor.core.rules import RulePack
from monitor.holidays import work_calendar
from monitor.service.runner import run_cycle, send_summaries
from monitor.store import Store
from tests.fake_robots import FakeDingTalk, FakeFeishu, FakeRobots, FakeWeCom

NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
AS_OF = dt.date(2026, 11, 24)
CHILD = Path(__file__).parent / "dispatch_child.py"
FAKES: dict[Platform, type[FakeRobots]] = {
    Platform.WECOM: FakeWeCom,
    Platform.DINGTALK: FakeDingTalk,
    Platform.FEISHU: FakeFeishu,
}
ROBOTS = list(FAKES)


class Clock:
    """The dispatcher's, the clients' and the fakes' clock: sleeping advances it, instantly."""

    def __init__(self, start: dt.datetime = NOW) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=ROBOTS, ids=[p.value for p in ROBOTS])
def platform(request: pytest.FixtureRequest) -> Platform:
    return Platform(request.param)


@pytest.fixture
def fake(platform: Platform, clock: Clock) -> Iterator[FakeRobots]:
    with FAKES[platform](clock=clock.epoch) as server:
        yield server


def link(
    store: Store,
    fake: FakeRobots,
    platform: Platform,
    org: str,
    role: ChatRole,
    name: str,
    *,
    secret: str | None = None,
    told: str | None = None,
) -> Chat:
    """Register robot ``name`` on the fake (signing with ``secret``) and link it; ``told`` is
    the secret orglife is given (default: the robot's own)."""
    url = fake.webhook(name, secret=secret)
    return AlertStore(store).add_chat(
        org,
        None,
        role,
        now=NOW,
        platform=platform,
        webhook=url,
        secret=told if told is not None else secret,
    )


def dispatch(store: Store, clock: Clock, **options: Any) -> DispatchReport:
    channel = channel_from_env({}, clock=clock)
    dispatcher = Dispatcher(
        store,
        channel,
        worker=str(options.pop("worker", "test")),
        clock=clock,
        sleep=clock.sleep,
        **options,
    )

    async def run() -> DispatchReport:
        try:
            return await dispatcher.run_until_idle()
        finally:
            await channel.aclose()

    return asyncio.run(run())


def lines_for(store: Store, chat: Chat) -> list[str]:
    return [r["line"] for r in AlertStore(store).outbox() if r["chat"] == chat.id]


def shown(fake: FakeRobots, robot: str, platform: Platform, lines: list[str]) -> Counter[str]:
    """How often each line appears, as the platform's style writes it, in what ``robot`` got."""
    style = style_for(platform)
    texts = "\n".join(fake.texts_for(robot))
    return Counter({line: texts.count(style.item(line)) for line in lines})


def synthetic(store: Store, chat: Chat, count: int, width: int = 100) -> list[str]:
    """Enqueue ``count`` made-up misses for ``chat``, with markup and mentions in the data."""
    notices = []
    for i in range(count):
        key = FindingKey(chat.org, "", "rule", f"P{i:04d}")
        prefix = f"{chat.id}/{i:04d} *张三* <@all> [x](y) @所有人 "
        line = prefix + "组" * (width - len(prefix))
        notices.append(Notice(f"missed:{key.token}", chat.id, NoticeKind.MISSED, key, line))
    AlertStore(store).record(AlertPlan(notices=notices), now=NOW)
    return [n.line for n in notices]


def cycle(store: Store, pack: RulePack, as_of: dt.date = AS_OF, now: dt.datetime = NOW) -> int:
    return run_cycle(store, pack, work_calendar(warn=lambda *a: None), as_of=as_of, now=now).total


# --- digests ---------------------------------------------------------------------------------


def test_a_cycle_reaches_every_robot_split_by_its_byte_limit_and_escaped(
    demo_store: Store, national: RulePack, platform: Platform, fake: FakeRobots, clock: Clock
) -> None:
    branch = link(demo_store, fake, platform, "JD01-06-01", ChatRole.BRANCH, "branch")
    inspector = link(demo_store, fake, platform, "JD01", ChatRole.INSPECTOR, "inspector")
    assert cycle(demo_store, national) > 0
    many = synthetic(demo_store, inspector, 150)  # far more than one message of any platform
    report = dispatch(demo_store, clock)
    assert report.rows_dropped == report.rows_deferred == report.chats_disabled == 0
    assert {r["state"] for r in AlertStore(demo_store).outbox()} == {"sent"}
    for chat, robot in ((branch, "branch"), (inspector, "inspector")):
        lines = lines_for(demo_store, chat)
        assert lines
        assert set(shown(fake, robot, platform, lines).values()) == {1}  # each line once
    style = style_for(platform)
    texts = fake.texts_for("inspector")
    assert len(texts) >= 2
    assert any("（续）" in text for text in texts)
    assert all(style.measure(text) <= style.limit for text in texts)
    # User data cannot add markup or mention anyone: it arrives in full-width characters.
    joined = "\n".join(texts)
    assert "＊张三＊ ＜＠all＞ ［x］(y) ＠所有人" in joined
    assert "<@all>" not in joined
    assert "*张三*" not in joined
    assert len(many) == 150


def test_the_fakes_limits_are_real_an_oversized_message_is_refused(
    demo_store: Store, platform: Platform, fake: FakeRobots, clock: Clock
) -> None:
    """The fakes enforce the limits the styles budget for: one byte over is refused."""
    chat = link(demo_store, fake, platform, "JD01", ChatRole.INSPECTOR, "inspector")
    style = style_for(platform)
    channel = channel_from_env({}, clock=clock)
    fits = style.heading("标题") + style.newline + "党" * ((style.limit - 40) // 3)

    async def send(text: str) -> None:
        try:
            await channel.send(chat, text)
        finally:
            await channel.aclose()

    asyncio.run(send(fits))
    assert len(fake.received_for("inspector")) == 1
    if platform is not Platform.FEISHU:  # Feishu's limit is on the whole body (checked there)
        from monitor.alerts.channels import Rejected

        too_long = fits + "党" * 40
        with pytest.raises(Rejected):
            asyncio.run(send(too_long))


# --- signatures, errcodes ---------------------------------------------------------------------


@pytest.mark.parametrize("robot_platform", [Platform.DINGTALK, Platform.FEISHU])
def test_a_wrong_signing_secret_disables_the_chat_with_the_reason(
    demo_store: Store, national: RulePack, robot_platform: Platform, clock: Clock
) -> None:
    with FAKES[robot_platform](clock=clock.epoch) as fake:
        good = link(
            demo_store, fake, robot_platform, "JD01", ChatRole.INSPECTOR, "good", secret="SEC-ok"
        )
        bad = link(
            demo_store,
            fake,
            robot_platform,
            "JD01-06-01",
            ChatRole.BRANCH,
            "bad",
            secret="SEC-right",
            told="SEC-wrong",
        )
        cycle(demo_store, national)
        report = dispatch(demo_store, clock)
        assert report.chats_disabled == 1
        assert fake.received_for("good")
        assert not fake.received_for("bad")
        assert fake.robot("good").secret == "SEC-ok"
    (listed,) = AlertStore(demo_store).chats(id=bad.id)
    assert not listed.enabled
    assert listed.disabled_reason is not None
    assert "签" in listed.disabled_reason  # names the signature as what is wrong
    assert "SEC-" not in listed.disabled_reason
    pending = [r for r in AlertStore(demo_store).outbox() if r["chat"] == bad.id]
    assert pending
    assert {r["state"] for r in pending} == {"pending"}
    assert {r["state"] for r in AlertStore(demo_store).outbox() if r["chat"] == good.id} == {"sent"}


RATE_LIMITS = [
    (Platform.WECOM, 45009, "api freq out of limit", 60.0),
    (Platform.DINGTALK, 130101, "send too fast, exceed 20 times per minute", 600.0),
    (Platform.FEISHU, 9499, "too many request", None),
]


@pytest.mark.parametrize(
    ("robot_platform", "code", "message", "wait"),
    RATE_LIMITS,
    ids=[f"{p.value}-{c}" for p, c, _, _ in RATE_LIMITS],
)
def test_a_rate_limit_errcode_is_retried_later_and_delivered(
    demo_store: Store,
    national: RulePack,
    clock: Clock,
    robot_platform: Platform,
    code: int,
    message: str,
    wait: float | None,
) -> None:
    with FAKES[robot_platform](clock=clock.epoch) as fake:
        chat = link(demo_store, fake, robot_platform, "JD01", ChatRole.INSPECTOR, "inspector")
        cycle(demo_store, national)
        fake.fail_next("inspector", code, message)
        if wait is None:  # a per-second limit: the dispatcher waits it out in the same run
            report = dispatch(demo_store, clock)
            assert report.rows_deferred == 0
            assert clock.sleeps
            assert min(clock.sleeps) >= 1
            assert set(shown(fake, "inspector", robot_platform, lines_for(demo_store, chat))) == (
                set(lines_for(demo_store, chat))
            )
            assert {r["state"] for r in AlertStore(demo_store).outbox()} == {"sent"}
            return
        first = dispatch(demo_store, clock)
        assert first.rows_sent == 0
        assert first.rows_deferred > 0
        rows = [r for r in AlertStore(demo_store).outbox() if r["chat"] == chat.id]
        assert {r["state"] for r in rows} == {"pending"}
        assert all(str(code) in (r["last_error"] or "") for r in rows)
        available = min(
            r["available"].replace(tzinfo=dt.UTC)
            if r["available"].tzinfo is None
            else r["available"]
            for r in rows
        )
        assert available - clock() >= dt.timedelta(seconds=wait - 1)
        assert dispatch(demo_store, clock).rows_sent == 0  # not before the platform's wait
        clock.now = available + dt.timedelta(seconds=1)
        later = dispatch(demo_store, clock)
        assert later.rows_sent == len(rows)
        assert set(shown(fake, "inspector", robot_platform, lines_for(demo_store, chat))) == set(
            lines_for(demo_store, chat)
        )
        assert {r["state"] for r in AlertStore(demo_store).outbox()} == {"sent"}


def test_nothing_is_lost_while_a_platform_is_down(
    demo_store: Store, national: RulePack, platform: Platform, fake: FakeRobots, clock: Clock
) -> None:
    chat = link(demo_store, fake, platform, "JD01", ChatRole.INSPECTOR, "inspector")
    cycle(demo_store, national)
    fake.down = True  # every request answered 502
    outage = dispatch(demo_store, clock)
    assert outage.rows_sent == 0
    assert outage.rows_deferred == len(lines_for(demo_store, chat))
    clock.now += dt.timedelta(seconds=30)  # the first retry
    assert dispatch(demo_store, clock).rows_deferred == outage.rows_deferred  # still down: 60 s
    fake.down = False
    clock.now += dt.timedelta(seconds=61)
    back = dispatch(demo_store, clock)
    assert back.rows_sent == len(lines_for(demo_store, chat))
    assert set(shown(fake, "inspector", platform, lines_for(demo_store, chat)).values()) == {1}
    (listed,) = AlertStore(demo_store).chats(id=chat.id)
    assert listed.enabled  # an outage never disables a chat


DEAD = [
    (Platform.WECOM, "93000", lambda fake: fake.base_url + "/cgi-bin/webhook/send?key=unknown"),
    (Platform.DINGTALK, "300001", lambda fake: fake.base_url + "/robot/send?access_token=nope"),
]


@pytest.mark.parametrize(("robot_platform", "code", "url"), DEAD, ids=["wecom", "dingtalk"])
def test_an_invalid_webhook_disables_the_chat(
    demo_store: Store,
    national: RulePack,
    clock: Clock,
    robot_platform: Platform,
    code: str,
    url: Any,
) -> None:
    with FAKES[robot_platform](clock=clock.epoch) as fake:
        webhook = url(fake)
        chat = AlertStore(demo_store).add_chat(
            "JD01", None, ChatRole.INSPECTOR, now=NOW, platform=robot_platform, webhook=webhook
        )
        cycle(demo_store, national)
        report = dispatch(demo_store, clock)
    assert report.chats_disabled == 1
    assert report.rows_sent == 0
    (listed,) = AlertStore(demo_store).chats(id=chat.id)
    assert not listed.enabled
    assert code in (listed.disabled_reason or "")
    assert "unknown" not in (listed.disabled_reason or "")
    assert "nope" not in (listed.disabled_reason or "")


# --- files, summaries -----------------------------------------------------------------------------


def test_the_monthly_summary_reaches_each_platform_in_its_form(
    demo_store: Store, national: RulePack, clock: Clock
) -> None:
    """WeCom: the text, the workbook and the Word 通报 as files; DingTalk and Feishu: the text
    with a signed link to the page."""
    with (
        FakeWeCom(clock=clock.epoch) as wecom,
        FakeDingTalk(clock=clock.epoch) as dingtalk,
        FakeFeishu(clock=clock.epoch) as feishu,
    ):
        link(demo_store, wecom, Platform.WECOM, "JD01", ChatRole.INSPECTOR, "inspector")
        link(demo_store, dingtalk, Platform.DINGTALK, "JD01", ChatRole.INSPECTOR, "inspector")
        link(demo_store, feishu, Platform.FEISHU, "JD01", ChatRole.INSPECTOR, "inspector")
        chats = send_summaries(
            demo_store,
            national,
            month="2026-10",
            as_of=AS_OF,
            now=NOW,
            public_url="https://orglife.example.gov.cn/",
        )
        assert chats == 3
        report = dispatch(demo_store, clock)
        assert report.rows_dropped == 0
        got = wecom.received_for("inspector")
        assert [bool(m.filename) for m in got] == [False, True, True]
        assert "2026年10月" in got[0].text
        files = {m.filename or "": m.file or b"" for m in got[1:]}
        assert {Path(name).suffix for name in files} == {".xlsx", ".docx"}
        assert all(data.startswith(b"PK") for data in files.values())
        for fake in (dingtalk, feishu):
            (message,) = fake.received_for("inspector")
            assert "https://orglife.example.gov.cn/reports/JD01/2026-10.html?expires=" in (
                message.text
            )
            assert "&sig=" in message.text  # the link is not escaped into full-width


# --- a newly linked chat ----------------------------------------------------------------------


def test_a_chat_linked_after_the_first_cycle_gets_what_is_outstanding_once(
    demo_store: Store, national: RulePack, clock: Clock
) -> None:
    with FakeWeCom(clock=clock.epoch) as wecom:
        early = link(demo_store, wecom, Platform.WECOM, "JD01", ChatRole.INSPECTOR, "early")
        cycle(demo_store, national)
        dispatch(demo_store, clock)
        announced = lines_for(demo_store, early)
        assert announced
        late = link(demo_store, wecom, Platform.WECOM, "JD01", ChatRole.INSPECTOR, "late")
        clock.now = NOW + dt.timedelta(hours=1)
        cycle(demo_store, national, now=clock.now)
        dispatch(demo_store, clock)
        misses = [line for line in announced if "未按期" in line or "未开展" in line]
        got = shown(wecom, "late", Platform.WECOM, lines_for(demo_store, late))
        assert set(got.values()) == {1}
        assert set(lines_for(demo_store, late)) >= set(misses)
        before = len(wecom.received_for("early")), len(wecom.received_for("late"))
        # The next cycle: nothing new for either.
        clock.now = NOW + dt.timedelta(hours=2)
        cycle(demo_store, national, now=clock.now)
        dispatch(demo_store, clock)
        assert (len(wecom.received_for("early")), len(wecom.received_for("late"))) == before
    (fresh,) = AlertStore(demo_store).chats(id=late.id)
    assert fresh.welcomed


# --- crashes and replicas -------------------------------------------------------------------------


def test_a_dispatcher_killed_mid_send_to_a_robot_loses_nothing(
    demo_store: Store, national: RulePack, db_url: str
) -> None:
    with FakeWeCom() as wecom:
        inspector = link(demo_store, wecom, Platform.WECOM, "JD01", ChatRole.INSPECTOR, "i")
        branch = link(demo_store, wecom, Platform.WECOM, "JD01-06-01", ChatRole.BRANCH, "b")
        cycle(demo_store, national)
        synthetic(demo_store, inspector, 120)
        wecom.delay = 0.3
        child = subprocess.Popen(
            [sys.executable, str(CHILD), db_url, "doomed", NOW.isoformat(), "4096"],
            env={**os.environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = dt.datetime.now() + dt.timedelta(seconds=20)
            while not wecom.received and child.poll() is None and dt.datetime.now() < deadline:
                threading.Event().wait(0.05)
            assert child.poll() is None, "the child dispatcher exited before it was killed"
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
            for stream in (child.stdout, child.stderr):
                if stream is not None:
                    stream.close()
        assert child.returncode == -signal.SIGKILL
        threading.Event().wait(0.5)  # a request the dead child left in flight completes
        before = len(wecom.received)
        assert before >= 1
        assert [r for r in AlertStore(demo_store).outbox() if r["claimed_by"] == "doomed"]
        wecom.delay = 0
        restart = Clock(NOW + dt.timedelta(minutes=6))  # past the dead one's lease
        dispatch(demo_store, restart)
        assert {r["state"] for r in AlertStore(demo_store).outbox()} == {"sent"}
        for chat, robot in ((inspector, "i"), (branch, "b")):
            counts = shown(wecom, robot, Platform.WECOM, lines_for(demo_store, chat))
            assert min(counts.values()) == 1  # nothing lost
            twice = {line for line, n in counts.items() if n > 1}
            assert all(n <= 2 for n in counts.values())
            if twice:  # at most the one message in flight at the kill
                texts = wecom.texts_for(robot)
                assert any(
                    all(style_for(Platform.WECOM).item(line) in text for line in twice)
                    for text in texts
                )


@pytest.mark.postgres
def test_two_replicas_on_postgresql_share_one_robots_limit_and_send_each_line_once(
    pg_url: str,
) -> None:
    """Two dispatchers, one robot linked for three orgs: every line once, and the robot's
    limit held across both. Real time, with the limit scaled down (5 messages in 1.5 s at the
    fake; the dispatchers budget 5 in 2.5 s, leaving room for a loaded machine's delay between
    taking a slot and the message arriving): counted per process, the two would send 10."""
    from monitor.alerts.channels.style import Rate
    from monitor.demo import demo_files
    from monitor.registers.readers import read_orgs

    with FakeWeCom() as wecom:
        wecom.RATE, wecom.WINDOW = 5, 1.5
        with Store.open(pg_url) as store:
            store.import_orgs(read_orgs(demo_files()["orgs"]))
            codes = [o.code for o in store.orgs()][:3]
            lines: list[str] = []
            url = wecom.webhook("shared")
            for code in codes:  # one robot linked for three orgs: one limit
                chat = AlertStore(store).add_chat(
                    code, None, ChatRole.INSPECTOR, now=NOW, platform=Platform.WECOM, webhook=url
                )
                lines += synthetic(store, chat, 60, width=100)
        start = threading.Barrier(2)
        reports: dict[str, DispatchReport] = {}
        errors: list[BaseException] = []

        def work(worker: str) -> None:
            try:
                with Store.open(pg_url, migrate=False) as own:
                    channel = channel_from_env({})
                    dispatcher = Dispatcher(
                        own,
                        channel,
                        worker=worker,
                        clock=lambda: dt.datetime.now(dt.UTC),
                        batch=40,
                        max_wait=5.0,
                        rates={Platform.WECOM: (Rate(5, 2.5),)},
                    )

                    async def go() -> DispatchReport:
                        try:
                            return await dispatcher.run_until_idle()
                        finally:
                            await channel.aclose()

                    start.wait(10)
                    reports[worker] = asyncio.run(go())
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(f"replica-{i}",)) for i in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        texts = "\n".join(wecom.texts_for("shared"))
        style = style_for(Platform.WECOM)
        assert Counter({line: texts.count(style.item(line)) for line in lines}) == Counter(lines)
        assert all(r.rows_sent for r in reports.values())  # both took part
        assert sum(r.rows_sent for r in reports.values()) == len(lines) == 180
        assert all(r.rows_deferred == 0 for r in reports.values())  # no 45009 from the fake
        times = sorted(m.at for m in wecom.received_for("shared"))
        assert len(times) > 10
        assert all(b - a >= 1.5 for a, b in zip(times, times[5:], strict=False))


# --- the command line ---------------------------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env)


def test_chats_add_list_and_test_on_the_command_line(db_url: str, demo_store: Store) -> None:
    with FakeDingTalk() as dingtalk, FakeWeCom() as wecom:
        url = dingtalk.webhook("d", secret="SECxyz-right")
        added = run(
            "--db", db_url, "chats", "add", "--org", "JD01", "--role", "inspector",
            "--channel", "dingtalk", "--webhook", url, "--secret", "SECxyz-right",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        chat_id = added.stdout.strip()
        assert chat_id.isdigit()
        assert "钉钉群机器人" in added.stderr
        assert "已配置加签密钥" in added.stderr
        bad = wecom.base_url + "/cgi-bin/webhook/send?key=not-a-robot"
        wrong = run(
            "--db", db_url, "chats", "add", "--org", "JD01-06-01", "--role", "branch",
            "--channel", "wecom", "--webhook", bad,
        )  # fmt: skip
        assert wrong.exit_code == 0, wrong.output
        listed = run("--db", db_url, "chats", "list", "--format", "json")
        assert listed.exit_code == 0, listed.output
        chats = json.loads(listed.stdout)
        by_id = {str(c["id"]): c for c in chats}
        shown_chat = by_id[chat_id]
        assert shown_chat["channel"] == "dingtalk"
        assert shown_chat["org"] == "JD01"
        assert shown_chat["role"] == "inspector"
        assert shown_chat["disabled"] is False
        assert shown_chat["reason"] is None
        assert "access_token=***" in shown_chat["webhook"]
        for secret in ("SECxyz-right", dingtalk.robot("d").credential, "not-a-robot"):
            assert secret not in listed.stdout
        tested = run("--db", db_url, "chats", "test", chat_id)
        assert tested.exit_code == 0, tested.output
        assert "errcode 0" in tested.output
        (message,) = dingtalk.received_for("d")
        assert "测试消息" in message.text
        wecom_id = added_id = str(max(int(k) for k in by_id))
        failed = run("--db", db_url, "chats", "test", wecom_id)
        assert failed.exit_code == 1
        assert "93000" in failed.output
        assert "not-a-robot" not in failed.output
        assert added_id == wecom_id
    missing = run("--db", db_url, "chats", "test", "999999")
    assert missing.exit_code == 1
    assert "没有编号为 999999 的群聊" in missing.output


def test_chats_add_refuses_what_cannot_work_and_changes_nothing(
    db_url: str, demo_store: Store
) -> None:
    cases = [
        (["--channel", "wecom"], "--webhook"),
        (["--channel", "telegram"], "--chat"),
        (["--channel", "wecom", "--webhook", "https://qyapi.weixin.qq.com/x"], "不像企业微信"),
        (["--channel", "feishu", "--webhook", "ftp://x/open-apis/bot/v2/hook/t"], "飞书"),
        (["--chat", "-1", "--webhook", "https://x/robot/send?access_token=t"], "--webhook"),
        (["--channel", "dingtalk", "--chat", "-1"], "--chat"),
    ]
    for extra, said in cases:
        result = run("--db", db_url, "chats", "add", "--org", "JD01", "--role", "inspector", *extra)
        assert result.exit_code == 1, (extra, result.output)
        assert said in result.output, (extra, result.output)
    assert AlertStore(demo_store).chats() == []

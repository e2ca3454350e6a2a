"""Issue 10, attribution: make-up windows (carry_over), records for an earlier period
(for_period), exemptions (免于考核) and the day the registers began — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from monitor.calendar.feed import MISSED_MARK, build_feed
from monitor.calendar.service import feed_input, subject
from monitor.check import run_check
from monitor.cli import main
from monitor.core.domain import Meeting, Member, Org, OrgType, Role, Status
from monitor.core.errors import OrglifeError, RegisterError, RegisterErrorCode
from monitor.core.explain import finding_json
from monitor.core.periods import Period
from monitor.core.rules import RulePack, load_pack
from monitor.holidays import work_calendar
from monitor.registers.readers import Parsed
from monitor.store import MEETING_TABLE, Store
from monitor.store.exemptions import (
    AUDIT_TABLE,
    EXEMPTION_TABLE,
    active_exemptions,
    add_exemption,
    exemptions,
    revoke_exemption,
)
from monitor.store.settings import (
    earliest_record_month,
    registers_begin,
    set_registers_begin,
)

D = dt.date
NOW = dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC)
ORGS = [
    Org("S", "示范街道党工委", OrgType.COMMITTEE),
    Org("B1", "幸福社区党支部", OrgType.BRANCH, "S", D(2010, 1, 1)),
]
MEMBERS = [Member("M1", "张书记", "B1", role=Role.SECRETARY, joined=D(2015, 1, 1))]


def _parsed(records: list[object]) -> Parsed[object]:
    return Parsed(Path("meetings.csv"), records, list(range(2, len(records) + 2)), {})


def _registers(store: Store) -> None:
    store.import_orgs(_parsed(ORGS))  # type: ignore[arg-type]
    store.import_members(_parsed(MEMBERS))  # type: ignore[arg-type]


def _import(store: Store, pack: RulePack, *meetings: Meeting) -> None:
    store.import_meetings(_parsed(list(meetings)), pack.catalog, rules=pack.rules)  # type: ignore[arg-type]


def _meeting(
    kinds: str, day: dt.date, for_period: str | None = None, topic: str = "议题"
) -> Meeting:
    return Meeting("B1", frozenset(kinds.split("+")), day, topic=topic, for_period=for_period)


def _status(store: Store, pack: RulePack, as_of: dt.date, rule: str, period: str) -> Status:
    check = run_check(store, pack, as_of=as_of, since=D(2025, 1, 1))
    found = [f for f in check.findings if f.org == "B1" and f.rule == rule]
    return next(f.status for f in found if f.period.label == period)


def _meeting_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(MEETING_TABLE)).scalar_one())


# --------------------------------------------------------------------------- carry_over


def test_the_national_pack_gives_the_yearly_meetings_three_months_to_make_up(
    national: RulePack,
):
    assert national.rule("org_life_meeting").carry_over == 3
    assert national.rule("democratic_appraisal").carry_over == 3
    assert national.rule("heart_to_heart_talks").carry_over == 0
    assert national.rule("org_life_meeting").deadline(Period.parse("2025")) == D(2026, 3, 31)
    assert national.rule("party_lesson").deadline(Period.parse("2025-Q4")) == D(2025, 12, 31)


@pytest.mark.parametrize("written", ["3 months", "3个月", "3 month", 3, "3"])
def test_carry_over_is_read_in_months_however_it_is_written(tmp_path: Path, written: object):
    overlay = tmp_path / "local.yaml"
    overlay.write_text(
        "pack: local\ntitle: 本地\nrules:\n  - id: party_lesson\n"
        f"    carry_over: {json.dumps(written, ensure_ascii=False)}\n",
        encoding="utf-8",
    )
    assert load_pack([overlay]).rule("party_lesson").carry_over == 3


@pytest.mark.parametrize("written", ["three months", "3 weeks", "13 months", "-1", "true"])
def test_a_bad_carry_over_names_the_rule_and_the_field(tmp_path: Path, written: str):
    overlay = tmp_path / "local.yaml"
    overlay.write_text(
        f"pack: local\ntitle: 本地\nrules:\n  - id: party_lesson\n    carry_over: {written}\n",
        encoding="utf-8",
    )
    with pytest.raises(OrglifeError) as caught:
        load_pack([overlay])
    text = str(caught.value)
    assert "party_lesson" in text
    assert "carry_over" in text
    assert "\n" not in text


def test_carry_over_keeps_a_yearly_finding_open_until_march_and_a_january_record_holds_it(
    store: Store, national: RulePack
):
    _registers(store)
    _import(store, national, _meeting("heart_to_heart_talk", D(2025, 3, 3)))
    assert _status(store, national, D(2026, 1, 20), "org_life_meeting", "2025") is Status.OPEN
    assert _status(store, national, D(2026, 4, 5), "org_life_meeting", "2025") is Status.OPEN
    assert _status(store, national, D(2026, 4, 6), "org_life_meeting", "2025") is Status.MISSED
    _import(store, national, _meeting("org_life_meeting", D(2026, 1, 15), for_period="2025"))
    assert _status(store, national, D(2026, 4, 6), "org_life_meeting", "2025") is Status.HELD
    # It counts for 2025 only, never for the year it was held in.
    assert _status(store, national, D(2026, 4, 6), "org_life_meeting", "2026") is Status.OPEN
    check = run_check(store, national, as_of=D(2026, 1, 20), since=D(2025, 1, 1))
    finding = next(
        f for f in check.findings if f.rule == "democratic_appraisal" and f.period.label == "2025"
    )
    shown = finding_json(finding, national, check.registers.orgs, D(2026, 1, 20))
    assert shown["deadline"] == "2026-03-31"
    assert shown["grace_until"] == "2026-04-05"
    assert "补开期至2026年3月31日" in shown["reason"]


# --------------------------------------------------------------------------- for_period


def test_a_record_inside_the_make_up_window_is_imported_with_its_period(
    store: Store, national: RulePack
):
    _registers(store)
    _import(store, national, _meeting("org_life_meeting", D(2026, 3, 31), for_period="2025"))
    (stored,) = store.meetings()
    assert stored.for_period == "2025"
    assert stored.date == D(2026, 3, 31)


@pytest.mark.parametrize(
    ("record", "code", "words"),
    [
        (
            _meeting("org_life_meeting", D(2026, 4, 1), for_period="2025"),
            RegisterErrorCode.OUTSIDE_MAKE_UP_WINDOW,
            "所属期间2025年的补开窗口为2026年1月1日至3月31日",
        ),
        (
            # A combined session: the quarterly 党员大会 has no make-up window.
            _meeting("org_life_meeting+general_meeting", D(2026, 1, 10), for_period="2025"),
            RegisterErrorCode.OUTSIDE_MAKE_UP_WINDOW,
            "不设补开期",
        ),
        (
            _meeting("org_life_meeting", D(2025, 12, 1), for_period="2026"),
            RegisterErrorCode.BAD_FOR_PERIOD,
            "早于所属期间2026年的开始",
        ),
        (
            _meeting("org_life_meeting", D(2026, 1, 10), for_period="2025年"),
            RegisterErrorCode.BAD_FOR_PERIOD,
            "无法识别",
        ),
    ],
)
def test_a_record_outside_the_window_of_its_period_is_refused_and_nothing_is_stored(
    store: Store, national: RulePack, record: Meeting, code: RegisterErrorCode, words: str
):
    _registers(store)
    _import(store, national, _meeting("party_lesson", D(2025, 5, 5)))
    revision = store.revision()
    good = _meeting("org_life_meeting", D(2026, 1, 5), for_period="2025", topic="另一次")
    with pytest.raises(RegisterError) as caught:
        _import(store, national, good, record)
    error = caught.value
    assert error.code is code
    assert error.line == 3
    assert words in str(error)
    assert "\n" not in str(error)
    assert _meeting_count(store) == 1
    assert store.revision() == revision


def test_a_deleted_record_never_counts(store: Store, national: RulePack):
    _registers(store)
    _import(store, national, _meeting("org_life_meeting", D(2026, 1, 15), for_period="2025"))
    assert _status(store, national, D(2026, 4, 6), "org_life_meeting", "2025") is Status.HELD
    with store.engine.begin() as conn:
        conn.execute(MEETING_TABLE.update().values(deleted_at=NOW))
    assert _status(store, national, D(2026, 4, 6), "org_life_meeting", "2025") is Status.MISSED


# --------------------------------------------------------------------------- exemptions


def test_an_exemption_makes_the_finding_exempt_and_its_revocation_restores_it(
    store: Store, national: RulePack
):
    _registers(store)
    _import(store, national, _meeting("party_lesson", D(2025, 5, 5)))
    as_of = D(2026, 1, 20)
    assert _status(store, national, as_of, "branch_general_meeting", "2025-Q3") is Status.MISSED
    rule = national.rule("branch_general_meeting")
    new_id = add_exemption(
        store,
        org="B1",
        rule=rule,
        period="2025-Q3",
        reason="支部合并过渡期",
        by="督查组王某",
        now=NOW,
    )
    assert active_exemptions(store) == {
        ("B1", "", "branch_general_meeting", "2025-Q3"): "支部合并过渡期"
    }
    check = run_check(store, national, as_of=as_of, since=D(2025, 1, 1))
    finding = next(f for f in check.findings if f.rule == rule.id and f.period.label == "2025-Q3")
    assert finding.status is Status.EXEMPT
    shown = finding_json(finding, national, check.registers.orgs, as_of)
    assert shown["status"] == "exempt"
    assert "支部合并过渡期" in shown["reason"]
    # Other periods are judged as before.
    assert _status(store, national, as_of, "branch_general_meeting", "2025-Q2") is Status.MISSED

    revoked = revoke_exemption(store, new_id, reason="合并未实施", by="督查组王某", now=NOW)
    assert not revoked.active
    assert _status(store, national, as_of, "branch_general_meeting", "2025-Q3") is Status.MISSED
    with store.engine.connect() as conn:
        trail = list(
            conn.execute(
                select(AUDIT_TABLE.c.entity, AUDIT_TABLE.c.entity_id, AUDIT_TABLE.c.action)
                .where(AUDIT_TABLE.c.entity == "exemption")
                .order_by(AUDIT_TABLE.c.id)
            )
        )
    assert [tuple(r) for r in trail] == [
        ("exemption", str(new_id), "created"),
        ("exemption", str(new_id), "revoked"),
    ]


@pytest.mark.parametrize(
    ("org", "rule", "period", "reason", "words"),
    [
        ("B1", "branch_general_meeting", "2025", "原因", "按每季度考核"),
        ("B1", "branch_general_meeting", "2025-Q5", "原因", "无法识别"),
        ("B1", "branch_general_meeting", "2025-Q3", "  ", "请填写原因"),
        ("S", "branch_general_meeting", "2025-Q3", "原因", "只考核党支部"),
        ("NOPE", "branch_general_meeting", "2025-Q3", "原因", "NOPE"),
        ("B1", "dual_org_life", "2025-Q3", "原因", "--member"),
    ],
)
def test_a_bad_exemption_is_refused_and_nothing_is_stored(
    store: Store, national: RulePack, org: str, rule: str, period: str, reason: str, words: str
):
    _registers(store)
    with pytest.raises(OrglifeError) as caught:
        add_exemption(
            store, org=org, rule=national.rule(rule), period=period, reason=reason, by="x", now=NOW
        )
    assert words in str(caught.value)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EXEMPTION_TABLE)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(AUDIT_TABLE)).scalar_one() == 0


def test_the_exemptions_commands_add_list_and_revoke(db_url: str):
    with Store.open(db_url) as store:
        _registers(store)
    base = ["--db", db_url, "exemptions"]
    added = _run(*base, "add", "--org", "B1", "--rule", "org_life_meeting", "--period", "2025",
                 "--reason", "支部撤并", "--by", "区委组织部")  # fmt: skip
    assert added.exit_code == 0, added.output
    new_id = int(added.output.strip())
    listed = json.loads(_run(*base, "list", "--org", "S", "--format", "json").output)
    assert [(e["id"], e["reason"], e["by"], e["active"]) for e in listed] == [
        (new_id, "支部撤并", "区委组织部", True)
    ]
    checked = _run("--db", db_url, "check", "--as-of", "2026-05-01", "--since", "2025-01-01",
                   "--format", "json", "--org", "B1")  # fmt: skip
    rows = json.loads(checked.output)
    exempt = next(r for r in rows if r["rule"] == "org_life_meeting" and r["period"] == "2025")
    assert exempt["status"] == "exempt"
    assert "支部撤并" in exempt["reason"]
    again = _run(*base, "revoke", str(new_id), "--reason", "撤并取消")
    assert again.exit_code == 0, again.output
    listed = json.loads(_run(*base, "list", "--format", "json").output)
    assert listed[0]["active"] is False
    assert listed[0]["revoked_by"].startswith("cli:")
    twice = _run(*base, "revoke", str(new_id), "--reason", "撤并取消")
    assert twice.exit_code == 1
    assert "已经撤销" in twice.output
    unknown = _run(*base, "add", "--org", "B1", "--rule", "nope", "--period", "2025",
                   "--reason", "x")  # fmt: skip
    assert unknown.exit_code == 1
    assert "nope" in unknown.output
    with Store.open(db_url) as store:
        assert len(exemptions(store)) == 1


# --------------------------------------------------------------------------- registers begin


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_periods_ending_before_the_registers_began_are_not_checked(
    store: Store, national: RulePack
):
    _registers(store)
    assert registers_begin(store) is None
    _import(store, national, _meeting("party_lesson", D(2026, 2, 5)))
    assert earliest_record_month(store) == D(2026, 2, 1)
    check = run_check(store, national, as_of=D(2026, 5, 1), since=D(2025, 1, 1))
    periods = {f.period.label for f in check.findings}
    assert not any(p.startswith("2025") for p in periods)
    assert "2026-01" not in periods  # the month before the first record ends before it
    assert "2026-02" in periods
    assert "2026-Q1" in periods  # ends after the registers began
    set_registers_begin(store, D(2025, 7, 1), by="区委组织部", now=NOW)
    check = run_check(store, national, as_of=D(2026, 5, 1), since=D(2025, 1, 1))
    periods = {f.period.label for f in check.findings}
    assert "2025-Q3" in periods
    assert "2025-Q2" not in periods
    assert "2025" in periods


def test_a_calendar_shows_no_missed_periods_before_the_registers_began(
    store: Store, national: RulePack
):
    _registers(store)
    _import(store, national, _meeting("party_lesson", D(2026, 1, 8)))
    workdays = work_calendar(warn=lambda year, hint: None)
    who = subject(store, "B1")
    as_of, first, last = D(2026, 5, 1), D(2025, 1, 1), D(2026, 12, 31)
    data = feed_input(store, national, who, as_of=as_of, first=first, last=last)
    feed = build_feed(data, national, workdays, as_of=as_of, first=first, last=last)
    missed = [e for e in feed.events if MISSED_MARK in e.summary]
    assert missed  # 2026 has missed periods…
    assert all(e.day.year >= 2026 for e in missed)  # …but 2025 shows none
    # Told that the registers began in 2025, the same feed shows 2025's misses.
    set_registers_begin(store, D(2025, 1, 1), by="区委组织部", now=NOW)
    data = feed_input(store, national, who, as_of=as_of, first=first, last=last)
    feed = build_feed(data, national, workdays, as_of=as_of, first=first, last=last)
    assert any(e.day.year == 2025 for e in feed.events if MISSED_MARK in e.summary)


def test_registers_begin_shows_and_sets_the_day(db_url: str):
    with Store.open(db_url) as store:
        _registers(store)
    shown = _run("--db", db_url, "registers", "begin")
    assert shown.exit_code == 0
    assert "还没有会议记录" in shown.output
    bad = _run("--db", db_url, "registers", "begin", "2026-02-30")
    assert bad.exit_code == 1
    assert "不是日期" in bad.output
    done = _run("--db", db_url, "registers", "begin", "2026-01-01")
    assert done.exit_code == 0, done.output
    shown = _run("--db", db_url, "registers", "begin")
    assert "2026-01-01（已设定）" in shown.output
    with Store.open(db_url) as store:
        assert registers_begin(store) == D(2026, 1, 1)
        with store.engine.connect() as conn:
            actions = list(conn.execute(select(AUDIT_TABLE.c.entity, AUDIT_TABLE.c.entity_id)))
        assert [tuple(a) for a in actions] == [("setting", "registers_begin")]

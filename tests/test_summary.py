"""The monthly summary's pure core: which findings a month takes, totals, late entries, the
ranking and its bottom tenth, the ledger figures and the trend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pytest

from monitor.check import Check
from monitor.core.domain import Evidence, Finding, Meeting, Member, Org, OrgType, Role, Status
from monitor.core.errors import OrglifeError
from monitor.core.evaluator import Evaluator, Registers, Window, registers_from, tally_meetings
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack, load_pack
from monitor.ledger.model import LedgerItem, LedgerSource, LedgerStatus
from monitor.reporting.summary import (
    Figures,
    RecordDates,
    SummaryRow,
    ledger_figures,
    parse_month,
    periods_ending_in,
    record_months,
    since_for,
    summarise,
    trend_months,
)

D = dt.date
DISTRICT = Path(__file__).resolve().parent.parent / "rules" / "example-district.yaml"


def month(label: str) -> Period:
    return parse_month(label)


@pytest.fixture(scope="module")
def district() -> RulePack:
    """The national baseline with the example overlay: party lessons half-yearly, and a
    committee's monthly sessions and two-monthly forum."""
    return load_pack([DISTRICT])


ORGS = [
    Org("S", "示范街道党工委", OrgType.COMMITTEE, None, D(2000, 1, 1)),
    Org("B1", "幸福社区党支部", OrgType.BRANCH, "S", D(2010, 1, 1), has_committee=True),
    Org("B1-G1", "第一党小组", OrgType.GROUP, "B1", D(2010, 1, 1)),
    Org("B2", "和平社区党支部", OrgType.BRANCH, "S", D(2010, 1, 1), has_committee=False),
]
CADRE = Member("L1", "李书记", "B1", "B1-G1", Role.MEMBER, D(2000, 1, 1), leader=True)


def evaluate(
    pack: RulePack,
    meetings: list[Meeting],
    as_of: dt.date,
    since: dt.date,
    orgs: list[Org] = ORGS,
    members: tuple[Member, ...] = (CADRE,),
) -> Check:
    """The pure evaluator's verdicts as the shell's Check (what run_check returns)."""
    window = Window.for_(as_of, since)
    registers = registers_from(orgs, members, pack, window)
    tallies = tally_meetings(pack, window, orgs, members, meetings)
    findings = list(Evaluator(pack, window).evaluate(registers, tallies))
    return Check(window.as_of, window.since, registers, findings)


def keys(rows: Iterable[SummaryRow]) -> set[tuple[str, str | None, str, str]]:
    return {(r.org, r.member, r.rule, r.period.label) for r in rows}


# --- which findings a month takes ---------------------------------------------------


def test_each_month_takes_exactly_the_periods_ending_in_it(district: RulePack):
    check = evaluate(district, [], as_of=D(2027, 1, 20), since=D(2026, 1, 1))
    seen: dict[tuple[str, str | None, str, str], list[int]] = {}
    for m in range(1, 13):
        summary = summarise(check, district, org="S", month=Period(Cadence.MONTH, 2026, m))
        for key in keys(summary.rows):
            seen.setdefault(key, []).append(m)
        periods = {r.period for r in summary.rows}
        assert all(p.end.month == m and p.end.year == 2026 for p in periods)
        rules = {(r.rule, r.period.cadence) for r in summary.rows}
        # Monthly rules every month; the committee's two-monthly forum in even months.
        assert ("themed_party_day", Cadence.MONTH) in rules
        assert ("party_building_sessions", Cadence.MONTH) in rules
        assert (("party_building_forum", Cadence.TWO_MONTHS) in rules) == (m % 2 == 0)
        # Quarters in March, June, September and December only.
        assert (("branch_general_meeting", Cadence.QUARTER) in rules) == (m % 3 == 0)
        assert (("dual_org_life", Cadence.QUARTER) in rules) == (m % 3 == 0)
        # The overlay's half-yearly party lesson in June and December; yearly rules in December.
        assert (("party_lesson", Cadence.HALF_YEAR) in rules) == (m in (6, 12))
        assert (("org_life_meeting", Cadence.YEAR) in rules) == (m == 12)
        assert (("secretary_lesson", Cadence.YEAR) in rules) == (m == 12)
    # Every finding of a period ending in 2026 is in exactly one month's summary.
    every = {
        (f.org, f.member, f.rule, f.period.label)
        for f in check.findings
        if f.period.end.year == 2026
    }
    assert seen.keys() == every
    assert all(len(months) == 1 for months in seen.values())


def test_the_windows_reach_back_to_the_earliest_period_needed(district: RulePack, national):
    march = month("2026-03")
    assert [p.label for p in periods_ending_in(national, march)] == ["2026-03", "2026-Q1"]
    assert [p.label for p in periods_ending_in(district, month("2026-06"))] == [
        "2026-06",
        "2026-B3",
        "2026-Q2",
        "2026-H1",
    ]
    # The trend's first month (October 2025) needs the yearly period of 2025.
    assert since_for(national, march) == D(2025, 1, 1)
    assert since_for(national, march, 1) == D(2026, 1, 1)
    assert [m.label for m in trend_months(march, 3)] == ["2026-01", "2026-02", "2026-03"]
    # Records that can count for a period ending in the month.
    assert record_months(national, march) == range(2026 * 12, 2026 * 12 + 3)
    assert record_months(national, month("2026-12")) == range(2026 * 12, 2026 * 12 + 12)
    assert record_months(district, month("2026-06")) == range(2026 * 12, 2026 * 12 + 6)


def test_a_month_label_must_be_a_month():
    assert month("2026-10") == Period(Cadence.MONTH, 2026, 10)
    for bad in ("2026-Q3", "2026", "2026-13", "10/2026"):
        with pytest.raises(OrglifeError, match="YYYY-MM"):
            parse_month(bad)


def test_open_and_exempt_findings_are_not_required(national):
    orgs = [*ORGS, Org("B3", "新建小区党支部", OrgType.BRANCH, "S", D(2026, 2, 10))]
    check = evaluate(national, [], as_of=D(2026, 3, 3), since=D(2026, 1, 1), orgs=orgs)
    feb = summarise(check, national, org="S", month=month("2026-02"))
    # B3 was founded after 1 February: exempt. February's grace runs to 5 March: still open.
    assert {r.status for r in feb.rows if r.org == "B3"} == {Status.EXEMPT}
    assert feb.totals.required == 0
    assert feb.totals.rate is None
    assert feb.totals.open == sum(r.status is Status.OPEN for r in feb.rows) > 0
    assert feb.totals.exempt == sum(r.status is Status.EXEMPT for r in feb.rows) > 0
    jan = summarise(check, national, org="S", month=month("2026-01"))
    assert jan.totals == Figures(held=0, missed=len(jan.rows) - jan.totals.exempt, exempt=1)
    assert jan.totals.required == jan.totals.missed
    assert jan.totals.rate == 0.0
    b3 = next(b for b in jan.branches if b.code == "B3")
    assert b3.rank is None
    assert not b3.weak


# --- late entries --------------------------------------------------------------------


def themed(org: str, day: dt.date, recorded: dt.date, record: int) -> Meeting:
    return Meeting(org, frozenset({"themed_party_day"}), day, recorded=recorded, id=record)


def dates(meetings: list[Meeting]) -> dict[int, RecordDates]:
    return {m.id: RecordDates(m.org, m.date, m.recorded) for m in meetings if m.id and m.recorded}


def late_flags(national: RulePack, meetings: list[Meeting], late_days: int = 7) -> dict[str, bool]:
    check = evaluate(national, meetings, as_of=D(2026, 5, 20), since=D(2026, 1, 1))
    summary = summarise(
        check,
        national,
        org="S",
        month=month("2026-03"),
        late_records=dates(meetings),
        late_days=late_days,
    )
    return {r.org: r.late_entry for r in summary.rows if r.rule == "themed_party_day"}


def test_a_record_entered_after_the_grace_and_over_a_week_late_is_a_late_entry(national):
    # March's grace ends on 5 April.
    late = themed("B1", D(2026, 3, 10), D(2026, 4, 20), 1)
    flags = late_flags(national, [late])
    assert flags == {"B1": True, "B2": False}


def test_within_the_grace_a_record_is_not_late_however_long_after_the_meeting(national):
    within_grace = themed("B1", D(2026, 3, 2), D(2026, 4, 5), 1)  # 34 days, on the last day
    assert late_flags(national, [within_grace])["B1"] is False


def test_the_threshold_counts_days_after_the_meeting(national):
    week = themed("B1", D(2026, 3, 30), D(2026, 4, 6), 1)  # after the grace, exactly 7 days
    assert late_flags(national, [week])["B1"] is False
    assert late_flags(national, [week], late_days=6)["B1"] is True


def test_a_held_finding_is_late_only_when_all_its_records_are(national):
    records = [
        themed("B1", D(2026, 3, 10), D(2026, 4, 20), 1),
        themed("B1", D(2026, 3, 20), D(2026, 3, 21), 2),
    ]
    check = evaluate(national, records, as_of=D(2026, 5, 20), since=D(2026, 1, 1))
    summary = summarise(
        check, national, org="S", month=month("2026-03"), late_records=dates(records)
    )
    row = next(r for r in summary.rows if r.org == "B1" and r.rule == "themed_party_day")
    assert row.status is Status.HELD
    assert row.records == (1, 2)
    assert row.late_entry is False
    # The late record is still listed, with what it counted for.
    [entry] = summary.late_entries
    assert (entry.record, entry.org, entry.days_late, entry.branch) == (1, "B1", 41, "B1")
    assert [(c.rule, c.period.label) for c in entry.counted_for] == [
        ("themed_party_day", "2026-03")
    ]
    assert next(b for b in summary.branches if b.code == "B1").late_entries == 1


def test_a_late_record_counts_for_each_finding_it_made_held(national):
    # A group meeting the cadre attended: the group's finding and the cadre's quarter.
    record = Meeting(
        "B1-G1",
        frozenset({"group_meeting"}),
        D(2026, 3, 12),
        attendees=("L1",),
        recorded=D(2026, 4, 30),
        id=7,
    )
    check = evaluate(national, [record], as_of=D(2026, 5, 20), since=D(2026, 1, 1))
    summary = summarise(
        check, national, org="S", month=month("2026-03"), late_records=dates([record])
    )
    flagged = {(r.org, r.member, r.rule) for r in summary.rows if r.late_entry}
    assert flagged == {("B1-G1", None, "party_group_meeting"), ("B1", "L1", "dual_org_life")}
    [entry] = summary.late_entries
    assert entry.org == "B1-G1"
    assert entry.branch == "B1"
    assert {(c.member, c.rule) for c in entry.counted_for} == {
        (None, "party_group_meeting"),
        ("L1", "dual_org_life"),
    }
    assert summary.late_rows == 2


# --- totals, branches, ranking -------------------------------------------------------

MARCH = Period(Cadence.MONTH, 2026, 3)
Q1 = Period(Cadence.QUARTER, 2026, 1)


def finding(org: str, rule: str, status: Status, period: Period = MARCH, member: str | None = None):
    return Finding(org, member, rule, period, status, Evidence())


def branches(n: int) -> list[Org]:
    found = [Org("S", "街道党工委", OrgType.COMMITTEE)]
    for i in range(1, n + 1):
        found.append(Org(f"B{i:02d}", f"第{i}党支部", OrgType.BRANCH, "S"))
        found.append(Org(f"B{i:02d}-G1", f"第{i}党支部第一党小组", OrgType.GROUP, f"B{i:02d}"))
    return found


def check_of(orgs: list[Org], findings: list[Finding], cadres: tuple[Member, ...] = ()) -> Check:
    registers = Registers(orgs={o.code: o for o in orgs}, cadres=cadres)
    return Check(D(2026, 4, 20), D(2025, 1, 1), registers, findings)


def test_groups_count_for_their_branch_and_cadres_only_in_the_totals(national):
    orgs = branches(2)
    cadre = Member("L1", "李书记", "B01", "B01-G1", leader=True)
    findings = [
        finding("S", "themed_party_day", Status.MISSED),  # a committee's own (not ranked)
        finding("B01", "themed_party_day", Status.HELD),
        finding("B01-G1", "party_group_meeting", Status.MISSED),
        finding("B01", "dual_org_life", Status.MISSED, Q1, member="L1"),
        finding("B02", "themed_party_day", Status.HELD),
        finding("B02", "branch_general_meeting", Status.EXEMPT, Q1),
        finding("B02-G1", "party_group_meeting", Status.OPEN),
    ]
    summary = summarise(check_of(orgs, findings, (cadre,)), national, org="S", month=MARCH)
    assert summary.totals == Figures(held=2, missed=3, open=1, exempt=1)
    assert summary.totals.required == 5
    assert summary.cadres == Figures(missed=1)
    by_code = {b.code: b for b in summary.branches}
    assert by_code["B01"].figures == Figures(held=1, missed=1)
    assert by_code["B02"].figures == Figures(held=1, open=1, exempt=1)
    assert [b.code for b in summary.ranked] == ["B02", "B01"]
    assert [b.rank for b in summary.ranked] == [1, 2]
    cadre_row = next(r for r in summary.rows if r.member == "L1")
    assert (cadre_row.member_name, cadre_row.branch, cadre_row.org) == ("李书记", None, "B01")
    assert next(r for r in summary.rows if r.org == "B01-G1").branch == "B01"
    assert next(r for r in summary.rows if r.org == "S").branch is None


def scored(misses: list[int], required: int = 10) -> list[Finding]:
    """Branch i has ``misses[i]`` of ``required`` monthly findings missed."""
    found = []
    for i, missed in enumerate(misses, 1):
        for k in range(required):
            status = Status.MISSED if k < missed else Status.HELD
            found.append(finding(f"B{i:02d}", f"rule{k}", status))
    return found


@pytest.fixture
def many_rules(national) -> RulePack:
    """The baseline plus ten monthly rules rule0…rule9, so findings can name them."""
    import dataclasses

    monthly = national.rule("themed_party_day")
    extra = tuple(
        monthly.model_copy(update={"id": f"rule{k}", "name": f"事项{k}"}) for k in range(10)
    )
    return dataclasses.replace(national, rules=national.rules + extra)


def test_the_bottom_tenth_is_rounded_up_and_ties_at_the_cut_are_listed_apart(many_rules):
    # 12 ranked branches: ceil(1.2) = 2 flagged, B11 and B12 (both 50%).
    misses = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 5, 5]
    summary = summarise(check_of(branches(12), scored(misses)), many_rules, org="S", month=MARCH)
    assert summary.weak_cut == 2
    assert [b.code for b in summary.weak] == ["B11", "B12"]  # worst first, ties by code
    assert summary.weak_tied == ()
    assert all(b.weak == (b.code in {"B11", "B12"}) for b in summary.branches)
    rates = [b.figures.rate for b in summary.ranked]
    assert rates == sorted(rates, reverse=True)
    # Equal rates share a rank; the next rank skips.
    assert [b.rank for b in summary.ranked] == [1, 1, 1, 1, 5, 5, 5, 8, 8, 10, 11, 11]

    # Two branches share the second-worst figures: the cut stays at two, the other is listed.
    tied = summarise(
        check_of(branches(12), scored([0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 6])),
        many_rules,
        org="S",
        month=MARCH,
    )
    assert tied.weak_cut == 2
    assert [b.code for b in tied.weak] == ["B12", "B10"]
    assert [b.code for b in tied.weak_tied] == ["B11"]
    assert not next(b for b in tied.branches if b.code == "B11").weak


def test_at_equal_rates_more_misses_rank_lower(many_rules):
    findings = [
        finding("B01", "rule0", Status.MISSED),
        finding("B01", "rule1", Status.HELD),
        *scored([0, 5, 0], required=10)[10:],
    ]
    summary = summarise(check_of(branches(3), findings), many_rules, org="S", month=MARCH)
    assert [(b.code, b.figures.rate, b.rank) for b in summary.ranked] == [
        ("B03", 1.0, 1),
        ("B01", 0.5, 2),
        ("B02", 0.5, 2),
    ]
    assert [b.code for b in summary.weak] == ["B02"]
    assert summary.weak_tied == ()
    assert [b.code for b in summary.weakest] == ["B02", "B01"]


def test_at_least_one_weak_branch_when_any_missed_and_none_without_misses(many_rules):
    one = summarise(check_of(branches(3), scored([0, 1, 0])), many_rules, org="S", month=MARCH)
    assert one.weak_cut == 1
    assert [b.code for b in one.weak] == ["B02"]
    clean = summarise(check_of(branches(3), scored([0, 0, 0])), many_rules, org="S", month=MARCH)
    assert clean.weak_cut == 1
    assert clean.weak == ()
    # 25 branches, 3 flagged (ceil 2.5), but only two have misses.
    few = summarise(
        check_of(branches(25), scored([0] * 23 + [1, 2])), many_rules, org="S", month=MARCH
    )
    assert few.weak_cut == 3
    assert [b.code for b in few.weak] == ["B25", "B24"]


# --- trend and ledger ----------------------------------------------------------------


def test_the_trend_counts_each_month_by_its_periods_ends(national):
    orgs = branches(1)
    findings = [
        finding("B01", "themed_party_day", Status.HELD, Period(Cadence.MONTH, 2025, 11)),
        finding("B01", "themed_party_day", Status.MISSED, Period(Cadence.MONTH, 2026, 1)),
        finding("B01", "themed_party_day", Status.HELD, Period(Cadence.MONTH, 2026, 2)),
        finding("B01", "branch_general_meeting", Status.HELD, Q1),
        finding("B01", "themed_party_day", Status.HELD, MARCH),
        finding("B01", "org_life_meeting", Status.MISSED, Period(Cadence.YEAR, 2025, 1)),
        finding("B01", "themed_party_day", Status.OPEN, Period(Cadence.MONTH, 2026, 4)),
    ]
    summary = summarise(check_of(orgs, findings), national, org="S", month=MARCH)
    assert [(p.month.label, p.figures) for p in summary.trend] == [
        ("2025-10", Figures()),
        ("2025-11", Figures(held=1)),
        ("2025-12", Figures(missed=1)),
        ("2026-01", Figures(missed=1)),
        ("2026-02", Figures(held=1)),
        ("2026-03", Figures(held=2)),
    ]
    assert summary.trend[-1].figures == summary.totals
    assert [
        p.month.label
        for p in summarise(check_of(orgs, findings), national, org="S", month=MARCH, trend=2).trend
    ] == ["2026-02", "2026-03"]


def item(
    number: int,
    opened: dt.date,
    status: LedgerStatus,
    *,
    org: str = "B01",
    cleared: dt.date | None = None,
    deadline: dt.date | None = None,
) -> LedgerItem:
    return LedgerItem(
        id=number,
        org=org,
        member=None,
        rule="themed_party_day",
        period="2026-02",
        source=LedgerSource.FINDING,
        issue="主题党日 2026-02 未按期开展",
        opened=opened,
        deadline=deadline or opened + dt.timedelta(days=30),
        status=status,
        cleared=cleared,
    )


def test_ledger_figures_for_the_month_as_at_the_day():
    items = [
        item(1, D(2026, 2, 10), LedgerStatus.CLEARED, cleared=D(2026, 3, 5)),  # cleared in March
        item(2, D(2026, 3, 6), LedgerStatus.OPEN),  # opened in March, deadline 5 April: overdue
        item(3, D(2026, 3, 20), LedgerStatus.RECTIFYING, deadline=D(2026, 4, 1)),  # not overdue
        item(4, D(2026, 1, 6), LedgerStatus.CLEARED, cleared=D(2026, 2, 1)),  # cleared before
        item(5, D(2026, 4, 25), LedgerStatus.OPEN),  # opened after as_of: not yet there
        item(6, D(2026, 3, 1), LedgerStatus.OVERDUE, deadline=D(2026, 3, 31)),
    ]
    figures = ledger_figures(items, MARCH, D(2026, 4, 20))
    assert (figures.opened, figures.cleared) == (3, 1)
    assert (figures.outstanding, figures.overdue) == (3, 2)
    assert (figures.total, figures.cleared_total) == (5, 2)
    assert figures.clearance_rate == 0.4
    assert ledger_figures([], MARCH, D(2026, 4, 20)).clearance_rate is None


def test_the_summary_keeps_the_subtrees_ledger_items_active_in_the_month(national):
    orgs = branches(1)
    items = [
        item(1, D(2026, 2, 10), LedgerStatus.CLEARED, cleared=D(2026, 3, 5)),
        item(4, D(2026, 1, 6), LedgerStatus.CLEARED, cleared=D(2026, 2, 1)),
        item(7, D(2026, 3, 9), LedgerStatus.OPEN, org="ELSEWHERE"),
        item(2, D(2026, 3, 6), LedgerStatus.OPEN),
    ]
    summary = summarise(check_of(orgs, []), national, org="S", month=MARCH, ledger=items)
    assert [i.id for i in summary.ledger_items] == [1, 2]
    assert summary.ledger.total == 3
    assert summary.org_name == "街道党工委"


# --- renderers on hand-made summaries -------------------------------------------------


def test_the_message_always_fits_telegram_even_with_absurd_names(many_rules):
    from monitor.reporting.md import message_length, render_md

    orgs = [
        Org(o.code, o.name * 60, o.type, o.parent)  # names of hundreds of characters
        for o in branches(40)
    ]
    check = check_of(orgs, scored([k % 4 for k in range(40)]))
    summary = summarise(check, many_rules, org="S", month=MARCH)
    url = "https://example.org/" + "x" * 300
    text = render_md(summary, url)
    assert message_length(text) <= 4096
    assert text.endswith(url)
    assert "软弱涣散排查对象（排名后10%，共4个）" in text
    assert "另有6个支部与末位对象情况相同" in text
    # A root named with thousands of characters: the text is cut, the link kept.
    orgs[0] = Org("S", "街道党工委" * 1000, OrgType.COMMITTEE)
    summary = summarise(check_of(orgs, check.findings), many_rules, org="S", month=MARCH)
    text = render_md(summary, url)
    assert message_length(text) <= 4096
    assert text.endswith(f"…\n完整通报：{url}")


def test_a_workbook_over_excels_rows_keeps_the_findings_not_held(many_rules):
    import io

    from openpyxl import load_workbook

    from monitor.reporting.xlsx import render_xlsx

    summary = summarise(check_of(branches(3), scored([1, 0, 2])), many_rules, org="S", month=MARCH)
    assert len(summary.rows) == 30
    book = load_workbook(io.BytesIO(render_xlsx(summary, max_rows=10)))
    detail = [[c.value for c in row] for row in book["明细"].iter_rows(min_row=2)]
    assert [(r[0], r[9]) for r in detail] == [
        ("B01", "未按期开展"),
        ("B03", "未按期开展"),
        ("B03", "未按期开展"),
    ]
    assert "明细表仅列" in book["汇总"]["A2"].value
    full = load_workbook(io.BytesIO(render_xlsx(summary)))
    assert full["明细"].max_row == 31
    assert "明细表仅列" not in full["汇总"]["A2"].value

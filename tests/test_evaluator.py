"""The pure evaluator: each rule and status of the national baseline, judged on plain records."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from monitor.core.domain import Meeting, Member, MemberStatus, Org, OrgType, Role, Status
from monitor.core.evaluator import Evaluator, Window, registers_from, tally_meetings
from monitor.core.explain import reason
from monitor.core.rules import RulePack, load_pack

D = dt.date


@pytest.fixture
def orgs() -> list[Org]:
    return [
        Org("S", "示范街道党工委", OrgType.COMMITTEE),
        Org("B1", "幸福社区党支部", OrgType.BRANCH, "S", D(2010, 1, 1), "1FR"),
        Org("B1-G1", "第一党小组", OrgType.GROUP, "B1", D(2010, 1, 1)),
        Org("B2", "和平社区党支部", OrgType.BRANCH, "S", D(2026, 2, 10), "15"),
    ]


def _members(branch: str, full: int, probationary: int = 0, start: int = 0) -> list[Member]:
    people = []
    for i in range(full + probationary):
        people.append(
            Member(
                id=f"{branch}-M{start + i:02d}",
                name=f"{branch}党员{start + i}",
                org=branch,
                role=Role.SECRETARY if i == 0 else Role.MEMBER,
                joined=D(2015, 1, 1),
                status=MemberStatus.FULL if i < full else MemberStatus.PROBATIONARY,
            )
        )
    return people


@pytest.fixture
def members() -> list[Member]:
    people = _members("B1", 9, 1) + _members("B2", 4)
    cadre = Member("B1-LEAD", "李书记", "B1", "B1-G1", Role.MEMBER, D(2000, 1, 1), leader=True)
    return [*people, cadre]


def judge(
    pack: RulePack,
    orgs: list[Org],
    members: list[Member],
    meetings: list[Meeting],
    as_of: dt.date,
    since: dt.date | None = None,
) -> dict[tuple[str, str | None, str, str], Status]:
    window = Window.for_(as_of, since)
    registers = registers_from(orgs, members, pack, window)
    tallies = tally_meetings(pack, window, orgs, members, meetings)
    return {
        (f.org, f.member, f.rule, f.period.label): f.status
        for f in Evaluator(pack, window).evaluate(registers, tallies)
    }


def meeting(org: str, kinds: str, day: dt.date, **fields: object) -> Meeting:
    return Meeting(org, frozenset(kinds.split("+")), day, **fields)  # type: ignore[arg-type]


def test_a_general_meeting_with_exactly_half_attending_is_held(national, orgs, members):
    records = [meeting("B1", "general_meeting", D(2026, 2, 3), expected=10, attended=5)]
    result = judge(national, orgs, members, records, D(2026, 5, 1))
    assert result[("B1", None, "branch_general_meeting", "2026-Q1")] is Status.HELD


def test_a_general_meeting_below_half_does_not_count(national, orgs, members):
    records = [meeting("B1", "general_meeting", D(2026, 2, 3), expected=10, attended=4)]
    result = judge(national, orgs, members, records, D(2026, 5, 1))
    assert result[("B1", None, "branch_general_meeting", "2026-Q1")] is Status.MISSED


def test_a_blank_expected_count_falls_back_to_the_full_members(national, orgs, members):
    # B1 has 9 full members: 5 attending is more than half, 4 is not.
    held = [meeting("B1", "general_meeting", D(2026, 2, 3), attended=5)]
    short = [meeting("B1", "general_meeting", D(2026, 2, 3), attended=4)]
    key = ("B1", None, "branch_general_meeting", "2026-Q1")
    assert judge(national, orgs, members, held, D(2026, 5, 1))[key] is Status.HELD
    assert judge(national, orgs, members, short, D(2026, 5, 1))[key] is Status.MISSED


def test_a_meeting_without_attendance_cannot_prove_the_quorum(national, orgs, members):
    records = [meeting("B1", "general_meeting", D(2026, 2, 3), expected=10)]
    result = judge(national, orgs, members, records, D(2026, 5, 1))
    assert result[("B1", None, "branch_general_meeting", "2026-Q1")] is Status.MISSED


def test_a_period_stays_open_until_the_grace_for_late_entry_has_passed(national, orgs, members):
    key = ("B1", None, "themed_party_day", "2026-03")
    assert judge(national, orgs, members, [], D(2026, 3, 31))[key] is Status.OPEN
    assert judge(national, orgs, members, [], D(2026, 4, 5))[key] is Status.OPEN
    assert judge(national, orgs, members, [], D(2026, 4, 6))[key] is Status.MISSED


def test_a_record_entered_within_the_grace_turns_the_period_held(national, orgs, members):
    records = [meeting("B1", "themed_party_day", D(2026, 3, 31))]
    result = judge(national, orgs, members, records, D(2026, 4, 20))
    assert result[("B1", None, "themed_party_day", "2026-03")] is Status.HELD


def test_a_period_that_has_not_ended_is_open_or_held(national, orgs, members):
    records = [meeting("B1", "themed_party_day", D(2026, 11, 6))]
    result = judge(national, orgs, members, records, D(2026, 11, 20))
    assert result[("B1", None, "themed_party_day", "2026-11")] is Status.HELD
    assert result[("B1", None, "branch_general_meeting", "2026-Q4")] is Status.OPEN


def test_as_of_means_the_end_of_that_day_and_later_records_are_ignored(national, orgs, members):
    on_the_day = [meeting("B1", "themed_party_day", D(2026, 11, 6))]
    later = [meeting("B1", "themed_party_day", D(2026, 11, 7))]
    key = ("B1", None, "themed_party_day", "2026-11")
    assert judge(national, orgs, members, on_the_day, D(2026, 11, 6))[key] is Status.HELD
    assert judge(national, orgs, members, later, D(2026, 11, 6))[key] is Status.OPEN


def test_an_org_founded_inside_a_period_is_exempt_for_it(national, orgs, members):
    result = judge(national, orgs, members, [], D(2026, 6, 30))
    assert result[("B2", None, "themed_party_day", "2026-01")] is Status.EXEMPT
    assert result[("B2", None, "themed_party_day", "2026-02")] is Status.EXEMPT
    assert result[("B2", None, "themed_party_day", "2026-03")] is Status.MISSED
    assert result[("B2", None, "branch_general_meeting", "2026-Q1")] is Status.EXEMPT
    assert result[("B2", None, "org_life_meeting", "2026")] is Status.EXEMPT


def test_a_combined_record_counts_for_each_kind_it_names(national, orgs, members):
    records = [
        meeting(
            "B1",
            "themed_party_day+general_meeting+party_lesson",
            D(2026, 1, 9),
            expected=10,
            attended=9,
        )
    ]
    result = judge(national, orgs, members, records, D(2026, 4, 30))
    assert result[("B1", None, "themed_party_day", "2026-01")] is Status.HELD
    assert result[("B1", None, "branch_general_meeting", "2026-Q1")] is Status.HELD
    assert result[("B1", None, "party_lesson", "2026-Q1")] is Status.HELD
    assert result[("B1", None, "themed_party_day", "2026-02")] is Status.MISSED


def test_the_committee_rule_applies_from_seven_full_members(national, orgs, members):
    result = judge(national, orgs, members, [], D(2026, 3, 31))
    assert result[("B1", None, "branch_committee_meeting", "2026-01")] is Status.MISSED
    # B2 has four full members and no has_committee flag: no committee, no finding.
    assert not any(k[0] == "B2" and k[2] == "branch_committee_meeting" for k in result)


def test_probationary_members_do_not_make_a_committee(national, orgs):
    people = _members("B1", 6, 3)
    result = judge(national, orgs, people, [], D(2026, 3, 31))
    assert not any(k[2] == "branch_committee_meeting" for k in result)


def test_members_who_joined_after_the_period_began_do_not_count_for_it(national, orgs):
    newcomer = Member("B1-NEW", "新党员", "B1", joined=D(2026, 2, 15), status=MemberStatus.FULL)
    people = [*_members("B1", 6), newcomer]
    result = judge(national, orgs, people, [], D(2026, 4, 30))
    assert ("B1", None, "branch_committee_meeting", "2026-02") not in result
    assert result[("B1", None, "branch_committee_meeting", "2026-03")] is Status.MISSED


def test_the_has_committee_flag_overrides_the_member_count(national, orgs, members):
    flagged = [
        Org(
            o.code,
            o.name,
            o.type,
            o.parent,
            o.founded,
            o.party_day,
            {"B1": False, "B2": True}.get(o.code),
        )
        for o in orgs
    ]
    result = judge(national, flagged, members, [], D(2026, 4, 30))
    assert not any(k[0] == "B1" and k[2] == "branch_committee_meeting" for k in result)
    assert result[("B2", None, "branch_committee_meeting", "2026-03")] is Status.MISSED


def test_a_committee_meeting_needs_half_of_the_committee(national, orgs, members):
    committee = [
        Member(f"B1-C{i}", f"委员{i}", "B1", role=Role.COMMITTEE_MEMBER, joined=D(2015, 1, 1))
        for i in range(4)
    ]
    # The secretary plus four committee members: five; two attending is less than half.
    records = [
        meeting("B1", "committee_meeting", D(2026, 1, 8), attended=2),
        meeting("B1", "committee_meeting", D(2026, 2, 8), attended=3),
    ]
    result = judge(national, orgs, members + committee, records, D(2026, 3, 31))
    assert result[("B1", None, "branch_committee_meeting", "2026-01")] is Status.MISSED
    assert result[("B1", None, "branch_committee_meeting", "2026-02")] is Status.HELD


def test_party_groups_meet_monthly(national, orgs, members):
    records = [meeting("B1-G1", "group_meeting", D(2026, 1, 20))]
    result = judge(national, orgs, members, records, D(2026, 2, 28))
    assert result[("B1-G1", None, "party_group_meeting", "2026-01")] is Status.HELD
    assert result[("B1-G1", None, "party_group_meeting", "2026-02")] is Status.OPEN
    assert not any(k[0] == "B1-G1" and k[2] == "themed_party_day" for k in result)


@pytest.mark.parametrize(
    ("lecturer", "status"),
    [
        ("B1-M00", Status.HELD),
        ("B1党员0", Status.HELD),
        ("B1-M03", Status.MISSED),
        (None, Status.MISSED),
    ],
)
def test_the_secretary_must_give_a_lesson_each_year(national, orgs, members, lecturer, status):
    records = [meeting("B1", "party_lesson", D(2026, 6, 1), lecturer=lecturer)]
    result = judge(national, orgs, members, records, D(2027, 1, 10), since=D(2026, 1, 1))
    assert result[("B1", None, "secretary_lesson", "2026")] is status
    assert result[("B1", None, "party_lesson", "2026-Q2")] is Status.HELD


def test_yearly_rules_are_open_until_the_year_and_its_grace_end(national, orgs, members):
    records = [
        meeting("B1", "org_life_meeting+democratic_appraisal", D(2026, 12, 20)),
        meeting("B1", "heart_to_heart_talk", D(2026, 3, 3)),
    ]
    dec = judge(national, orgs, members, records, D(2026, 12, 1))
    assert dec[("B1", None, "org_life_meeting", "2026")] is Status.OPEN
    assert dec[("B1", None, "heart_to_heart_talks", "2026")] is Status.HELD
    # 组织生活会 and 民主评议 may be made up until 31 March (carry_over: 3 months), plus grace.
    after = judge(national, orgs, members, records[1:], D(2027, 1, 6), since=D(2026, 1, 1))
    assert after[("B1", None, "org_life_meeting", "2026")] is Status.OPEN
    after = judge(national, orgs, members, records[1:], D(2027, 4, 6), since=D(2026, 1, 1))
    assert after[("B1", None, "org_life_meeting", "2026")] is Status.MISSED
    assert after[("B1", None, "democratic_appraisal", "2026")] is Status.MISSED
    after = judge(national, orgs, members, [], D(2027, 1, 6), since=D(2026, 1, 1))
    assert after[("B1", None, "heart_to_heart_talks", "2026")] is Status.MISSED


def test_a_leading_cadre_must_attend_their_own_branch_or_group(national, orgs, members):
    records = [
        meeting("B1-G1", "group_meeting", D(2026, 1, 20), attendees=("B1-LEAD",)),
        meeting("B2", "themed_party_day", D(2026, 4, 20), attendees=("B1-LEAD",)),
        meeting("B1", "committee_meeting", D(2026, 5, 20), attendees=("B1-LEAD",)),
        meeting("B1", "themed_party_day", D(2026, 8, 7), attendees=("B1-LEAD",)),
    ]
    result = judge(national, orgs, members, records, D(2026, 10, 6))
    assert result[("B1", "B1-LEAD", "dual_org_life", "2026-Q1")] is Status.HELD
    # Another branch's day and a committee meeting do not count.
    assert result[("B1", "B1-LEAD", "dual_org_life", "2026-Q2")] is Status.MISSED
    assert result[("B1", "B1-LEAD", "dual_org_life", "2026-Q3")] is Status.HELD


def test_since_limits_the_report_to_periods_starting_in_the_window(national, orgs, members):
    result = judge(national, orgs, members, [], D(2026, 11, 20), since=D(2026, 9, 15))
    periods = {k[3] for k in result if k[0] == "B1"}
    assert periods == {"2026-10", "2026-11", "2026-Q4"}


def test_an_overlay_changes_cadence_and_count_and_adds_rules(orgs, members, tmp_path: Path):
    overlay = tmp_path / "local.yaml"
    overlay.write_text(
        "pack: local\ntitle: 本地\nrules:\n"
        "  - {id: party_lesson, period: half_year, count: 2, source: 本地细则}\n"
        "  - {id: secretary_lesson, enabled: false}\n"
        "  - {id: street_forum, name: 座谈会, applies_to: committee, period: two_months,"
        " kinds: [general_meeting], source: 讲话}\n",
        encoding="utf-8",
    )
    pack = load_pack([overlay])
    records = [
        meeting("B1", "party_lesson", D(2026, 1, 10)),
        meeting("B1", "party_lesson", D(2026, 5, 10)),
        meeting("B1", "party_lesson", D(2026, 8, 10)),
        meeting("S", "general_meeting", D(2026, 3, 10)),
    ]
    result = judge(pack, orgs, members, records, D(2026, 11, 20))
    assert result[("B1", None, "party_lesson", "2026-H1")] is Status.HELD
    assert result[("B1", None, "party_lesson", "2026-H2")] is Status.OPEN
    assert not any(k[2] == "secretary_lesson" for k in result)
    assert result[("S", None, "street_forum", "2026-B1")] is Status.MISSED
    assert result[("S", None, "street_forum", "2026-B2")] is Status.HELD
    assert result[("S", None, "street_forum", "2026-B6")] is Status.OPEN


def test_every_finding_carries_its_evidence(national, orgs, members):
    records = [
        meeting("B1", "general_meeting", D(2026, 1, 5), expected=10, attended=3, id=7),
        meeting("B1", "general_meeting", D(2026, 2, 5), expected=10, attended=8, id=8),
    ]
    window = Window.for_(D(2026, 4, 30))
    registers = registers_from(orgs, members, national, window)
    tallies = tally_meetings(national, window, orgs, members, records)
    [finding] = [
        f
        for f in Evaluator(national, window).evaluate(registers, tallies)
        if f.rule == "branch_general_meeting" and f.org == "B1" and f.period.label == "2026-Q1"
    ]
    assert finding.status is Status.HELD
    assert finding.evidence.counted == 1
    assert finding.evidence.seen == 2
    assert finding.evidence.records == (8,)
    assert finding.evidence.best_ratio == pytest.approx(0.8)


def test_an_org_without_a_founding_date_cannot_predate_its_parent(national, members):
    orgs = [
        Org("S", "街道党工委", OrgType.COMMITTEE),
        Org("B1", "新建支部", OrgType.BRANCH, "S", D(2026, 5, 12)),
        Org("B1-G1", "第一党小组", OrgType.GROUP, "B1"),
        Org("B1-G2", "老党小组", OrgType.GROUP, "B1", D(2020, 1, 1)),
    ]
    result = judge(national, orgs, members, [], D(2026, 7, 10))
    assert result[("B1-G1", None, "party_group_meeting", "2026-05")] is Status.EXEMPT
    assert result[("B1-G1", None, "party_group_meeting", "2026-06")] is Status.MISSED
    assert result[("B1-G2", None, "party_group_meeting", "2026-05")] is Status.EXEMPT
    assert result[("B1", "B1-LEAD", "dual_org_life", "2026-Q2")] is Status.EXEMPT


def test_a_yearly_finding_with_carry_over_stays_open_until_march_and_its_grace(
    national, orgs, members
):
    since = D(2025, 1, 1)
    for as_of, status in [
        (D(2026, 1, 10), Status.OPEN),
        (D(2026, 3, 31), Status.OPEN),
        (D(2026, 4, 5), Status.OPEN),  # 5 days of grace
        (D(2026, 4, 6), Status.MISSED),
    ]:
        result = judge(national, orgs, members, [], as_of, since=since)
        assert result[("B1", None, "org_life_meeting", "2025")] is status, as_of


def test_a_january_record_for_the_previous_year_turns_its_finding_held(national, orgs, members):
    made_up = meeting("B1", "org_life_meeting", D(2026, 1, 15), for_period="2025")
    result = judge(national, orgs, members, [made_up], D(2026, 4, 30), since=D(2025, 1, 1))
    assert result[("B1", None, "org_life_meeting", "2025")] is Status.HELD
    assert result[("B1", None, "org_life_meeting", "2026")] is Status.OPEN


def test_a_january_record_without_for_period_counts_for_its_own_year(national, orgs, members):
    plain = meeting("B1", "org_life_meeting", D(2026, 1, 15))
    result = judge(national, orgs, members, [plain], D(2026, 4, 30), since=D(2025, 1, 1))
    assert result[("B1", None, "org_life_meeting", "2025")] is Status.MISSED
    assert result[("B1", None, "org_life_meeting", "2026")] is Status.HELD


def test_an_exempt_period_is_exempt_with_the_inspectors_reason(national, orgs, members):
    window = Window.for_(D(2026, 5, 1))
    registers = registers_from(orgs, members, national, window)
    registers = dataclasses.replace(
        registers, exemptions={("B1", "", "branch_general_meeting", "2026-Q1"): "支部合并"}
    )
    findings = {
        (f.org, f.rule, f.period.label): f
        for f in Evaluator(national, window).evaluate(registers, [])
    }
    exempt = findings[("B1", "branch_general_meeting", "2026-Q1")]
    assert exempt.status is Status.EXEMPT
    assert exempt.exemption == "支部合并"
    assert reason(exempt, national.rule("branch_general_meeting"), national, orgs[1], window.as_of)
    assert "支部合并" in reason(
        exempt, national.rule("branch_general_meeting"), national, orgs[1], window.as_of
    )
    assert findings[("B1", "themed_party_day", "2026-01")].status is Status.MISSED


def test_periods_that_end_before_the_registers_began_are_not_reported(national, orgs, members):
    window = Window.for_(D(2026, 5, 1), D(2025, 1, 1), begin=D(2026, 1, 1))
    registers = registers_from(orgs, members, national, window)
    periods = {f.period.label for f in Evaluator(national, window).evaluate(registers, [])}
    assert not any(p.startswith("2025") for p in periods)
    assert "2026-Q1" in periods
    assert "2026" in periods

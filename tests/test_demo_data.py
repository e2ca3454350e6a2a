"""The bundled demo district: its files, its references, and the gaps it was designed to have."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

import monitor.demo
from monitor.demo import DEMO_DIR, demo_files
from monitor.demo.generate import main as generate

HEADERS = {
    "orgs": [
        "组织编码",
        "组织名称",
        "组织类型",
        "上级组织编码",
        "成立日期",
        "主题党日",
        "设支委会",
        "主题党日时间",
    ],
    "members": [
        "党员编号",
        "姓名",
        "所在组织编码",
        "所在党小组",
        "职务",
        "入党日期",
        "党员类型",
        "领导干部",
    ],
    "meetings": [
        "组织编码",
        "会议类型",
        "日期",
        "应到人数",
        "实到人数",
        "授课人",
        "主题",
        "参会人员",
        "录入日期",
    ],
}
KINDS = {
    "支部党员大会",
    "支部委员会会议",
    "党小组会",
    "党课",
    "主题党日",
    "组织生活会",
    "民主评议党员",
    "谈心谈话",
}
START, AS_OF = dt.date(2026, 1, 1), dt.date(2026, 11, 20)
MEMBER_ID = re.compile(r"^M\d{4}$")
WEAK, SPARSE, SMALL, NO_COMMITTEE, NEW = "JD01-06-01", "JD01-02", "JD01-04", "JD01-06-02", "JD01-07"

Row = dict[str, str]


def read(name: str) -> list[Row]:
    with demo_files()[name].open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def kinds(row: Row) -> list[str]:
    return row["会议类型"].split("+")


@pytest.fixture(scope="module")
def orgs() -> dict[str, Row]:
    return {row["组织编码"]: row for row in read("orgs")}


@pytest.fixture(scope="module")
def members() -> dict[str, Row]:
    return {row["党员编号"]: row for row in read("members")}


@pytest.fixture(scope="module")
def meetings() -> list[Row]:
    return read("meetings")


def branches(orgs: dict[str, Row]) -> list[str]:
    return [code for code, row in orgs.items() if row["组织类型"] == "党支部"]


def of_branch(meetings: list[Row], branch: str, kind: str) -> list[Row]:
    return [m for m in meetings if m["组织编码"] == branch and kind in kinds(m)]


# --------------------------------------------------------------------------- files


def test_demo_files_names_the_three_registers_inside_the_package_folder() -> None:
    files = demo_files()
    assert set(files) == {"orgs", "members", "meetings"}
    for key, path in files.items():
        assert path == DEMO_DIR / f"{key}.csv"
        assert path.is_file()
    assert Path(monitor.demo.__file__).resolve().parent == DEMO_DIR.resolve()


@pytest.mark.parametrize("name", ["orgs", "members", "meetings"])
def test_each_file_is_utf8_without_bom_and_has_exactly_the_documented_header(name: str) -> None:
    raw = demo_files()[name].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    header = next(csv.reader(text.splitlines()))
    assert header == HEADERS[name]
    assert all(len(row) == len(header) for row in csv.reader(text.splitlines()))


def test_the_generator_is_deterministic_and_reproduces_the_committed_files(
    tmp_path: Path,
) -> None:
    generate(tmp_path)
    for name, path in demo_files().items():
        assert (tmp_path / f"{name}.csv").read_bytes() == path.read_bytes(), name


# --------------------------------------------------------------------------- references


def test_every_parent_reference_resolves_and_types_nest_properly(orgs: dict[str, Row]) -> None:
    parent_types = {"党总支": {"党委"}, "党支部": {"党委", "党总支"}, "党小组": {"党支部"}}
    roots = [code for code, row in orgs.items() if not row["上级组织编码"]]
    assert roots == ["JD01"]
    assert orgs["JD01"]["组织类型"] == "党委"
    for code, row in orgs.items():
        if code == "JD01":
            continue
        parent = orgs[row["上级组织编码"]]
        assert parent["组织类型"] in parent_types[row["组织类型"]], code
        assert code.startswith(row["上级组织编码"] + "-"), code


def test_every_member_belongs_to_a_branch_and_to_a_group_of_that_branch(
    orgs: dict[str, Row], members: dict[str, Row]
) -> None:
    for member_id, row in members.items():
        assert MEMBER_ID.match(member_id)
        assert orgs[row["所在组织编码"]]["组织类型"] == "党支部", member_id
        group = orgs[row["所在党小组"]]
        assert group["组织类型"] == "党小组"
        assert group["上级组织编码"] == row["所在组织编码"], member_id


def test_every_meeting_names_a_known_org_and_known_people(
    orgs: dict[str, Row], members: dict[str, Row], meetings: list[Row]
) -> None:
    for row in meetings:
        org = orgs[row["组织编码"]]
        is_group_meeting = kinds(row) == ["党小组会"]
        assert org["组织类型"] == ("党小组" if is_group_meeting else "党支部"), row
        branch = org["上级组织编码"] if is_group_meeting else row["组织编码"]
        for member_id in row["参会人员"].split(";"):
            assert members[member_id]["所在组织编码"] == branch, row
            if is_group_meeting:
                assert members[member_id]["所在党小组"] == row["组织编码"], row
        lecturer = row["授课人"]
        if MEMBER_ID.match(lecturer):
            assert lecturer in members
        assert bool(lecturer) == ("党课" in kinds(row)), row


# --------------------------------------------------------------------------- values


def test_columns_use_only_the_documented_values(
    orgs: dict[str, Row], members: dict[str, Row], meetings: list[Row]
) -> None:
    assert {row["组织类型"] for row in orgs.values()} == {"党委", "党总支", "党支部", "党小组"}
    assert {row["设支委会"] for row in orgs.values()} == {"", "是", "否"}
    assert {row["职务"] for row in members.values()} == {"书记", "副书记", "委员", "党员"}
    assert {row["党员类型"] for row in members.values()} == {"正式党员", "预备党员"}
    assert {row["领导干部"] for row in members.values()} == {"是", "否"}
    for row in meetings:
        assert set(kinds(row)) <= KINDS, row["会议类型"]
    for row in orgs.values():
        day(row["成立日期"])
    for row in members.values():
        assert day(row["入党日期"]) < AS_OF


def test_meetings_lie_in_the_demo_window_and_are_entered_after_they_are_held(
    meetings: list[Row],
) -> None:
    assert 300 <= len(meetings) <= 700
    for row in meetings:
        held, entered = day(row["日期"]), day(row["录入日期"])
        assert START <= held <= entered <= AS_OF, row


def test_attended_count_matches_the_attendee_list_and_never_exceeds_expected(
    meetings: list[Row],
) -> None:
    for row in meetings:
        attendees = row["参会人员"].split(";")
        assert len(set(attendees)) == len(attendees) == int(row["实到人数"]), row
        assert int(row["实到人数"]) <= int(row["应到人数"]), row


def test_general_meetings_expect_every_member_who_had_joined_except_one_on_long_leave(
    members: dict[str, Row], meetings: list[Row]
) -> None:
    for row in meetings:
        if "支部党员大会" not in kinds(row):
            continue
        joined = [
            m
            for m in members.values()
            if m["所在组织编码"] == row["组织编码"] and day(m["入党日期"]) < day(row["日期"])
        ]
        on_leave = 1 if row["组织编码"] == SPARSE else 0
        assert int(row["应到人数"]) == len(joined) - on_leave, row


# --------------------------------------------------------------------------- structure


def test_each_branch_has_exactly_one_secretary_and_at_most_one_deputy(
    orgs: dict[str, Row], members: dict[str, Row]
) -> None:
    for branch in branches(orgs):
        roles = Counter(m["职务"] for m in members.values() if m["所在组织编码"] == branch)
        assert roles["书记"] == 1, branch
        assert roles["副书记"] <= 1, branch


def test_branches_have_eight_to_forty_members_and_one_to_three_groups(
    orgs: dict[str, Row], members: dict[str, Row]
) -> None:
    sizes = Counter(m["所在组织编码"] for m in members.values())
    groups = Counter(row["上级组织编码"] for row in orgs.values() if row["组织类型"] == "党小组")
    for branch in branches(orgs):
        assert 8 <= sizes[branch] <= 40, branch
        assert 1 <= groups[branch] <= 3, branch
    assert len(branches(orgs)) == 8
    assert [c for c, r in orgs.items() if r["上级组织编码"] == "JD01-06"] == [
        "JD01-06-01",
        "JD01-06-02",
    ]


def test_committee_members_exist_only_where_a_committee_is_set_up(
    orgs: dict[str, Row], members: dict[str, Row], meetings: list[Row]
) -> None:
    for branch in branches(orgs):
        people = [m for m in members.values() if m["所在组织编码"] == branch]
        full = sum(m["党员类型"] == "正式党员" for m in people)
        flag = orgs[branch]["设支委会"]
        has_committee = flag == "是" if flag else full >= 7
        has_officers = any(m["职务"] == "委员" for m in people)
        committee_meetings = of_branch(meetings, branch, "支部委员会会议")
        assert has_officers == has_committee == bool(committee_meetings), branch
    assert orgs[SPARSE]["设支委会"] == "是"
    assert orgs[NO_COMMITTEE]["设支委会"] == "否"


def test_the_small_branch_has_fewer_than_seven_full_members(
    orgs: dict[str, Row], members: dict[str, Row]
) -> None:
    full = [
        m for m in members.values() if m["所在组织编码"] == SMALL and m["党员类型"] == "正式党员"
    ]
    assert len(full) < 7
    assert orgs[SMALL]["设支委会"] == ""


def test_the_party_day_differs_per_branch(orgs: dict[str, Row]) -> None:
    days = [orgs[b]["主题党日"] for b in branches(orgs)]
    assert all(days)
    assert len(set(days)) == len(days)
    assert {"15", "1FR", "-1FR", "5"} <= set(days)


def test_one_branch_holds_its_party_day_at_a_time_of_its_own(orgs: dict[str, Row]) -> None:
    timed = {code: row["主题党日时间"] for code, row in orgs.items() if row["主题党日时间"]}
    assert timed == {"JD01-03": "14:30-16:30"}


def test_there_are_some_probationary_members_and_two_or_three_leaders(
    members: dict[str, Row],
) -> None:
    assert sum(m["党员类型"] == "预备党员" for m in members.values()) >= 5
    leaders = [m for m in members.values() if m["领导干部"] == "是"]
    assert 2 <= len(leaders) <= 3
    assert all(m["党员类型"] == "正式党员" for m in leaders)


# --------------------------------------------------------------------------- designed gaps


def test_the_weak_branch_skips_party_days_and_a_quarters_general_meeting(
    meetings: list[Row],
) -> None:
    months = {day(m["日期"]).month for m in of_branch(meetings, WEAK, "主题党日")}
    assert {2, 7, 8}.isdisjoint(months)
    assert {1, 3, 4, 5, 6, 9, 10, 11} <= months
    quarters = {
        (day(m["日期"]).month - 1) // 3 + 1 for m in of_branch(meetings, WEAK, "支部党员大会")
    }
    assert 3 not in quarters
    assert {1, 2} <= quarters


def test_every_other_established_branch_holds_a_party_day_each_month_until_its_day_passes(
    orgs: dict[str, Row], meetings: list[Row]
) -> None:
    for branch in branches(orgs):
        if branch in (WEAK, NEW):
            continue
        months = {day(m["日期"]).month for m in of_branch(meetings, branch, "主题党日")}
        assert set(range(1, 11)) <= months, branch


def test_a_general_meeting_with_less_than_half_present_exists(meetings: list[Row]) -> None:
    sparse = [
        m
        for m in meetings
        if "支部党员大会" in kinds(m) and 2 * int(m["实到人数"]) < int(m["应到人数"])
    ]
    assert [(m["组织编码"], m["日期"][:7], m["应到人数"], m["实到人数"]) for m in sparse] == [
        (SPARSE, "2026-05", "20", "8")
    ]


def test_combined_records_exist(meetings: list[Row]) -> None:
    combined = {m["会议类型"] for m in meetings if "+" in m["会议类型"]}
    assert {"主题党日+支部党员大会", "主题党日+党课", "组织生活会+民主评议党员"} <= combined


def test_most_records_are_entered_within_three_days_and_a_few_weeks_late(
    meetings: list[Row],
) -> None:
    lags = [(day(m["录入日期"]) - day(m["日期"])).days for m in meetings]
    late = [lag for lag in lags if lag >= 14]
    assert 3 <= len(late) <= 10
    assert sum(lag <= 3 for lag in lags) == len(lags) - len(late)
    weak_late = [
        m
        for m in meetings
        if m["组织编码"] == WEAK and (day(m["录入日期"]) - day(m["日期"])).days >= 14
    ]
    assert len(weak_late) >= 2


def test_the_new_branch_was_founded_in_may_2026_and_meets_only_after(
    orgs: dict[str, Row], meetings: list[Row]
) -> None:
    founded = day(orgs[NEW]["成立日期"])
    assert (founded.year, founded.month) == (2026, 5)
    own = [m for m in meetings if m["组织编码"] == NEW or m["组织编码"].startswith(NEW + "-")]
    assert own
    assert min(day(m["日期"]) for m in own) == founded


def test_only_one_party_lesson_is_given_by_the_branch_secretary(
    members: dict[str, Row], meetings: list[Row]
) -> None:
    secretaries = {m["所在组织编码"]: i for i, m in members.items() if m["职务"] == "书记"}
    lessons = [m for m in meetings if "党课" in kinds(m)]
    by_secretary = [m for m in lessons if m["授课人"] == secretaries[m["组织编码"]]]
    assert [(m["组织编码"], m["日期"][:7]) for m in by_secretary] == [("JD01-01", "2026-06")]
    assert len({m["授课人"] for m in lessons}) > 10


def test_leaders_attend_their_branch_but_one_misses_the_whole_third_quarter(
    members: dict[str, Row], meetings: list[Row]
) -> None:
    quarters_seen: dict[str, set[int]] = {}
    for leader, row in members.items():
        if row["领导干部"] != "是":
            continue
        attended = [m for m in meetings if leader in m["参会人员"].split(";")]
        quarters_seen[leader] = {(day(m["日期"]).month - 1) // 3 + 1 for m in attended}
    absent_in_q3 = [leader for leader, seen in quarters_seen.items() if 3 not in seen]
    assert len(absent_in_q3) == 1
    for leader, seen in quarters_seen.items():
        assert seen >= ({1, 2, 4} if leader in absent_in_q3 else {1, 2, 3, 4}), leader


def test_the_yearly_meetings_are_still_ahead_for_most_branches(
    orgs: dict[str, Row], meetings: list[Row]
) -> None:
    held = {m["组织编码"] for m in meetings if "组织生活会" in kinds(m)}
    assert 1 <= len(held) < len(branches(orgs)) // 2

"""Property: the SQL aggregation agrees with a plain record-by-record evaluation in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from monitor.core.domain import Meeting, Member, MemberStatus, Org, OrgType, Role
from monitor.core.evaluator import (
    Evaluator,
    Registers,
    SubjectTallies,
    Window,
    registers_from,
    tally_meetings,
)
from monitor.core.kinds import CORE_KINDS
from monitor.core.periods import Cadence, Period
from monitor.core.rules import RulePack, bundled_rules_dir, load_pack
from monitor.registers.readers import Parsed
from monitor.store import ATTENDANCE_TABLE, MEETING_TABLE, MEMBER_TABLE, ORG_TABLE, Store, aggregate

# The example overlay's own kinds too, so its committee-level rules see records.
KIND_IDS = [k.id for k in CORE_KINDS] + ["party_building_session", "party_building_forum"]
PACKS = {
    "national": load_pack(),
    "example-district": load_pack([bundled_rules_dir() / "example-district.yaml"]),
}
DAYS = st.dates(dt.date(2025, 11, 1), dt.date(2027, 1, 31))


@st.composite
def registers(draw: st.DrawFn) -> tuple[list[Org], list[Member], list[Meeting]]:
    orgs = [Org("S", "街道党工委", OrgType.COMMITTEE)]
    groups: dict[str, list[str]] = {}
    for b in range(draw(st.integers(1, 3))):
        code = f"B{b}"
        founded = draw(st.one_of(st.none(), DAYS))
        has_committee = draw(st.sampled_from([None, None, True, False]))
        orgs.append(Org(code, f"支部{b}", OrgType.BRANCH, "S", founded, None, has_committee))
        groups[code] = []
        for g in range(draw(st.integers(0, 2))):
            orgs.append(Org(f"{code}-G{g}", f"小组{g}", OrgType.GROUP, code))
            groups[code].append(f"{code}-G{g}")
    members = []
    for i in range(draw(st.integers(0, 14))):
        branch = draw(st.sampled_from(sorted(groups)))
        members.append(
            Member(
                id=f"M{i}",
                name=draw(st.sampled_from(["张三", "李四", "王五", f"人{i}"])),
                org=branch,
                group=draw(st.sampled_from([None, *groups[branch]])),
                role=draw(st.sampled_from(list(Role))),
                joined=draw(
                    st.one_of(st.none(), st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)))
                ),
                status=draw(st.sampled_from(list(MemberStatus))),
                leader=draw(st.booleans()),
            )
        )
    codes = [o.code for o in orgs]
    people = [m.id for m in members] + ["张三", "李四", "外请讲师"]
    meetings = []
    for i in range(draw(st.integers(0, 30))):
        day = draw(DAYS)
        # Some records say they count for their own or the previous period of some cadence.
        for_period = None
        cadence = draw(st.one_of(st.none(), st.sampled_from(list(Cadence))))
        if cadence is not None:
            period = Period.containing(cadence, day)
            for_period = (period.previous() if draw(st.booleans()) else period).label
        expected = draw(st.one_of(st.none(), st.integers(0, 12)))
        attended = draw(
            st.one_of(st.none(), st.integers(0, expected if expected is not None else 12))
        )
        meetings.append(
            Meeting(
                org=draw(st.sampled_from(codes)),
                kinds=frozenset(draw(st.lists(st.sampled_from(KIND_IDS), min_size=1, max_size=3))),
                date=day,
                expected=expected,
                attended=attended,
                lecturer=draw(st.one_of(st.none(), st.sampled_from(people))),
                topic=f"议题{i}",
                attendees=tuple(
                    draw(
                        st.lists(st.sampled_from([m.id for m in members]), max_size=4, unique=True)
                    )
                )
                if members
                else (),
                recorded=None,
                for_period=for_period,
            )
        )
    return orgs, members, meetings


def _parsed(records: list[object]) -> Parsed[object]:
    return Parsed(Path("generated.csv"), records, list(range(2, len(records) + 2)), {})


def _wipe(store: Store) -> None:
    with store.engine.begin() as conn:
        for table in (ATTENDANCE_TABLE, MEETING_TABLE, MEMBER_TABLE, ORG_TABLE):
            conn.execute(delete(table))


def _by_subject(
    items: list[SubjectTallies] | Iterator[SubjectTallies],
) -> dict[tuple[str, str], dict]:
    return {(t.kind, t.subject): dict(t.tallies) for t in items}


def _findings(
    pack: RulePack, window: Window, registers: Registers, tallies: list[SubjectTallies]
) -> set:
    return set(Evaluator(pack, window).evaluate(registers, tallies))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.parametrize("pack_name", sorted(PACKS))
@given(
    data=registers(),
    as_of=st.dates(dt.date(2026, 1, 1), dt.date(2027, 1, 31)),
    since_offset=st.one_of(st.none(), st.integers(0, 400)),
    deleted=st.sets(st.integers(0, 29), max_size=4),
    listed=st.tuples(st.integers(0, 14), st.integers(1, 6)),
)
def test_sql_and_in_memory_evaluation_agree(
    store: Store, pack_name, data, as_of, since_offset, deleted, listed
):
    pack = PACKS[pack_name]
    orgs, members, meetings = data
    _wipe(store)
    store.import_orgs(_parsed(orgs))  # type: ignore[arg-type]
    store.import_members(_parsed(members))  # type: ignore[arg-type]
    store.import_meetings(_parsed(meetings), pack.catalog)  # type: ignore[arg-type]
    # Deleted records stay in the table but never count: the oracle simply does not see them.
    everything = store.meetings()
    gone = [m.id for i, m in enumerate(everything) if i in deleted]
    if gone:
        with store.engine.begin() as conn:
            conn.execute(
                update(MEETING_TABLE)
                .where(MEETING_TABLE.c.id.in_(gone))
                .values(deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
            )
    # The same records, now carrying the ids the store gave them (and their for_period).
    stored = [m for m in everything if m.id not in gone]
    assert [m.for_period for m in everything] == [m.for_period for m in meetings]
    since = (
        None
        if since_offset is None
        else max(dt.date(2025, 11, 1), as_of - dt.timedelta(days=since_offset))
    )
    window = Window.for_(as_of, since)

    in_memory = tally_meetings(pack, window, orgs, members, stored)
    in_sql = list(aggregate.tallies(store, pack, window, with_records=True))
    assert _by_subject(in_sql) == _by_subject(in_memory)
    without_ids = tally_meetings(pack, window, orgs, members, stored, with_records=False)
    assert _by_subject(aggregate.tallies(store, pack, window)) == _by_subject(without_ids)
    # Listing the records of some months only blanks the ids of the other months' tallies.
    months = window.months(pack)
    if months:
        start = months.start + listed[0] % len(months)
        some = range(start, start + listed[1])
        partial = aggregate.tallies(store, pack, window, with_records=True, record_months=some)
        expected = {
            subject: {
                key: tally if key[1] in some else tally._replace(records=())
                for key, tally in cells.items()
            }
            for subject, cells in _by_subject(in_sql).items()
        }
        assert _by_subject(partial) == expected

    plain = registers_from(orgs, members, pack, window)
    from_sql = aggregate.registers(store, pack, window)
    assert dict(from_sql.orgs) == dict(plain.orgs)
    assert sorted(from_sql.cadres, key=lambda m: m.id) == sorted(plain.cadres, key=lambda m: m.id)
    assert _findings(pack, window, from_sql, in_sql) == _findings(pack, window, plain, in_memory)


def test_the_property_sees_every_status(store: Store, national: RulePack):
    """A fixed example so a regression in the generator cannot make the property vacuous."""
    orgs = [
        Org("S", "街道", OrgType.COMMITTEE),
        Org("B", "支部", OrgType.BRANCH, "S", dt.date(2026, 2, 2)),
    ]
    members = [Member("M1", "张三", "B", role=Role.SECRETARY, leader=True)]
    meetings = [
        Meeting("B", frozenset({"themed_party_day"}), dt.date(2026, 3, 3), attendees=("M1",)),
        Meeting("B", frozenset({"general_meeting"}), dt.date(2026, 4, 3), expected=4, attended=1),
    ]
    store.import_orgs(_parsed(orgs))  # type: ignore[arg-type]
    store.import_members(_parsed(members))  # type: ignore[arg-type]
    store.import_meetings(_parsed(meetings), national.catalog)  # type: ignore[arg-type]
    window = Window.for_(dt.date(2026, 7, 20))
    found = _findings(
        national,
        window,
        aggregate.registers(store, national, window),
        list(aggregate.tallies(store, national, window)),
    )
    assert {f.status.value for f in found} == {"held", "missed", "open", "exempt"}


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize("in_limit", [2000, 1], ids=["bound-list", "temporary-table"])
def test_a_subtree_is_judged_as_in_the_whole_district(
    demo_store: Store, national: RulePack, monkeypatch: pytest.MonkeyPatch, in_limit: int
):
    # Small subtrees bind their codes in the SQL; big ones (past the limit) join a temporary
    # table. Either way a subtree's findings, its leading cadres' included, equal the whole run's.
    from monitor.check import run_check

    monkeypatch.setattr(aggregate, "_IN_LIMIT", in_limit)
    as_of = dt.date(2026, 11, 20)
    whole = run_check(demo_store, national, as_of=as_of).findings
    for code in ("JD01-06", "JD01-05", "JD01-05"):  # twice: no temporary table outlives a call
        subtree = set(demo_store.subtree(code))
        part = run_check(demo_store, national, as_of=as_of, org=code).findings
        assert part == [f for f in whole if f.org in subtree]
    assert any(f.member and f.status.value == "held" for f in part)

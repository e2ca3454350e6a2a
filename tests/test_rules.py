"""Rule packs: the baseline as specified, overlays, and errors that name file, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.core.errors import RulePackError
from monitor.core.periods import Cadence
from monitor.core.rules import Subject, bundled_rules_dir, explain, load_pack


def overlay(tmp_path: Path, body: str, name: str = "local.yaml") -> Path:
    path = tmp_path / name
    path.write_text("pack: local\ntitle: 本地规则\n" + body, encoding="utf-8")
    return path


def test_the_baseline_holds_the_ten_national_rules_with_sources(national):
    expected = {
        "branch_general_meeting": (Subject.BRANCH, Cadence.QUARTER),
        "branch_committee_meeting": (Subject.BRANCH, Cadence.MONTH),
        "party_group_meeting": (Subject.GROUP, Cadence.MONTH),
        "party_lesson": (Subject.BRANCH, Cadence.QUARTER),
        "secretary_lesson": (Subject.BRANCH, Cadence.YEAR),
        "themed_party_day": (Subject.BRANCH, Cadence.MONTH),
        "org_life_meeting": (Subject.BRANCH, Cadence.YEAR),
        "democratic_appraisal": (Subject.BRANCH, Cadence.YEAR),
        "heart_to_heart_talks": (Subject.BRANCH, Cadence.YEAR),
        "dual_org_life": (Subject.LEADING_CADRE, Cadence.QUARTER),
    }
    assert {r.id: (r.applies_to, r.period) for r in national.rules} == expected
    assert all("《" in r.source or "各地" in r.source for r in national.rules)
    assert national.rule("branch_general_meeting").min_attendance == 0.5
    assert national.rule("branch_committee_meeting").requires_committee
    assert national.grace_days == 5
    # The rules whose frequency the national text leaves open say so.
    for rule_id in ("party_lesson", "secretary_lesson", "dual_org_life"):
        assert "全国性规定未" in national.rule(rule_id).source


def test_the_shipped_overlay_layers_on_the_baseline():
    pack = load_pack([bundled_rules_dir() / "example-district.yaml"])
    assert pack.rule("party_lesson").period is Cadence.HALF_YEAR
    assert pack.rule("heart_to_heart_talks").count == 2
    assert pack.rule("party_building_forum").period is Cadence.TWO_MONTHS
    assert "party_building_session" in pack.catalog
    assert pack.origin["party_lesson"] == "example-district"
    assert pack.origin["org_life_meeting"] == "national"


def test_overlays_apply_in_order(tmp_path: Path):
    first = overlay(tmp_path, "rules:\n  - {id: party_lesson, count: 2}\n", "a.yaml")
    second = overlay(tmp_path, "rules:\n  - {id: party_lesson, count: 3}\n", "b.yaml")
    assert load_pack([first, second]).rule("party_lesson").count == 3


def test_an_overlay_can_switch_a_rule_off(tmp_path: Path):
    pack = load_pack([overlay(tmp_path, "rules:\n  - {id: secretary_lesson, enabled: false}\n")])
    assert "secretary_lesson" not in {r.id for r in pack.rules}


def test_explain_words_each_requirement_in_chinese(national):
    rows = {row["id"]: row for row in explain(national)}
    assert rows["branch_general_meeting"]["requirement"] == "每季度至少1次支部党员大会（出席过半）"
    assert rows["dual_org_life"]["applies_to"] == "党员领导干部"


@pytest.mark.parametrize(
    ("body", "rule", "field", "words"),
    [
        (
            "rules:\n  - {id: party_lesson, period: fortnight}\n",
            "party_lesson",
            "period",
            "fortnight",
        ),
        (
            "rules:\n  - {id: party_lesson, count: 0}\n",
            "party_lesson",
            "count",
            "应不小于1",
        ),
        (
            "rules:\n  - {id: party_lesson, kinds: [tea_party]}\n",
            "party_lesson",
            "kinds",
            "tea_party",
        ),
        (
            "rules:\n  - {id: party_lesson, colour: red}\n",
            "party_lesson",
            "colour",
            "没有这个字段",
        ),
        ("rules:\n  - {id: new_rule, name: 新规则}\n", "new_rule", "applies_to", "缺少必填字段"),
        (
            "rules:\n  - {id: general_meeting_x, name: x, applies_to: group, period: month,"
            " kinds: [general_meeting], source: s, requires_committee: true}\n",
            "general_meeting_x",
            None,
            "requires_committee",
        ),
        (
            "rules:\n  - {id: party_lesson, min_attendance: 1.5}\n",
            "party_lesson",
            "min_attendance",
            "1.5",
        ),
        (
            "rules:\n  - {id: themed_party_day, schedule: {day: 2XX}}\n",
            "themed_party_day",
            "schedule.day",
            "2XX",
        ),
    ],
)
def test_a_bad_rule_names_file_rule_and_field(tmp_path: Path, body, rule, field, words):
    path = overlay(tmp_path, body)
    with pytest.raises(RulePackError) as caught:
        load_pack([path])
    error = caught.value
    assert error.rule == rule
    if field is not None:
        assert error.field == field
    assert str(path) in str(error)
    assert words in str(error)
    assert error.line == 4


def test_broken_yaml_names_the_line(tmp_path: Path):
    path = overlay(tmp_path, "rules:\n  - {id: party_lesson, count: [\n")
    with pytest.raises(RulePackError, match="不是有效的 YAML") as caught:
        load_pack([path])
    assert caught.value.line is not None


def test_a_missing_pack_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(RulePackError, match="找不到这个规则包文件"):
        load_pack([tmp_path / "nope.yaml"])


def test_a_file_without_pack_and_title_is_rejected(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text("rules: []\n", encoding="utf-8")
    with pytest.raises(RulePackError, match="pack"):
        load_pack([path])


def test_common_words_for_periods_subjects_and_fields_are_understood(tmp_path: Path):
    body = (
        "rules:\n"
        "  - {id: party_lesson, cadence: 每半年}\n"
        "  - {id: branch_general_meeting, quorum: 0.6}\n"
        "  - {id: street_session, name: 专题会, applies_to: 党委, period: monthly,"
        " kind: general_meeting, source: 讲话}\n"
    )
    pack = load_pack([overlay(tmp_path, body)])
    assert pack.rule("party_lesson").period is Cadence.HALF_YEAR
    assert pack.rule("branch_general_meeting").min_attendance == 0.6
    street = pack.rule("street_session")
    assert (street.applies_to, street.period, street.kinds) == (
        Subject.COMMITTEE,
        Cadence.MONTH,
        ("general_meeting",),
    )

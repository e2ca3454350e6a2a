"""Regenerate the demo district's registers: ``python -m monitor.demo.generate``.

The district is one street committee (幸福街道党工委, ``JD01``) with eight branches, one of
them under a general branch, and their party groups.  Meeting records run from 2026-01-01 to
:data:`AS_OF` (2026-11-20).  Everything is drawn from ``random.Random(2026)`` in a fixed order,
so the output is byte-for-byte reproducible.

The designed gaps (what a compliance monitor should find) are declared in :data:`BRANCHES`,
:data:`LATE_ENTRIES` and :data:`AWAY_LEADER`, not left to chance:

* ``JD01-06-01`` is the weak branch: no 主题党日 in February, July and August, no committee
  meeting in February, July, August and October, no general meeting in Q3, no party lesson in
  Q3, party groups meeting only some months, and records entered weeks late.
* ``JD01-02`` holds its May general meeting with 8 of 20 present; one member is on long leave
  and is left out of every 应到人数.
* ``JD01-04`` has six full members, so no committee (设支委会 blank); ``JD01-06-02`` has eight
  but says 设支委会=否; ``JD01-02`` says 设支委会=是.
* ``JD01-07`` was founded on 2026-05-12.
* ``JD01-03`` (a school) holds its 主题党日 at 14:30-16:30 (主题党日时间); the others use the
  rule's default time.
* Only one party lesson is given by its own branch secretary (``JD01-01`` in June).
* Leader 2 (the third 领导干部, 办事处主任) attends none of ``JD01-05``'s meetings in Q3.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 2026
YEAR = 2026
START = dt.date(YEAR, 1, 1)
AS_OF = dt.date(YEAR, 11, 20)
"""The day the registers were exported: nothing is dated or entered after it."""

ORG_HEADER = (
    "组织编码",
    "组织名称",
    "组织类型",
    "上级组织编码",
    "成立日期",
    "主题党日",
    "设支委会",
    "主题党日时间",
)
MEMBER_HEADER = (
    "党员编号",
    "姓名",
    "所在组织编码",
    "所在党小组",
    "职务",
    "入党日期",
    "党员类型",
    "领导干部",
)
MEETING_HEADER = (
    "组织编码",
    "会议类型",
    "日期",
    "应到人数",
    "实到人数",
    "授课人",
    "主题",
    "参会人员",
    "录入日期",
)

GENERAL = "支部党员大会"
COMMITTEE = "支部委员会会议"
GROUP = "党小组会"
LESSON = "党课"
PARTY_DAY = "主题党日"
ORG_LIFE = "组织生活会"
APPRAISAL = "民主评议党员"
TALK = "谈心谈话"

# Weekdays that are public holidays in 2026 (weekends are never working days here; the
# make-up Saturdays are ignored: nobody schedules a branch meeting on them).
HOLIDAYS = frozenset(
    dt.date(YEAR, month, day)
    for month, day in (
        (1, 1),
        (1, 2),
        (2, 16),
        (2, 17),
        (2, 18),
        (2, 19),
        (2, 20),
        (2, 23),
        (4, 6),
        (5, 1),
        (5, 4),
        (5, 5),
        (6, 19),
        (9, 25),
        (10, 1),
        (10, 2),
        (10, 5),
        (10, 6),
        (10, 7),
    )
)

# --------------------------------------------------------------------------- the district

STREET = ("JD01", "幸福街道党工委", "党委", dt.date(2008, 7, 1))
GENERAL_BRANCH = ("JD01-06", "幸福街道社会组织党总支", "党总支", dt.date(2015, 10, 9))


@dataclass(frozen=True)
class Branch:
    """One branch's make-up and its designed meeting pattern for 2026."""

    code: str
    name: str
    parent: str
    founded: dt.date
    party_day: str
    committee_flag: str  # 设支委会 as written: 是 / 否 / blank (derived from size)
    full: int  # 正式党员, long-leave member included
    probationary: int
    groups: tuple[str, ...]
    committee_members: int  # 委员 besides 书记 and 副书记
    deputy: bool
    joined_years: tuple[int, int]
    attendance: float  # chance an ordinary member attends a branch meeting
    # (month, "own" | "day" | "founding"): "day" combines it with that month's 主题党日
    general: tuple[tuple[int, str], ...]
    # (month, "own" | "day", lecturer): lecturer is secretary / deputy / committee / member /
    # leader:N (the N-th 领导干部 of the district) / external:<name>
    lessons: tuple[tuple[int, str, str], ...]
    leaders: int = 0  # ordinary members who are 领导干部
    deputy_is_leader: bool = False
    long_leave: int = 0  # full members on long leave, left out of 应到人数
    admitted: tuple[int, ...] = ()  # months whose general meeting admitted a 预备党员
    low_attendance: tuple[int, int] | None = None  # (month, present) of a general meeting
    skip_party_day: tuple[int, ...] = ()
    party_time: str = ""  # 主题党日时间 as written; blank: the rule's default (09:00-11:00)
    skip_committee: tuple[int, ...] = ()
    group_months: tuple[tuple[int, ...], ...] = ()  # per group; empty: monthly, a few gaps
    talks: tuple[tuple[int, int], ...] = ()  # (month, how many 谈心谈话)
    org_life: tuple[tuple[dt.date, str, str], ...] = ()  # (date, 会议类型, 主题)

    @property
    def has_committee(self) -> bool:
        if self.committee_flag:
            return self.committee_flag == "是"
        return self.full >= 7


EXTERNAL_LECTURER = "区委党校讲师 周立新"

BRANCHES: tuple[Branch, ...] = (
    Branch(
        code="JD01-01",
        name="幸福社区党支部",
        parent="JD01",
        founded=dt.date(1998, 6, 18),
        party_day="15",
        committee_flag="",
        full=35,
        probationary=3,
        groups=("第一网格党小组", "第二网格党小组", "离退休党员党小组"),
        committee_members=3,
        deputy=True,
        joined_years=(1968, 2022),
        attendance=0.8,
        general=((1, "own"), (6, "own"), (9, "day")),
        lessons=(
            (3, "own", f"external:{EXTERNAL_LECTURER}"),
            (6, "own", "secretary"),
            (8, "own", "leader:1"),
            (11, "own", "deputy"),
        ),
        admitted=(6,),
        talks=((6, 2),),
    ),
    Branch(
        code="JD01-02",
        name="和平社区党支部",
        parent="JD01",
        founded=dt.date(2003, 9, 1),
        party_day="1FR",
        committee_flag="是",
        full=19,
        probationary=2,
        groups=("第一党小组", "第二党小组"),
        committee_members=2,
        deputy=False,
        joined_years=(1970, 2020),
        attendance=0.78,
        general=((3, "own"), (5, "own"), (9, "own"), (11, "day")),
        lessons=((2, "own", "committee"), (4, "day", "committee"), (7, "own", "member")),
        long_leave=1,
        low_attendance=(5, 8),
        talks=((1, 3),),
        org_life=(
            (dt.date(YEAR, 1, 22), ORG_LIFE, "2025年度组织生活会"),
            (dt.date(YEAR, 1, 22), APPRAISAL, "2025年度民主评议党员"),
        ),
    ),
    Branch(
        code="JD01-03",
        name="区实验小学党支部",
        parent="JD01",
        founded=dt.date(1985, 3, 12),
        party_day="-1FR",
        party_time="14:30-16:30",  # after the school day's lessons
        committee_flag="",
        full=21,
        probationary=3,
        groups=("在职教师党小组", "退休教师党小组"),
        committee_members=3,
        deputy=True,
        deputy_is_leader=True,
        joined_years=(1978, 2023),
        attendance=0.88,
        general=((3, "own"), (6, "own"), (9, "own"), (11, "own")),
        lessons=(
            (1, "own", "deputy"),
            (4, "own", "committee"),
            (7, "day", "committee"),
            (10, "own", "member"),
        ),
        admitted=(6,),
    ),
    Branch(
        code="JD01-04",
        name="安居物业公司党支部",
        parent="JD01",
        founded=dt.date(2019, 7, 1),
        party_day="5",
        committee_flag="",
        full=6,
        probationary=2,
        groups=("物业服务党小组",),
        committee_members=0,
        deputy=False,
        joined_years=(2003, 2023),
        attendance=0.85,
        general=((1, "own"), (4, "own"), (7, "own"), (10, "own")),
        lessons=(
            (3, "own", "member"),
            (6, "own", "member"),
            (9, "own", "member"),
            (10, "day", "member"),
        ),
        group_months=((2, 4, 6, 8, 10),),
    ),
    Branch(
        code="JD01-05",
        name="街道机关党支部",
        parent="JD01",
        founded=dt.date(2001, 5, 20),
        party_day="1WE",
        committee_flag="",
        full=24,
        probationary=2,
        groups=("机关第一党小组", "机关第二党小组"),
        committee_members=3,
        deputy=True,
        leaders=2,
        joined_years=(1992, 2023),
        attendance=0.9,
        general=((3, "own"), (6, "own"), (9, "own"), (11, "own")),
        lessons=(
            (3, "own", "leader:1"),
            (5, "own", "leader:2"),
            (8, "own", "deputy"),
            (11, "own", "committee"),
        ),
        admitted=(3,),
        talks=((11, 3),),
        org_life=(
            (
                dt.date(YEAR, 11, 18),
                f"{ORG_LIFE}+{APPRAISAL}",
                "2026年度组织生活会暨民主评议党员",
            ),
        ),
    ),
    Branch(
        code="JD01-06-01",
        name="众创园区联合党支部",
        parent="JD01-06",
        founded=dt.date(2016, 4, 15),
        party_day="10",
        committee_flag="",
        full=13,
        probationary=2,
        groups=("科技企业党小组", "商贸企业党小组"),
        committee_members=2,
        deputy=False,
        joined_years=(2002, 2023),
        attendance=0.7,
        general=((3, "own"), (6, "own")),
        lessons=((3, "day", "committee"), (5, "own", "member"), (10, "own", "committee")),
        skip_party_day=(2, 7, 8),
        skip_committee=(2, 7, 8, 10),
        group_months=((1, 3, 5, 6, 9, 11), (1, 3, 4, 6, 9, 10)),
    ),
    Branch(
        code="JD01-06-02",
        name="社工服务中心党支部",
        parent="JD01-06",
        founded=dt.date(2018, 11, 20),
        party_day="25",
        committee_flag="否",
        full=8,
        probationary=2,
        groups=("社工党小组",),
        committee_members=0,
        deputy=False,
        joined_years=(2008, 2023),
        attendance=0.85,
        general=((2, "own"), (5, "own"), (8, "own"), (11, "own")),
        lessons=(
            (1, "own", "member"),
            (4, "own", "member"),
            (7, "day", "member"),
            (10, "own", "member"),
        ),
        talks=((4, 1), (9, 2)),
    ),
    Branch(
        code="JD01-07",
        name="锦绣花园小区党支部",
        parent="JD01",
        founded=dt.date(YEAR, 5, 12),
        party_day="2FR",
        committee_flag="",
        full=10,
        probationary=2,
        groups=("一期楼栋党小组", "二期楼栋党小组"),
        committee_members=2,
        deputy=False,
        joined_years=(1975, 2021),
        attendance=0.8,
        general=((5, "founding"), (8, "own")),
        lessons=((6, "own", "committee"), (9, "day", "committee")),
        skip_party_day=(5,),
    ),
)

AWAY_LEADER = (2, (7, 8, 9))
"""The third 领导干部 (index 2) misses every meeting of his branch in these months (Q3)."""

LATE_ENTRIES: tuple[tuple[str, str, int, dt.date], ...] = (
    ("JD01-06-01", f"{PARTY_DAY}+{LESSON}", 3, dt.date(YEAR, 4, 28)),
    ("JD01-06-01", COMMITTEE, 3, dt.date(YEAR, 4, 28)),
    ("JD01-06-01", GENERAL, 6, dt.date(YEAR, 7, 21)),
    ("JD01-07", GENERAL, 5, dt.date(YEAR, 6, 9)),
    ("JD01-01-G2", GROUP, 9, dt.date(YEAR, 10, 30)),
    ("JD01-03", LESSON, 4, dt.date(YEAR, 5, 26)),
)
"""(组织编码, 会议类型, month, 录入日期): records entered weeks after the meeting (后补)."""

# --------------------------------------------------------------------------- wording


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
    "贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
GIVEN_OLD = _words(
    "建国 建华 国强 秀英 桂兰 淑珍 玉兰 凤英 德明 志刚 卫东 红梅 丽华 永福 桂芳 春生 秀珍 金凤 "
    "文华 振华 玉珍 瑞芳 宝山 长林 淑芬 素梅 爱华 学军 福生 兰英"
)
GIVEN_MID = _words(
    "海燕 志强 晓燕 建军 丽娟 伟 芳 敏 静 磊 军 勇 杰 涛 明 霞 平 刚 娟 斌 波 辉 燕 红 洁 "
    "晓东 海涛 文静 春梅 立新 卫华 晓峰 雪梅 国平 小红 艳 鹏 宏 琳"
)
GIVEN_YOUNG = _words(
    "子涵 浩然 欣怡 雨萱 梓轩 思远 一鸣 佳琪 宇航 诗琪 俊杰 雅婷 晨曦 博文 心怡 天宇 梦瑶 "
    "嘉怡 泽宇 若曦 书瑶 明轩 子墨 婧 悦 睿 航 鑫 琪 晗"
)

PARTY_DAY_TOPICS: dict[int, tuple[str, ...]] = {
    1: ("走访慰问困难党员和老党员", "新春送福进楼栋"),
    2: ("节后安全隐患排查", "学习廉洁过节有关规定"),
    3: ("学雷锋志愿服务", "义务植树"),
    4: ("清明祭扫烈士陵园", "全民国家安全教育日宣传"),
    5: ("参观区党史教育馆", "劳动光荣志愿服务"),
    6: ("防汛安全检查", "学习党章迎“七一”"),
    7: ("“七一”重温入党誓词", "纪念建党105周年"),
    8: ("环境整治志愿服务", "高温慰问一线职工"),
    9: ("垃圾分类宣传", "反诈宣传进社区"),
    10: ("重阳节敬老志愿服务", "国庆主题升旗仪式"),
    11: ("消防安全宣传", "冬季安全隐患排查"),
}
GENERAL_TOPICS: dict[int, tuple[str, ...]] = {
    1: ("审议支部2026年度工作计划", "通报2025年度党费收缴情况"),
    2: ("审议支部2026年度工作计划", "学习《中国共产党支部工作条例（试行）》"),
    3: ("学习全国两会精神", "学习贯彻党的二十届四中全会精神"),
    4: ("学习《中国共产党纪律处分条例》", "通报第一季度支部工作"),
    5: ("学习《中国共产党纪律处分条例》", "通报第一季度支部工作"),
    6: ("通报上半年支部工作", "学习贯彻党的二十届四中全会精神"),
    7: ("通报上半年支部工作", "学习《中国共产党章程》"),
    8: ("学习“十五五”规划纲要", "通报上半年党费收缴情况"),
    9: ("通报第三季度支部工作", "学习“十五五”规划纲要"),
    10: ("通报第三季度支部工作", "学习贯彻党的二十届四中全会精神"),
    11: ("部署年度组织生活会准备工作", "通报全年支部工作"),
}
COMMITTEE_TOPICS: tuple[str, ...] = (
    "研究{m}月主题党日活动安排",
    "研究{m}月支部工作安排",
    "研究发展党员工作",
    "研究党费收缴工作",
    "研究党员教育培训安排",
)
GROUP_TOPICS = (
    "学习习近平新时代中国特色社会主义思想",
    "学习贯彻党的二十届四中全会精神",
    "学习《中国共产党章程》",
    "交流学习心得体会",
    "学习中央八项规定及其实施细则精神",
    "学习《中国共产党纪律处分条例》",
    "学习“十五五”规划纲要",
    "结合岗位谈为民服务",
)
LESSON_TOPICS = (
    "以党的二十届四中全会精神引领基层治理",
    "传承红色基因 争做合格党员",
    "学党章 守党纪 讲规矩",
    "奋力开创“十五五”良好开局",
    "全面从严治党永远在路上",
    "牢记初心使命 践行全心全意为人民服务宗旨",
    "从党史中汲取奋进力量",
)
TALK_TOPICS = ("了解思想动态，听取意见建议", "交流工作和生活困难", "听取对支部工作的意见")

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_PARTY_DAY_RE = re.compile(r"^(-?\d+)(MO|TU|WE|TH|FR|SA|SU)?$")

# --------------------------------------------------------------------------- model


@dataclass
class Member:
    id: str
    name: str
    branch: str
    group: str
    role: str
    joined: dt.date
    status: str
    leader: int | None = None  # index among the district's 领导干部
    on_leave: bool = False


@dataclass
class Plan:
    """A meeting before its attendance is drawn."""

    branch: Branch
    org: str
    kinds: str
    date: dt.date
    topic: str
    audience: str  # branch / committee / group / talk
    lecturer: str = ""
    admits: bool = False
    present: int | None = None


@dataclass
class District:
    orgs: list[tuple[str, ...]] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    meetings: list[tuple[str, ...]] = field(default_factory=list)


# --------------------------------------------------------------------------- calendar


def is_workday(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


def month_days(month: int) -> list[dt.date]:
    last = calendar.monthrange(YEAR, month)[1]
    return [dt.date(YEAR, month, d) for d in range(1, last + 1)]


def nominal_party_day(spec: str, month: int) -> dt.date:
    """The day a 主题党日 spec (``15``, ``-1``, ``1FR``, ``-1FR``) names in ``month``."""
    m = _PARTY_DAY_RE.match(spec)
    if m is None:
        raise ValueError(f"bad party day {spec!r}")
    n = int(m[1])
    days = month_days(month)
    if m[2] is not None:
        days = [d for d in days if d.weekday() == WEEKDAYS[m[2]]]
    return days[n - 1] if n > 0 else days[n]


def nearest_workday(day: dt.date) -> dt.date:
    """``day`` if a working day, else the next one in its month, else the previous one."""
    for step in (1, -1):
        cand = day
        while cand.month == day.month:
            if is_workday(cand):
                return cand
            cand += dt.timedelta(days=step)
    raise ValueError(f"no working day around {day}")


def random_workday(
    rng: random.Random,
    month: int,
    since: dt.date,
    avoid: list[dt.date],
    before: dt.date | None = None,
) -> dt.date:
    """A working day of ``month`` from ``since`` on, not in ``avoid``, before ``before`` if can."""
    days = [d for d in month_days(month) if is_workday(d) and since <= d <= AS_OF]
    choices = [d for d in days if d not in avoid] or days
    if before is not None:
        choices = [d for d in choices if d < before] or choices
    return rng.choice(choices)


# --------------------------------------------------------------------------- generation


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.names: list[str] = []
        self.leader_ids: list[str] = []
        self.members: dict[str, list[Member]] = {}

    # -- people

    def name(self, year: int) -> str:
        pool = GIVEN_OLD if year < 1990 else GIVEN_MID if year < 2008 else GIVEN_YOUNG
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(pool)
            if name not in self.names:
                self.names.append(name)
                return name

    def joined_full(self, branch: Branch) -> dt.date:
        lo, hi = branch.joined_years
        start = dt.date(lo, 1, 1).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, dt.date(hi, 12, 31).toordinal()))

    def make_members(self, branch: Branch, plans: list[Plan], next_id: int) -> int:
        roles = ["书记"]
        if branch.deputy:
            roles.append("副书记")
        if branch.has_committee:
            roles += ["委员"] * branch.committee_members
        roles += ["党员"] * (branch.full - len(roles))
        admissions = [p for p in plans if p.admits]
        members: list[Member] = []
        for index, role in enumerate(roles):
            joined = self.joined_full(branch)
            if role != "党员":  # officers are rarely the newest members
                joined = min(joined, self.joined_full(branch))
            member = Member("", self.name(joined.year), branch.code, "", role, joined, "正式党员")
            if branch.deputy_is_leader and role == "副书记":
                member.leader = len(self.leader_ids)
                self.leader_ids.append(member.branch)
            if role == "党员" and index - roles.index("党员") < branch.leaders:
                member.leader = len(self.leader_ids)
                self.leader_ids.append(member.branch)
            if index >= len(roles) - branch.long_leave:
                member.on_leave = True
            members.append(member)
        for index in range(branch.probationary):
            if index < len(admissions):
                joined = admissions[index].date
            else:
                joined = dt.date(YEAR - 1, 12, self.rng.randint(1, 30))
            member = Member("", self.name(2020), branch.code, "", "党员", joined, "预备党员")
            members.append(member)
            if index < len(admissions):
                plan = admissions[index]
                rest = plan.topic.partition("；")[2]
                plan.topic = f"讨论接收{member.name}同志为预备党员" + (f"；{rest}" if rest else "")
        # ids in order; groups dealt round-robin after a shuffle so officers spread out
        order = list(range(len(members)))
        self.rng.shuffle(order)
        groups = [f"{branch.code}-G{i + 1}" for i in range(len(branch.groups))]
        for position, index in enumerate(order):
            members[index].group = groups[position % len(groups)]
        for member in members:
            member.id = f"M{next_id:04d}"
            next_id += 1
            if member.leader is not None:
                self.leader_ids[member.leader] = member.id
        self.members[branch.code] = members
        return next_id

    # -- schedule

    def party_day(self, branch: Branch, month: int) -> dt.date:
        day = nearest_workday(nominal_party_day(branch.party_day, month))
        if self.rng.random() < 0.25:
            moved = nearest_workday(day + dt.timedelta(days=self.rng.choice((-3, -2, -1, 1, 2, 3))))
            if moved.month == month:
                day = moved
        return day

    def plan(self, branch: Branch) -> list[Plan]:
        rng = self.rng
        plans: list[Plan] = []
        general = dict(branch.general)
        lessons = {month: (mode, who) for month, mode, who in branch.lessons}
        since = max(branch.founded, START)
        for month in range(since.month, AS_OF.month + 1):
            taken: list[dt.date] = []
            # 主题党日, possibly combined with the general meeting or a party lesson
            day: dt.date | None = None
            if month not in branch.skip_party_day:
                day = self.party_day(branch, month)
                kinds, topic = PARTY_DAY, f"主题党日：{rng.choice(PARTY_DAY_TOPICS[month])}"
                lecturer, audience_topic = "", topic
                if general.get(month) == "day":
                    kinds = f"{PARTY_DAY}+{GENERAL}"
                    audience_topic = f"{rng.choice(GENERAL_TOPICS[month])}；{topic}"
                elif month in lessons and lessons[month][0] == "day":
                    kinds = f"{PARTY_DAY}+{LESSON}"
                    lecturer = lessons[month][1]
                    audience_topic = f"党课：{rng.choice(LESSON_TOPICS)}；{topic}"
                if day <= AS_OF:
                    plans.append(Plan(branch, branch.code, kinds, day, audience_topic, "branch"))
                    plans[-1].lecturer = lecturer
                    plans[-1].admits = kinds.endswith(GENERAL) and month in branch.admitted
                    taken.append(day)
            elif month in lessons and lessons[month][0] == "day":
                raise ValueError(f"{branch.code}: lesson in {month} needs a 主题党日")
            # the founding meeting, held with the first committee meeting
            if general.get(month) == "founding":
                topic = "召开党员大会，成立党支部并选举产生支部委员会"
                plans.append(Plan(branch, branch.code, GENERAL, branch.founded, topic, "branch"))
                plans.append(
                    Plan(
                        branch,
                        branch.code,
                        COMMITTEE,
                        branch.founded,
                        "召开第一次支委会，研究委员分工",
                        "committee",
                    )
                )
                taken.append(branch.founded)
            # committee meeting a few working days before the party day
            elif branch.has_committee and month not in branch.skip_committee:
                when: dt.date | None = None
                if day is not None:
                    when = day - dt.timedelta(days=rng.randint(2, 8))
                    while not is_workday(when):
                        when -= dt.timedelta(days=1)
                if when is None or when.month != month or when < since:
                    when = random_workday(rng, month, since, taken, before=day)
                topics = COMMITTEE_TOPICS
                if day is not None and when > day:  # too late to prepare this month's 主题党日
                    topics = tuple(t for t in topics if PARTY_DAY not in t)
                topic = rng.choice(topics).format(m=month)
                plans.append(Plan(branch, branch.code, COMMITTEE, when, topic, "committee"))
            if general.get(month) == "own":
                when = random_workday(rng, month, since, taken)
                topic = rng.choice(GENERAL_TOPICS[month])
                plan = Plan(branch, branch.code, GENERAL, when, topic, "branch")
                plan.admits = month in branch.admitted
                if branch.low_attendance and branch.low_attendance[0] == month:
                    plan.present = branch.low_attendance[1]
                plans.append(plan)
                taken.append(when)
            if month in lessons and lessons[month][0] == "own":
                when = random_workday(rng, month, since, taken)
                topic = f"党课：{rng.choice(LESSON_TOPICS)}"
                plans.append(
                    Plan(branch, branch.code, LESSON, when, topic, "branch", lessons[month][1])
                )
                taken.append(when)
            for talk_month, count in branch.talks:
                if talk_month == month:
                    # talks in the month of an 组织生活会 come before it and prepare it
                    meeting = next((d for d, _, _ in branch.org_life if d.month == month), None)
                    for _ in range(count):
                        when = random_workday(rng, month, since, [], before=meeting)
                        topic = "谈心谈话：" + (
                            "组织生活会前谈心谈话" if meeting else rng.choice(TALK_TOPICS)
                        )
                        plans.append(Plan(branch, branch.code, TALK, when, topic, "talk"))
            # party groups: monthly with the odd gap, or on the months the branch declares
            for index in range(len(branch.groups)):
                code = f"{branch.code}-G{index + 1}"
                if branch.group_months:
                    meets = month in branch.group_months[index]
                else:
                    # a gap never falls on a month whose record is designed to be late
                    meets = rng.random() > 0.08 or any(
                        org == code and m == month for org, _, m, _ in LATE_ENTRIES
                    )
                if month == since.month and branch.founded.year == YEAR:
                    meets = False  # new groups start meeting the month after founding
                if meets:
                    when = random_workday(rng, month, since, taken)
                    topic = rng.choice(GROUP_TOPICS)
                    plans.append(Plan(branch, code, GROUP, when, topic, "group"))
        for when, kinds, topic in branch.org_life:
            plans.append(Plan(branch, branch.code, kinds, when, topic, "branch"))
        return [p for p in plans if p.date <= AS_OF]  # later ones are still to come

    # -- attendance

    def present(self, plan: Plan, member: Member) -> bool:
        if member.leader is not None:
            if member.leader == AWAY_LEADER[0] and plan.date.month in AWAY_LEADER[1]:
                return False
            return self.rng.random() < 0.7
        if member.role == "书记":
            return self.rng.random() < 0.97
        if plan.audience == "committee":
            return self.rng.random() < 0.93
        return self.rng.random() < plan.branch.attendance

    def lecturer(self, plan: Plan, members: list[Member]) -> str:
        spec = plan.lecturer
        if not spec:
            return ""
        if spec.startswith("external:"):
            return spec.removeprefix("external:")
        if spec.startswith("leader:"):
            return self.leader_ids[int(spec.removeprefix("leader:"))]
        role = {"secretary": "书记", "deputy": "副书记", "committee": "委员"}.get(spec)
        if role is not None:
            return self.rng.choice([m.id for m in members if m.role == role])
        ordinary = [
            m.id
            for m in members
            if m.role == "党员" and m.status == "正式党员" and m.leader is None and not m.on_leave
        ]
        return self.rng.choice(ordinary)

    def record(self, plan: Plan) -> tuple[str, ...]:
        members = self.members[plan.branch.code]
        pool = [m for m in members if m.joined < plan.date and not m.on_leave]
        lecturer = self.lecturer(plan, members)
        if plan.audience == "committee":
            pool = [m for m in pool if m.role in ("书记", "副书记", "委员")]
        elif plan.audience == "group":
            pool = [m for m in pool if m.group == plan.org]
        if plan.audience == "talk":
            secretary = next(m for m in members if m.role == "书记")
            other = self.rng.choice([m for m in pool if m is not secretary])
            attendees = [secretary, other]
            expected = 2
        elif plan.present is not None:
            secretary = next(m for m in pool if m.role == "书记")
            others = [m for m in pool if m is not secretary and m.leader is None]
            attendees = [secretary, *self.rng.sample(others, plan.present - 1)]
            expected = len(pool)
        else:
            attendees = [m for m in pool if self.present(plan, m)]
            expected = len(pool)
            minimum = expected // 2 + 1  # the one sparse meeting is the designed one above
            absent = [m for m in pool if m not in attendees and not self.away(m, plan.date)]
            self.rng.shuffle(absent)
            while len(attendees) < minimum and absent:
                attendees.append(absent.pop())
        lag = self.rng.choices((0, 1, 2, 3), weights=(40, 30, 15, 15))[0]
        entered = min(plan.date + dt.timedelta(days=lag), AS_OF)
        ids = sorted(m.id for m in attendees)
        return (
            plan.org,
            plan.kinds,
            plan.date.isoformat(),
            str(expected),
            str(len(ids)),
            lecturer,
            plan.topic,
            ";".join(ids),
            entered.isoformat(),
        )

    @staticmethod
    def away(member: Member, day: dt.date) -> bool:
        return member.leader == AWAY_LEADER[0] and day.month in AWAY_LEADER[1]

    # -- the whole district

    def build(self) -> District:
        district = District()
        code, name, kind, founded = STREET
        district.orgs.append((code, name, kind, "", founded.isoformat(), "", "", ""))
        plans: dict[str, list[Plan]] = {b.code: self.plan(b) for b in BRANCHES}
        next_id = 1
        seen: list[str] = []
        for branch in BRANCHES:
            next_id = self.make_members(branch, plans[branch.code], next_id)
        for branch in BRANCHES:
            if branch.parent == GENERAL_BRANCH[0] and GENERAL_BRANCH[0] not in seen:
                seen.append(GENERAL_BRANCH[0])
                code, name, kind, founded = GENERAL_BRANCH
                district.orgs.append((code, name, kind, STREET[0], founded.isoformat(), "", "", ""))
            district.orgs.append(
                (
                    branch.code,
                    branch.name,
                    "党支部",
                    branch.parent,
                    branch.founded.isoformat(),
                    branch.party_day,
                    branch.committee_flag,
                    branch.party_time,
                )
            )
            for index, group in enumerate(branch.groups):
                district.orgs.append(
                    (
                        f"{branch.code}-G{index + 1}",
                        f"{branch.name}{group}",
                        "党小组",
                        branch.code,
                        branch.founded.isoformat(),
                        "",
                        "",
                        "",
                    )
                )
            district.members.extend(self.members[branch.code])
        rows = [self.record(p) for b in BRANCHES for p in plans[b.code]]
        rows = apply_late_entries(rows)
        rows.sort(key=lambda r: (r[2], r[0], r[1]))
        district.meetings = rows
        return district


def apply_late_entries(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    result = list(rows)
    for org, kinds, month, entered in LATE_ENTRIES:
        hits = [
            i
            for i, r in enumerate(result)
            if r[0] == org and r[1] == kinds and int(r[2][5:7]) == month
        ]
        if len(hits) != 1:
            raise ValueError(f"late entry {org} {kinds} {month}: {len(hits)} records match")
        row = result[hits[0]]
        result[hits[0]] = (*row[:8], entered.isoformat())
    return result


def member_row(member: Member) -> tuple[str, ...]:
    return (
        member.id,
        member.name,
        member.branch,
        member.group,
        member.role,
        member.joined.isoformat(),
        member.status,
        "是" if member.leader is not None else "否",
    )


def write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main(out_dir: Path = HERE) -> None:
    """Write ``orgs.csv``, ``members.csv`` and ``meetings.csv`` into ``out_dir``."""
    district = Generator().build()
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(out_dir / "orgs.csv", ORG_HEADER, district.orgs)
    write_csv(out_dir / "members.csv", MEMBER_HEADER, [member_row(m) for m in district.members])
    write_csv(out_dir / "meetings.csv", MEETING_HEADER, district.meetings)


if __name__ == "__main__":
    main()

"""SMS splitting of the battle report (issue 14, point 3): a cut falls only between fields —
never inside a number or a name —, every part fits the SMS limit, and the parts join back into
the message. Property-tested on generated reports: three-character names, long unit names,
13-person teams (and larger), amounts up to hundreds of millions."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiejun.broadcast.renderers import (
    SMS_PART,
    SMS_SINGLE,
    render,
    sms_join,
    sms_name,
    sms_segments,
)
from tiejun.broadcast.selectors import BattleReport, RepLine
from tiejun.org.models import Unit, UnitKind

DAY = dt.date(2026, 11, 27)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵解强柴华车冉房边"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国志红梅飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣佳颖雪琳晨阳"
PLACES = "华东华南华北西南西北东北浙江江苏广东四川湖北湖南山东河南福建安徽杭州宁波温州绍兴嘉兴湖州金华台州苏州南京无锡常州"
UNIT_WORDS = "大区分公司销售营业部第一二三四五六七八九十组团队事业群渠道直营拓展中心"

names = st.builds(
    lambda s, g: s + g,
    st.sampled_from(SURNAMES),
    st.text(alphabet=GIVEN, min_size=2, max_size=2),
)
unit_names = st.builds(
    lambda head, tail: head + tail,
    st.text(alphabet=PLACES, min_size=2, max_size=12),
    st.text(alphabet=UNIT_WORDS, min_size=4, max_size=40),
)
amounts = st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2, allow_nan=False)
targets = st.one_of(st.none(), st.decimals(min_value=1, max_value=Decimal("900000000"), places=0))


@st.composite
def reports(draw: st.DrawFn) -> dict:
    """A battle report as the selector builds it (its JSON), of a team or of a unit above."""
    kind = draw(st.sampled_from([UnitKind.TEAM, UnitKind.BRANCH, UnitKind.REGION]))
    size = draw(st.one_of(st.just(13), st.integers(min_value=1, max_value=30)))
    people = draw(st.lists(names, min_size=size, max_size=size, unique=True))
    reps = []
    for i, name in enumerate(people):
        target = draw(targets)
        achieved = draw(amounts)
        today = min(achieved, draw(amounts))
        reps.append(RepLine(i + 1, f"E{i:04d}", name, target, achieved, today))
    for line in reps:
        if line.reached:
            line.reached_on = draw(st.sampled_from([DAY, DAY - dt.timedelta(days=3)]))
    target = sum((r.target for r in reps if r.target), Decimal(0)) or None
    achieved = sum((r.achieved for r in reps), Decimal(0))
    remaining = None if target is None else max(Decimal(0), target - achieved)
    units = []
    if kind != UnitKind.TEAM:
        for rank, unit_name in enumerate(draw(st.lists(unit_names, min_size=1, max_size=8)), 1):
            unit_target = draw(targets)
            unit_done = draw(amounts)
            units.append(
                {
                    "code": f"U{rank}",
                    "name": unit_name,
                    "kind": "team",
                    "target": None if unit_target is None else f"{unit_target:.2f}",
                    "achieved": f"{unit_done:.2f}",
                    "today": "0.00",
                    "remaining": None
                    if unit_target is None
                    else f"{max(Decimal(0), unit_target - unit_done):.2f}",
                    "completion": None if not unit_target else float(unit_done / unit_target),
                    "required_daily": None,
                    "pace": None,
                    "rank": rank,
                }
            )
    report = BattleReport(
        unit=Unit(code="U", name=draw(unit_names), kind=kind),
        day=DAY,
        target=target,
        achieved=achieved,
        today=sum((r.today for r in reps), Decimal(0)),
        remaining=remaining,
        required_daily=None if remaining is None else remaining / 2,
        completion=float(achieved / target) if target else None,
        time_progress=0.9,
        working_days=(21, 19),
        reps=reps,
        units=units,
    )
    return report.to_json()


# A number as the short form shows it: "¥1,401,200", "62%", "11-27".
NUMBER = re.compile(r"[¥$€£]?\d[\d,.\-]*\d%?|[¥$€£]?\d%?")
BOUNDARY_AFTER = "\n。！？；，、：】"


def _cuts(text: str, segments: list[str]) -> list[int]:
    """The positions in ``text`` where one part ends and the next begins."""
    if len(segments) == 1:
        return []
    positions, at = [], 0
    for segment in segments[:-1]:
        at += len(re.sub(r"^\(\d+/\d+\)", "", segment))
        positions.append(at)
    return positions


def _names_shown(data: dict) -> set[str]:
    shown = {sms_name(data["unit"]["name"])}
    shown |= {sms_name(r["name"]) for r in data["reps"]}
    shown |= {sms_name(u["name"]) for u in data["units"]}
    return shown


def _check_sms(text: str, data: dict) -> list[str]:
    segments = sms_segments(text)
    # each part within the limit the code uses, numbered, and they join back into the message
    if len(segments) == 1:
        assert len(segments[0]) <= SMS_SINGLE
    else:
        assert all(len(s) <= SMS_PART for s in segments)
        assert [s[: s.index(")") + 1] for s in segments] == [
            f"({i}/{len(segments)})" for i in range(1, len(segments) + 1)
        ]
    assert sms_join(segments) == text
    # a number is never followed by "." (a reader would take it for a decimal point), nor by a
    # bare "," that is not a thousands separator
    assert not re.search(r"\d\.(?!\d)", text), text
    assert not re.search(r"\d,(?![\d ])", text), text
    spans = [(m.start(), m.end()) for m in NUMBER.finditer(text)]
    for name in _names_shown(data):
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(name), text)]
    for cut in _cuts(text, segments):
        # only between fields ...
        before = text[cut - 1]
        assert before in BOUNDARY_AFTER or (before == " " and text[cut - 2] in ".!?;,:"), (
            text[max(0, cut - 12) : cut] + "|" + text[cut : cut + 12]
        )
        # ... so never inside a number or a name
        for start, end in spans:
            assert not start < cut < end, (text[start:end], text[cut - 5 : cut + 5])
    return segments


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=reports(), language=st.sampled_from(["zh-hans", "en"]))
def test_sms_segments_cut_only_between_fields(data, language):
    text = render("battle", data, "sms", language=language)
    assert "\n" not in text
    _check_sms(text, data)


@pytest.mark.django_db
def test_the_cut_of_the_issue_no_longer_happens():
    # given: the team of the issue — ¥1,401,200 left, ¥73,747 a day, 13 reps
    reps = [
        RepLine(i, f"E{i:02d}", name, Decimal(300000), Decimal(180000 + i * 1000), Decimal(0))
        for i, name in enumerate(
            [
                "张伟芳",
                "李娜娜",
                "王秀英",
                "刘洋洋",
                "陈静怡",
                "杨帆帆",
                "黄磊磊",
                "赵敏敏",
                "吴军军",
                "周杰伦",
                "徐丽丽",
                "孙强强",
                "马超超",
            ],
            1,
        )
    ]
    report = BattleReport(
        unit=Unit(code="ZJ-HZ-01", name="华东大区浙江杭州西湖第一销售团队", kind=UnitKind.TEAM),
        day=DAY,
        target=Decimal(3900000),
        achieved=Decimal(2498800),
        today=Decimal(12000),
        remaining=Decimal(1401200),
        required_daily=Decimal("73747.37"),
        completion=2498800 / 3900000,
        time_progress=0.9,
        working_days=(21, 19),
        reps=reps,
    )
    data = report.to_json()
    # when
    text = render("battle", data, "sms", language="zh-hans")
    segments = _check_sms(text, data)
    # then: the figures stay whole, and the daily figure ends with a Chinese full stop
    assert "剩余 ¥1,401,200，" in text
    assert "¥73,747。" in text
    assert not any(s.endswith("¥1,") for s in segments)
    # and every rep's gap is in it, the closest first
    for line in reps:
        assert line.name in text
    assert text.index("马超超") < text.index("张伟芳")  # 13,000 less to go


def test_a_name_is_one_unbreakable_field():
    assert sms_name("Wang  Fang") == "Wang\u00a0Fang"
    assert sms_name("一部，二部：三部。") == "一部,二部:三部｡"
    long = sms_name("华东大区浙江省杭州市西湖区第一销售分公司直营拓展中心")
    assert len(long) == 20 and long.endswith("…")
    # a name with spaces and punctuation is never cut, even where it would be the only place
    text = "，".join([f"{sms_name('Li, Wei Ming')} ¥{i:,}" for i in range(10**7, 10**7 + 12)])
    for segment in sms_segments(text):
        body = re.sub(r"^\(\d+/\d+\)", "", segment)
        assert body.startswith("Li,\u00a0Wei\u00a0Ming")


def test_english_fields_are_cut_after_punctuation_and_a_space():
    text = "; ".join(f"Team {i} left ¥{i * 1_401_200:,}" for i in range(1, 9)) + "."
    segments = sms_segments(text)
    assert sms_join(segments) == text
    for segment in segments[:-1]:
        assert segment.endswith("; ")

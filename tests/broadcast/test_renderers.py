import logging
import re

import pytest

from tests.broadcast.conftest import DAY
from tiejun.broadcast.models import ReportTemplate
from tiejun.broadcast.renderers import render, sms_join, sms_segments
from tiejun.broadcast.selectors import battle_report

FORMATS = ["html", "text", "markdown", "sms", "json"]

WIN = {
    "report": "win_flash",
    "deal_no": "W-9",
    "employee_no": "R1",
    "name": "员工R1",
    "unit": {"code": "HZ1", "name": "杭州一组", "kind": "team"},
    "customer_name": "西湖茶业",
    "amount": "12000.00",
    "channel": "visit",
    "date": "2026-11-27",
    "rep": {"target": "10000.00", "achieved": "11000.00", "completion": 1.1},
}
MILESTONE = {
    "report": "milestone",
    "scope": "person",
    "code": "R1",
    "name": "员工R1",
    "unit": {"code": "HZ1", "name": "杭州一组", "kind": "team"},
    "month": "2026-11",
    "date": "2026-11-27",
    "target": "10000.00",
    "achieved": "11000.00",
    "completion": 1.1,
    "deal_no": "W-9",
}


@pytest.fixture
def battle(company):
    return battle_report(company.branch, day=DAY).to_json()


def _check(fmt: str, out: str) -> None:
    assert out.strip()
    if fmt == "html":
        assert "style=" in out and "<table" in out
        assert "<link" not in out and "<script" not in out and "src=" not in out
        assert "<style" not in out  # inline CSS only: mail clients drop style blocks
    if fmt == "sms":
        for segment in sms_segments(out):
            assert len(segment) <= 70
        assert sms_join(sms_segments(out)) == out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_battle_report_renders_in_every_format(battle, fmt, language):
    out = render("battle", battle, fmt, language=language)
    _check(fmt, out)
    if fmt != "json":
        assert "杭州分公司" in out and "员工R1" in out
    if fmt in ("html", "text", "markdown"):
        assert "¥17,500.00" in out  # remaining
        assert "客户K-2" in out  # a win


def test_html_bars_are_table_cells_with_widths(battle):
    out = render("battle", battle, "html", language="en")
    assert re.search(r'<td width="50%" style="background:#16a34a', out)  # 50 % done


@pytest.mark.parametrize(("kind", "data"), [("win_flash", WIN), ("milestone", MILESTONE)])
@pytest.mark.parametrize("fmt", FORMATS)
def test_flashes_render_in_every_format(db, kind, data, fmt):
    out = render(kind, data, fmt, language="en")
    _check(fmt, out)
    if fmt != "json":
        assert "员工R1" in out


@pytest.mark.parametrize("kind", ["kickoff", "review"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_rhythm_sheets_render_in_every_format(company, kind, fmt):
    pytest.importorskip("tiejun.rhythm.selectors")
    from tiejun.broadcast.services import report_data

    data = report_data(kind, company.team_a, DAY)
    out = render(kind, data, fmt, language="en")
    _check(fmt, out)
    if fmt != "json":
        assert "杭州一组" in out


def test_sms_fits_one_segment_when_short():
    assert sms_segments("【喜报】张三签单¥5,000！") == ["【喜报】张三签单¥5,000！"]
    seventy = "好" * 70
    assert sms_segments(seventy) == [seventy]


def test_long_sms_is_cut_at_phrases_with_counters():
    text = "，".join(f"第{i}组今日完成¥{i * 1000:,}元" for i in range(1, 12)) + "。"
    segments = sms_segments(text)
    assert len(segments) > 1
    assert all(len(s) <= 67 for s in segments)
    assert segments[0].startswith(f"(1/{len(segments)})")
    # every part but the last ends at a phrase boundary
    assert all(s.endswith(("，", "。")) for s in segments[:-1])
    assert sms_join(segments) == text


def test_sms_without_breaks_is_cut_hard():
    text = "铁" * 200
    segments = sms_segments(text)
    assert all(len(s) <= 67 for s in segments)
    assert sms_join(segments) == text


def test_an_active_db_template_overrides_the_file(battle):
    ReportTemplate.objects.create(
        kind="battle", format="text", body="战报 {{ r.unit.code }} {{ r.achieved|money }}"
    )
    assert render("battle", battle, "text", language="en") == "战报 HZ ¥17,500.00\n"
    # a language-specific one wins over the one for every language
    ReportTemplate.objects.create(
        kind="battle", format="text", language="en", body="EN {{ r.date }}"
    )
    assert render("battle", battle, "text", language="en") == "EN 2026-11-27\n"
    assert render("battle", battle, "text", language="zh-hans") == "战报 HZ ¥17,500.00\n"
    # an inactive one is ignored
    ReportTemplate.objects.update(active=False)
    assert "17,500.00" in render("battle", battle, "text", language="en")
    assert "EN 2026" not in render("battle", battle, "text", language="en")


def test_a_broken_db_template_falls_back_to_the_file_and_logs(battle, caplog):
    ReportTemplate.objects.create(kind="battle", format="markdown", body="{% if %}broken")
    with caplog.at_level(logging.ERROR, logger="tiejun.broadcast.renderers"):
        out = render("battle", battle, "markdown", language="en")
    assert out.startswith("### Battle report · 杭州分公司 · 2026-11-27")
    assert "broken" not in out
    assert "is broken" in caplog.text


def test_unknown_report_or_format_is_a_clear_error(battle):
    from tiejun.errors import TiejunError

    with pytest.raises(TiejunError, match="unknown format pdf"):
        render("battle", battle, "pdf")
    with pytest.raises(TiejunError, match="unknown report weekly"):
        render("weekly", battle, "text")


def test_admin_refuses_a_template_that_does_not_compile(db):
    from tiejun.broadcast.admin import ReportTemplateForm

    form = ReportTemplateForm(
        data={
            "kind": "battle",
            "format": "html",
            "language": "",
            "body": "{% for %}",
            "active": True,
        }
    )
    assert not form.is_valid()
    assert "does not compile" in str(form.errors["body"])


# --- user data is data, never markup ---------------------------------------------------------

EVIL = "Evil <@all> <at id=all></at> [click](http://evil.example/x) <font color=red>**X**</font>"
EVIL_WIN = {
    **WIN,
    "name": "王五\n# Fake heading\n@所有人",
    "customer_name": EVIL,
    "unit": {"code": "HZ1", "name": "杭州一组\n> quote", "kind": "team"},
}


def _no_markup_from_data(out: str) -> None:
    for forbidden in ("<@", "@all", "<at", "</at>", "@所有人", "<font", "](", "[click", "http://"):
        assert forbidden not in out, forbidden
    assert "evil.example" not in out
    assert not any(line.lstrip().startswith(("# ", "> quote")) for line in out.splitlines())


@pytest.mark.django_db
def test_robot_markdown_escapes_names_for_every_dialect():
    out = render("win_flash", EVIL_WIN, "markdown", language="en")
    _no_markup_from_data(out)
    # the names are still there for a person to read, and the template's own markup is intact
    assert "Evil" in out and "王五" in out and "click" in out
    assert "**¥12,000.00**" in out and "**王五 ＃ Fake heading**" in out
    assert out.startswith("### ")


def test_robot_markdown_escapes_a_battle_report(battle):
    battle["unit"]["name"] = "杭州\n# 假标题 <@all>"
    for win in battle["wins"]:
        win["customer_name"] = EVIL
    out = render("battle", battle, "markdown", language="en")
    _no_markup_from_data(out)


@pytest.mark.django_db
def test_sms_carries_no_user_link_and_one_line():
    out = render("win_flash", {**WIN, "customer_name": "点击 https://evil.example/pay 领奖"}, "sms")
    assert "http" not in out and "evil.example" not in out
    assert "\n" not in render("win_flash", {**WIN, "name": "张\n三"}, "sms")


def test_the_subject_is_one_line():
    from tiejun.broadcast.renderers import subject

    line = subject("win_flash", {**WIN, "name": "Evil\r\nBcc: x@example.com"}, language="en")
    assert "\n" not in line and "\r" not in line
    assert line.startswith("Win flash: Evil Bcc:")


@pytest.mark.django_db
def test_each_robot_gets_escaped_markdown_and_sms_no_link(org, settings):
    from tiejun.broadcast.services import deliver_to, subscription_create
    from tiejun.notify.models import Message

    settings.OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    for channel, address in [
        ("wecom", "http://127.0.0.1:9/cgi-bin/webhook/send?key=K"),
        ("dingtalk", "http://127.0.0.1:9/robot/send?access_token=T"),
        ("feishu", "http://127.0.0.1:9/open-apis/bot/v2/hook/H#format=card"),
        ("sms", "13800138000"),
    ]:
        sub, _ = subscription_create(
            unit=org.team_a, report="win_flash", channel=channel, address=address
        )
        deliver_to(sub, "win_flash", EVIL_WIN, f"win:HZ1:2026-11-27:W-9:{channel}")
    for row in Message.objects.exclude(channel="sms"):
        _no_markup_from_data(row.markdown)
        assert "\n" not in row.subject
    for row in Message.objects.filter(channel="sms"):
        assert "http" not in row.text and "evil.example" not in row.text


# --- every rep's gap, each unit's standing (issue 14, point 2) ----------------------------------

NAMES_13 = [
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
]


@pytest.fixture
def team_of_13(org):
    from tests.broadcast.conftest import set_target
    from tests.factories import deal, person

    org.team_c.name = "华东大区浙江省杭州市西湖区第一销售分公司直营拓展团队"
    org.team_c.save()
    for i, name in enumerate(NAMES_13):
        rep = person(f"T{i:02d}", org.team_c)
        rep.name = name
        rep.save()
        org.reps[rep.employee_no] = rep
        set_target(org, rep.employee_no, 1_000_000)
        deal(rep, 70_000 * (i + 1), DAY)  # 马超超 (i = 12) reaches 910,000: the least left
    return battle_report(org.team_c, day=DAY).to_json()


@pytest.mark.parametrize("fmt", ["html", "text", "markdown", "sms", "json"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_rep_of_a_13_rep_team_is_in_every_format(team_of_13, fmt, language):
    out = render("battle", team_of_13, fmt, language=language)
    _check(fmt, out)
    for name in NAMES_13:
        assert name in out, name
    if fmt in ("html", "text", "markdown"):
        assert "¥90,000" in out  # 马超超's gap
        assert "¥930,000" in out  # 张伟芳's gap, in the compact rest


def test_the_html_highlights_the_five_closest(team_of_13):
    out = render("battle", team_of_13, "html", language="en")
    closest = re.findall(r'data-rep="(T\d+)" data-closest="1"', out)
    assert closest == ["T12", "T11", "T10", "T09", "T08"]
    assert len(re.findall(r'data-rep="T\d+"', out)) == 13


def test_the_text_stars_the_five_closest(team_of_13):
    out = render("battle", team_of_13, "text", language="en")
    starred = [line for line in out.splitlines() if line.startswith("★ ")]
    assert [line.split()[1] for line in starred] == [
        "马超超",
        "孙强强",
        "徐丽丽",
        "周杰伦",
        "吴军军",
    ]
    assert "  张伟芳 7.0%, ¥930,000.00 to go" in out


def test_a_branch_report_shows_each_team_standing(battle):
    for fmt in ("html", "text", "markdown", "sms"):
        out = render("battle", battle, fmt, language="en")
        assert out.index("杭州二组") < out.index("杭州一组"), fmt  # ranked by completion
    text = render("battle", battle, "text", language="en")
    assert "1. 杭州二组 ¥3,500.00 / ¥5,000.00 (70.0%), ¥1,500.00 to go · Behind" in text


def test_a_big_unit_sms_names_the_closest_and_counts_the_rest(team_of_13):
    from tiejun.broadcast.renderers import SMS_REPS_MAX, sms_rep_groups

    # 26 reps (a second team's 13 further from the target): more than an SMS lists one by one
    more = [{**r, "name": r["name"] + "乙", "closest": False} for r in team_of_13["reps"]]
    reps = team_of_13["reps"] + more
    assert len(reps) > SMS_REPS_MAX
    groups = sms_rep_groups(reps)
    assert [q["employee_no"] for q in groups["closest"]] == ["T12", "T11", "T10", "T09", "T08"]
    assert groups["others"] == [] and groups["others_more"] == 21
    out = render("battle", {**team_of_13, "reps": reps, "reps_count": 26}, "sms", language="en")
    assert "21 more below the target" in out
    assert "马超超" in out and "张伟芳" not in out


def test_a_robot_message_lists_forty_reps_then_counts(team_of_13):
    reps = [{**r, "name": f"{r['name']}{i}"} for i in range(4) for r in team_of_13["reps"]]
    out = render(
        "battle", {**team_of_13, "reps": reps, "reps_count": len(reps)}, "markdown", language="en"
    )
    assert "and 12 more" in out
    assert len(out.encode()) < 4096


def test_a_company_report_shows_every_branch(company):
    data = battle_report(company.company, day=DAY).to_json()
    html = render("battle", data, "html", language="en")
    section = html[html.index('data-section="branches"') :]
    assert re.findall(r'data-unit="(\w+)"', section) == ["NB", "HZ"]
    assert 'data-section="units"' in html  # the region too
    text = render("battle", data, "text", language="en")
    assert "1. 宁波分公司 ¥9,000.00 / ¥8,000.00 (112.5%), ¥0.00 to go · Ahead" in text
    sms = render("battle", data, "sms", language="en")
    assert "宁波分公司 112% (left ¥0), 杭州分公司 50% (left ¥17,500);" in sms
    assert "浙江大区 " not in sms  # the SMS names the branches, not the region


@pytest.mark.parametrize("kind", ["battle", "kickoff", "review"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_figure_in_a_short_form_is_followed_by_a_bare_point_or_comma(company, kind, language):
    pytest.importorskip("tiejun.rhythm.selectors")
    from tiejun.broadcast.services import report_data

    out = render(kind, report_data(kind, company.branch, DAY), "sms", language=language)
    assert not re.search(r"\d\.(?!\d)", out), out  # "¥73,747." reads as a decimal point
    assert not re.search(r"\d,(?![\d ])", out), out  # "¥1,401,200,剩余" reads as one figure
    if language == "zh-hans":
        assert "," not in re.sub(r"\d,\d", "", out)  # Chinese punctuation between fields

from tiejun.broadcast.models import Subscription
from tiejun.imports.services import run_import

HEADER = "unit_code,report,channel,address\n"


def test_import_subscriptions(org):
    data = (
        HEADER
        + "HZ,battle,email,hz@example.com\n"
        + "HZ1,win_flash,sms,13800138000\n"
        + "HQ,milestone,dingtalk,https://oapi.dingtalk.com/robot/send?access_token=abc\n"
    ).encode()
    result = run_import("subscriptions", data, "subs.csv")
    assert result.ok, result.errors
    assert result.created == 3
    assert sorted(Subscription.objects.values_list("unit__code", "report", "channel")) == [
        ("HQ", "milestone", "dingtalk"),
        ("HZ", "battle", "email"),
        ("HZ1", "win_flash", "sms"),
    ]
    # the same file again changes nothing
    again = run_import("subscriptions", data, "subs.csv")
    assert again.ok and again.created == 0 and Subscription.objects.count() == 3


def test_bad_rows_write_nothing(org):
    data = (
        HEADER
        + "HZ,battle,email,hz@example.com\n"
        + "NOPE,battle,email,x@example.com\n"
        + "HZ,weekly,email,x@example.com\n"
        + "HZ,battle,fax,x@example.com\n"
        + "HZ,battle,email,not-an-address\n"
        + "HZ,battle,sms,12\n"
    ).encode()
    result = run_import("subscriptions", data, "subs.csv")
    problems = [str(e) for e in result.errors]
    assert problems[0] == "row 3: unit_code: unknown unit NOPE"
    assert problems[1].startswith("row 4: report: unknown report weekly")
    assert problems[2].startswith("row 5: channel:")
    assert problems[3].startswith("row 6: address:")
    assert problems[4].startswith("row 7: address:")
    assert len(problems) == 5
    assert Subscription.objects.count() == 0


def test_the_import_page_offers_the_template(org, client):
    client.force_login(org.admin)
    response = client.get("/import/")
    assert b"unit_code,report,channel,address" in response.content

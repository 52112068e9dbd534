import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tiejun.crm.models import Deal
from tiejun.org.models import Unit
from tiejun.targets.models import Target, TargetChange
from tiejun.targets.services import target_set
from tiejun.workdays import add_months

pytest.importorskip("tiejun.imports.services")

TODAY = timezone.localdate()
PREV = add_months(TODAY, -1)  # locked


def upload(text, name="data.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def post(client, kind, text, *, dry_run=False, reason="", name="data.csv", encoding="utf-8"):
    data = {"kind": kind, "file": upload(text, name, encoding), "reason": reason}
    if dry_run:
        data["dry_run"] = "on"
    return client.post("/import/", data)


@pytest.mark.parametrize("who", ["R1", "S1"])
def test_only_admin_and_managers_see_the_page(org, client, who):
    client.force_login(org.reps.get(who) or org.supervisor_a)
    assert client.get("/import/").status_code == 404
    assert client.get("/import/template/deals.csv").status_code == 404
    assert post(client, "units", "code,name,kind,parent_code\nX,X,team,HZ\n").status_code == 404
    assert not Unit.objects.filter(code="X").exists()


def test_login_is_required(org, client):
    assert client.get("/import/").status_code == 302


def test_page_shows_every_header_row_and_offers_templates(org, client):
    client.force_login(org.manager)
    html = client.get("/import/").content.decode()
    for header in [
        "code,name,kind,parent_code",
        "employee_no,name,unit_code,role,start_date,email,phone",
        "employee_no,unit_code,role,effective_date",
        "month,scope,code,metric,value",
        "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel",
    ]:
        assert header in html
    response = client.get("/import/template/targets.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").strip() == "month,scope,code,metric,value"
    assert client.get("/import/template/nothing.csv").status_code == 404


def test_dry_run_writes_nothing_and_a_real_run_does(org, client):
    client.force_login(org.admin)
    text = "code,name,kind,parent_code\nHZ3,杭州三组,team,HZ\nHZ4,杭州四组,team,HZ\n"
    response = post(client, "units", text, dry_run=True)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok and result.created == 2
    assert "nothing was written" in response.content.decode().lower()
    assert not Unit.objects.filter(code__in=["HZ3", "HZ4"]).exists()
    response = post(client, "units", text)
    assert response.context["result"].created == 2
    assert set(Unit.objects.filter(parent=org.branch).values_list("code", flat=True)) == {
        "HZ1",
        "HZ2",
        "HZ3",
        "HZ4",
    }


def test_bad_rows_are_listed_and_nothing_is_written(org, client):
    client.force_login(org.admin)
    day = (TODAY - dt.timedelta(days=2)).isoformat()
    future = (TODAY + dt.timedelta(days=2)).isoformat()
    text = (
        "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel\n"
        f"I1,R1,C1,甲,100,{day},visit\n"
        f"I2,R1,C2,乙,-5,{day},\n"
        f"I3,NOBODY,C3,丙,10,{day},\n"
        f"I4,R2,C4,丁,10,{future},\n"
    )
    response = post(client, "deals", text, encoding="gb18030")
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.ok
    assert {(e.row, e.column) for e in result.errors} >= {
        (3, "amount"),
        (4, "employee_no"),
        (5, "won_date"),
    }
    html = response.content.decode()
    assert "row 3: amount:" in html
    assert "row 4: employee_no:" in html
    assert not Deal.objects.exists()


def test_deals_import_records_deals(org, client):
    client.force_login(org.manager)
    day = (TODAY - dt.timedelta(days=2)).isoformat()
    text = (
        "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel\n"
        f"I1,R1,C1,甲,100.50,{day},visit\n"
    )
    response = post(client, "deals", text)
    assert response.context["result"].ok, response.context["result"].errors
    assert Deal.objects.get().amount == Decimal("100.50")
    assert "Created: 1, updated: 0." in response.content.decode()


def test_changing_a_locked_target_needs_the_reason_field(org, client):
    target_set(
        month=PREV,
        metric="revenue",
        unit=org.team_a,
        value=Decimal(100),
        today=add_months(TODAY, -3),
    )
    client.force_login(org.admin)
    text = f"month,scope,code,metric,value\n{PREV:%Y-%m},unit,HZ1,revenue,200\n"
    response = post(client, "targets", text)
    assert not response.context["result"].ok
    assert Target.objects.get().value == Decimal(100)
    response = post(client, "targets", text, reason="re-plan after the merger")
    assert response.context["result"].ok
    assert response.context["result"].updated == 1
    assert Target.objects.get().value == Decimal(200)
    assert TargetChange.objects.order_by("-id").first().reason == "re-plan after the merger"


def test_an_xlsx_upload_works_and_other_files_are_refused(org, client):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "name", "kind", "parent_code"])
    sheet.append(["NB2", "宁波二组", "team", "NB"])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(org.admin)
    xlsx = SimpleUploadedFile("units.xlsx", buffer.getvalue())
    response = client.post("/import/", {"kind": "units", "file": xlsx})
    assert response.context["result"].ok
    assert Unit.objects.filter(code="NB2", parent=org.other_branch).exists()
    response = client.post("/import/", {"kind": "units", "file": upload("x", name="units.pdf")})
    assert response.context["result"] is None
    assert response.context["form"].errors["file"]

import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook

from tiejun.crm.models import Customer, Deal, DealChange
from tiejun.org.models import Membership, Person, Unit, UnitClosure
from tiejun.scoreboard.models import Fact
from tiejun.targets.models import Target, TargetChange

TODAY = dt.date(2026, 11, 28)

UNITS = [
    ["code", "name", "kind", "parent_code"],
    ["T1", "杭州一组", "team", "B1"],  # children before parents: the import sorts them
    ["B1", "杭州分公司", "branch", "R1"],
    ["R1", "浙江大区", "region", "CO"],
    ["CO", "铁军科技", "company", ""],
    ["T2", "杭州二组", "team", "B1"],
]
PEOPLE = [
    ["employee_no", "name", "unit_code", "role", "start_date", "email", "phone"],
    ["E1", "张三", "T1", "rep", "2026-01-05", "e1@example.com", "13800000001"],
    ["E2", "李四", "T1", "rep", "2026-01-05", "", ""],
    ["E3", "王五", "T2", "rep", "2026/1/5", "", ""],
    ["M1", "赵六", "B1", "manager", "2026-01-01", "", ""],
]
MOVES = [
    ["employee_no", "unit_code", "role", "effective_date"],
    ["E2", "T2", "", "2026-06-08"],  # transfer in the middle of June
    ["E3", "", "supervisor", "2026-06-01"],  # promotion in place
]
TARGETS = [
    ["month", "scope", "code", "metric", "value"],
    ["2026-06", "unit", "B1", "revenue", "50000"],
    ["2026-06", "unit", "T1", "revenue", "20000"],
    ["2026-06", "person", "E1", "revenue", "10000"],
    ["2026-06", "person", "E2", "revenue", "8000.50"],
]
DEALS = [
    ["deal_no", "employee_no", "customer_code", "customer_name", "amount", "won_date", "channel"],
    ["D1", "E1", "C1", "客户一", "6000", "2026-06-03", ""],
    ["D2", "E2", "C2", "客户二", "1000.50", "2026-06-05", "salon"],
    ["D3", "E2", "C3", "客户三", "2000", "2026-06-09", "online"],
    ["D4", "E3", "C4", "", "500", "2026-06-10", "visit"],
]


def csv_bytes(rows, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


MODELS = (
    Unit,
    UnitClosure,
    Person,
    Membership,
    Target,
    TargetChange,
    Customer,
    Deal,
    DealChange,
    Fact,
)


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture
def company(db):
    """The units and people of the CSVs above, imported."""
    from tiejun.imports.services import run_import

    for kind, rows in [("units", UNITS), ("people", PEOPLE)]:
        result = run_import(kind, csv_bytes(rows), today=TODAY)
        assert result.ok, result.errors

"""Import kind ``customers`` (crm/imports.py): good rows create and update, bad rows
write nothing."""

from tiejun.crm.models import Customer, OwnershipChange
from tiejun.imports.services import run_import

HEADER = "customer_code,name,industry,address,lat,lon,owner_employee_no,phone,priority"


def csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def reasons(code):
    return list(
        OwnershipChange.objects.filter(customer__code=code)
        .order_by("id")
        .values_list("reason", "from_person__employee_no", "to_person__employee_no")
    )


def test_import_creates_updates_and_audits_owners(org):
    result = run_import(
        "customers",
        csv(
            "K1,西湖茶业,茶叶,杭州西湖区,30.259,120.130,R1,0571-1,A",
            "K2,钱塘物流,物流,,,,,,",
        ),
        "c.csv",
        by=org.admin,
    )
    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 0)
    k1, k2 = Customer.objects.get(code="K1"), Customer.objects.get(code="K2")
    assert k1.owner == org.reps["R1"] and k1.priority == "A" and str(k1.lat) == "30.259000"
    assert k2.owner is None and k2.lat is None and k2.priority == "B"
    assert reasons("K1") == [("import", None, "R1")]
    assert reasons("K2") == []
    # Again: K1 moves to R2 and is audited; K2 unchanged.
    result = run_import(
        "customers",
        csv(
            "K1,西湖茶业,茶叶,杭州西湖区,30.259,120.130,R2,0571-1,A",
            "K2,钱塘物流,物流,,,,,,",
        ),
        "c.csv",
        by=org.admin,
    )
    assert (result.created, result.updated) == (0, 1), result.errors
    assert reasons("K1")[-1] == ("import", "R1", "R2")
    # An empty owner sends an owned customer back to the pool.
    result = run_import("customers", csv("K1,西湖茶业,茶叶,杭州西湖区,,,,,C"), "c.csv")
    assert result.updated == 1
    k1.refresh_from_db()
    assert k1.owner is None and k1.lat is None and k1.priority == "C"
    assert reasons("K1")[-1] == ("import", "R2", None)


def test_bad_rows_are_all_reported_and_nothing_is_written(org):
    result = run_import(
        "customers",
        csv(
            "G1,好客户,,,30,120,R1,,A",
            "B1,纬度错,,,91,120,,,A",
            "B2,经度错,,,30,-181,,,B",
            "B3,优先级,,,,,,,D",
            "B4,没人,,,,,R99,,A",
            ",没有编号,,,,,,,A",
            "B5,半个坐标,,,30,,,,A",
            "B6,非数字,,,abc,120,,,A",
        ),
        "c.csv",
    )
    assert not result.ok
    problems = {(e.row, e.column) for e in result.errors}
    assert {
        (3, "lat"),
        (4, "lon"),
        (5, "priority"),
        (6, "owner_employee_no"),
        (7, "customer_code"),
        (8, "lon"),
        (9, "lat"),
    } <= problems
    assert not any(e.row == 2 for e in result.errors)
    assert (result.created, result.updated) == (0, 0)
    assert not Customer.objects.exists()
    assert not OwnershipChange.objects.exists()


def test_wrong_header_is_refused(org):
    result = run_import("customers", b"code,name\nX,Y\n", "c.csv")
    assert not result.ok and not Customer.objects.exists()


def _queries(data: bytes, **kw) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = run_import("customers", data, "c.csv", **kw)
    assert result.ok, result.errors
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_rows(org):
    from django.db import connection

    def rows(n, start, owner):
        return [f"Q{i},客户{i},,,,,{owner if i % 2 else ''},,B" for i in range(start, start + n)]

    # created (half with an owner: their history rows), then updated (owners change)
    assert _queries(csv(*rows(3, 0, "R1")), by=org.admin) == _queries(
        csv(*rows(50, 100, "R1")), by=org.admin
    )
    changed = _queries(csv(*rows(3, 0, "R2")), by=org.admin)
    assert changed == _queries(csv(*rows(50, 100, "R2")), by=org.admin)
    # phase one: customers, people (by number, by id), memberships; phase two: the check
    # again, the owners' numbers, the updates, the history rows, the audit, savepoints
    assert changed == {"sqlite": 13, "postgresql": 13}[connection.vendor]
    assert reasons("Q101")[-1] == ("import", "R1", "R2")


def test_a_managers_file_reads_other_branches_people_as_unknown(org):
    result = run_import("customers", csv("K9,客户,,,,,R5,,A"), "c.csv", by=org.manager)
    assert [(e.row, e.column) for e in result.errors] == [(2, "owner_employee_no")]
    assert not Customer.objects.exists()

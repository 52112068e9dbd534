import json

from django.core.management import call_command
from django.test import Client

from tests.factories import client_for
from tiejun.audit.services import audit_record
from tiejun.org.services import token_create


def _trail(org):
    audit_record(
        action="claim",
        object_type="customer",
        object_id="P-1",
        before={"owner": None},
        after={"owner": "R1"},
        actor=org.reps["R1"],
        source="web",
    )


def test_the_api_serves_administrators_only(org, django_assert_num_queries):
    _trail(org)
    admin = client_for(org.admin)
    admin.get("/api/v1/audit")  # warm
    with django_assert_num_queries(5):
        response = admin.get("/api/v1/audit", {"type": "customer", "person": "R1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["employee_no"], item["action"], item["object_id"]) == ("R1", "claim", "P-1")
    assert (item["before"], item["after"]) == ({"owner": None}, {"owner": "R1"})

    key = token_create(person=org.reps["R1"])
    refused = Client().get("/api/v1/audit", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert refused.status_code == 404
    assert Client().get("/api/v1/audit").status_code == 401
    assert admin.get("/api/v1/audit", {"since": "nonsense"}).status_code == 422


def test_the_command_prints_lines_or_json(org, capsys):
    _trail(org)
    call_command("audit", "--type", "customer", "--object", "P-1")
    line = capsys.readouterr().out.strip()
    assert "\tR1\tweb\tclaim\tcustomer:P-1\towner: None → R1" in line
    call_command("audit", "--type", "customer", "--json")
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows[0]["after"] == {"owner": "R1"} and rows[0]["who"] == "R1"

"""The import pages: upload → a job → its page (progress, then the result) → import after a check."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.factories import person
from tiejun.crm.models import Customer, Deal
from tiejun.imports.models import ImportJob, ImportUpload, JobState
from tiejun.imports.registry import kinds_for
from tiejun.org.models import Role, Unit
from tiejun.targets.models import Target, TargetChange
from tiejun.targets.services import target_set
from tiejun.workdays import add_months

TODAY = timezone.localdate()
PREV = add_months(TODAY, -1)  # locked
UNITS = "code,name,kind,parent_code\nHZ3,杭州三组,team,HZ\nHZ4,杭州四组,team,HZ\n"


def upload(text, name="data.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


@pytest.fixture
def run_jobs(huey_now, django_capture_on_commit_callbacks):
    """Run every job queued inside the block at once (the worker's side, in immediate mode)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def send(client, run_jobs):
    """POST a file with the Check (default) or Import button; the job runs before the answer."""

    def post(kind, text, *, action="check", reason="", name="data.csv", encoding="utf-8"):
        data = {"kind": kind, "file": upload(text, name, encoding), "reason": reason}
        if action:
            data["action"] = action
        with run_jobs():
            return client.post("/import/", data)

    return post


def job_of(response):
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["R1", "S1"])
def test_only_admin_and_managers_see_the_page(org, client, who):
    client.force_login(org.reps.get(who) or org.supervisor_a)
    assert client.get("/import/").status_code == 404
    assert client.get("/import/template/deals.csv").status_code == 404
    response = client.post("/import/", {"kind": "units", "file": upload(UNITS)})
    assert response.status_code == 404
    assert not ImportJob.objects.exists()
    assert not Unit.objects.filter(code="HZ3").exists()


def test_login_is_required(org, client):
    assert client.get("/import/").status_code == 302
    assert client.get("/import/jobs/1/").status_code == 302
    assert client.get("/import/jobs/1.json").status_code == 302


def test_a_job_belongs_to_the_person_who_started_it(org, client, send):
    client.force_login(org.manager)
    job = job_of(send("units", UNITS))
    other = person("M2", org.other_branch, Role.MANAGER)
    stranger = Client()
    stranger.force_login(other)
    for url in [
        f"/import/jobs/{job.pk}/",
        f"/import/jobs/{job.pk}.json",
        f"/import/jobs/{job.pk}/errors.csv",
        "/import/jobs/999999/",
    ]:
        assert stranger.get(url).status_code == 404, url
    for url in [f"/import/jobs/{job.pk}/import/", f"/import/jobs/{job.pk}/cancel/"]:
        assert stranger.post(url).status_code == 404, url
    assert not ImportJob.objects.exclude(pk=job.pk).exists()
    # an administrator may see every job
    admin = Client()
    admin.force_login(org.admin)
    assert admin.get(f"/import/jobs/{job.pk}/").status_code == 200
    assert admin.get(f"/import/jobs/{job.pk}.json").status_code == 200


def test_every_post_needs_the_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.admin)
    response = client.post("/import/", {"kind": "units", "file": upload(UNITS)})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_cancel_and_import_now_need_post(org, client, send):
    client.force_login(org.admin)
    job = job_of(send("units", UNITS))
    assert client.get(f"/import/jobs/{job.pk}/cancel/").status_code == 405
    assert client.get(f"/import/jobs/{job.pk}/import/").status_code == 405


# --- the upload page ------------------------------------------------------------------------


def test_page_offers_every_kind_the_user_may_import(org, client):
    client.force_login(org.manager)
    response = client.get("/import/")
    html = response.content.decode()
    names = [k.name for k in kinds_for(org.manager)]
    assert {"units", "people", "targets", "deals", "customers", "visits"} <= set(names)
    assert [c for c, _ in response.context["form"].fields["kind"].choices] == names
    for header in [
        "code,name,kind,parent_code",
        "month,scope,code,metric,value",
        "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel",
        "customer_code,name",
    ]:
        assert header in html
    for name in names:
        assert f'href="/import/template/{name}.csv?lang=en"' in html
    # two explicit buttons, no pre-ticked box
    assert 'name="action" value="check"' in html
    assert 'name="action" value="import"' in html
    form = html[html.index('id="import-form"') : html.index("</form>")]
    assert 'type="checkbox"' not in form and "checked" not in form


def test_templates_download_in_either_language(org, client):
    client.force_login(org.manager)
    response = client.get("/import/template/targets.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").strip() == "month,scope,code,metric,value"
    assert client.get("/import/template/targets.csv?lang=en").content == response.content
    chinese = client.get("/import/template/customers.csv?lang=zh-hans")
    assert chinese.status_code == 200
    assert chinese.content.startswith("\ufeff".encode())
    assert "tiejun-customers-zh-hans.csv" in chinese["Content-Disposition"]
    assert client.get("/import/template/targets.csv?lang=fr").status_code == 404
    assert client.get("/import/template/nothing.csv").status_code == 404


def test_the_page_lists_the_users_recent_jobs(org, client, send):
    client.force_login(org.admin)
    job = job_of(send("units", UNITS, name="新组.csv"))
    html = client.get("/import/").content.decode()
    assert f'href="/import/jobs/{job.pk}/"' in html
    assert "新组.csv" in html


# --- check, then import ---------------------------------------------------------------------


def test_check_writes_nothing_then_import_this_file_now_does(org, client, send, run_jobs):
    client.force_login(org.admin)
    # when: the file is checked
    check = job_of(send("units", UNITS))
    # then: the check passed, nothing was written, the file is kept for the import
    assert check.dry_run and check.state == JobState.CHECKED
    assert check.result["created"] == 2 and check.rows_read == 2
    assert not Unit.objects.filter(code__in=["HZ3", "HZ4"]).exists()
    html = client.get(f"/import/jobs/{check.pk}/").content.decode()
    assert "nothing was written" in html.lower()
    assert f'action="/import/jobs/{check.pk}/import/"' in html
    assert "Import this file now" in html
    assert check.upload_id is not None

    # when: "Import this file now"
    with run_jobs():
        response = client.post(f"/import/jobs/{check.pk}/import/")
    imported = job_of(response)

    # then: a new job on the same bytes wrote the rows, and the bytes are gone
    assert imported.pk != check.pk and not imported.dry_run
    assert imported.state == JobState.DONE
    assert imported.result == {
        "kind": "units", "created": 2, "updated": 0, "unchanged": 0, "ok": True, "rows": 2,
    }  # fmt: skip
    assert set(Unit.objects.filter(parent=org.branch).values_list("code", flat=True)) == {
        "HZ1", "HZ2", "HZ3", "HZ4",
    }  # fmt: skip
    assert not ImportUpload.objects.exists()
    html = client.get(f"/import/jobs/{imported.pk}/").content.decode()
    assert "Created: 2, updated: 0, unchanged: 0." in html
    # the check now points to its import; asking again does not import twice
    check.refresh_from_db()
    assert check.follow_up_id == imported.pk
    html = client.get(f"/import/jobs/{check.pk}/").content.decode()
    assert f'href="/import/jobs/{imported.pk}/"' in html
    assert "Import this file now" not in html
    again = client.post(f"/import/jobs/{check.pk}/import/")
    assert again["Location"] == f"/import/jobs/{imported.pk}/"
    assert ImportJob.objects.count() == 2


def test_the_import_button_writes_at_once(org, client, send):
    client.force_login(org.manager)
    day = (TODAY - dt.timedelta(days=2)).isoformat()
    text = (
        "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel\n"
        f"I1,R1,C1,甲,100.50,{day},visit\n"
    )
    job = job_of(send("deals", text, action="import"))
    assert job.state == JobState.DONE and not job.dry_run
    assert Deal.objects.get().amount == Decimal("100.50")
    assert "Created: 1, updated: 0, unchanged: 0." in client.get(job_url(job)).content.decode()


def test_no_button_means_check(org, client, send):
    client.force_login(org.admin)
    job = job_of(send("units", UNITS, action=None))
    assert job.dry_run and job.state == JobState.CHECKED
    assert not Unit.objects.filter(code="HZ3").exists()


def job_url(job):
    return f"/import/jobs/{job.pk}/"


def test_bad_rows_are_listed_and_nothing_is_written(org, client, send):
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
    job = job_of(send("deals", text, action="import", encoding="gb18030"))
    assert job.state == JobState.FAILED
    assert {(e[0], e[1]) for e in job.errors} >= {
        (3, "amount"),
        (4, "employee_no"),
        (5, "won_date"),
    }
    html = client.get(job_url(job)).content.decode()
    assert "row 3: amount:" in html
    assert "row 4: employee_no:" in html
    assert "Import this file now" not in html
    assert "errors.csv" not in html  # every problem is on the page
    assert not Deal.objects.exists()
    assert not ImportUpload.objects.exists()


def test_more_than_a_hundred_problems_come_as_a_file(org, client, send):
    client.force_login(org.admin)
    rows = "".join(f"K{i},客户{i},,,,,NOBODY,,\n" for i in range(150))
    text = "customer_code,name,industry,address,lat,lon,owner_employee_no,phone,priority\n" + rows
    job = job_of(send("customers", text))
    assert job.state == JobState.FAILED and job.error_count == 150
    html = client.get(job_url(job)).content.decode()
    assert html.count("owner_employee_no") >= 100
    assert "The first 100 of 150 problems are shown." in html
    assert f'href="/import/jobs/{job.pk}/errors.csv"' in html
    response = client.get(f"/import/jobs/{job.pk}/errors.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["row", "column", "problem"]
    assert len(lines) == 151
    assert [line[0] for line in lines[1:3]] == ["2", "3"]
    assert {line[1] for line in lines[1:]} == {"owner_employee_no"}
    assert not Customer.objects.exists()


def test_changing_a_locked_target_needs_the_reason_field(org, client, send, run_jobs):
    target_set(
        month=PREV,
        metric="revenue",
        unit=org.team_a,
        value=Decimal(100),
        today=add_months(TODAY, -3),
    )
    client.force_login(org.admin)
    text = f"month,scope,code,metric,value\n{PREV:%Y-%m},unit,HZ1,revenue,200\n"
    assert job_of(send("targets", text)).state == JobState.FAILED
    check = job_of(send("targets", text, reason="re-plan after the merger"))
    assert check.state == JobState.CHECKED
    with run_jobs():
        response = client.post(f"/import/jobs/{check.pk}/import/")
    imported = job_of(response)
    assert imported.state == JobState.DONE and imported.result["updated"] == 1
    assert Target.objects.get().value == Decimal(200)
    assert TargetChange.objects.order_by("-id").first().reason == "re-plan after the merger"


def test_an_xlsx_upload_works_and_other_files_are_refused(org, client, send, run_jobs):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "name", "kind", "parent_code"])
    sheet.append(["NB2", "宁波二组", "team", "NB"])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(org.admin)
    with run_jobs():
        response = client.post(
            "/import/",
            {
                "kind": "units",
                "file": SimpleUploadedFile("u.xlsx", buffer.getvalue()),
                "action": "import",
            },
        )
    assert job_of(response).state == JobState.DONE
    assert Unit.objects.filter(code="NB2", parent=org.other_branch).exists()
    before = ImportJob.objects.count()
    response = client.post("/import/", {"kind": "units", "file": upload("x", name="units.pdf")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    response = client.post("/import/", {"kind": "widgets", "file": upload(UNITS)})
    assert response.context["form"].errors["kind"]
    assert ImportJob.objects.count() == before


def test_a_file_the_engine_cannot_read_fails_with_a_message(org, client, send):
    client.force_login(org.admin)
    job = job_of(
        send("units", "code,name,kind,parent_code\nX,Société,company,\n", encoding="latin-1")
    )
    assert job.state == JobState.FAILED
    html = client.get(job_url(job)).content.decode()
    assert "the file is not text in UTF-8 or GB18030" in html
    assert "Traceback" not in html


# --- progress, cancel ---------------------------------------------------------------------


def test_a_queued_job_shows_progress_and_can_be_cancelled(
    org, client, django_capture_on_commit_callbacks
):
    client.force_login(org.admin)
    # given: a job no worker has picked up yet
    with django_capture_on_commit_callbacks(execute=False):
        job = job_of(client.post("/import/", {"kind": "units", "file": upload(UNITS)}))
    assert job.state == JobState.QUEUED
    html = client.get(job_url(job)).content.decode()
    assert f'data-job-poll="/import/jobs/{job.pk}.json"' in html
    assert '<progress id="job-progress" max="100" value="0">' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert "/static/web/imports.js" in html
    assert f'action="/import/jobs/{job.pk}/cancel/"' in html
    data = client.get(f"/import/jobs/{job.pk}.json").json()
    assert data == {
        "id": job.pk, "state": "queued", "state_label": "Waiting for a worker", "finished": False,
        "cancellable": True, "percent": 0, "rows_read": 0, "rows_checked": 0, "rows_written": 0,
    }  # fmt: skip
    # when: cancelled
    response = client.post(f"/import/jobs/{job.pk}/cancel/")
    assert response["Location"] == job_url(job)
    # then: finished, the file gone, a late worker does nothing
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.upload_id is None
    from tiejun.imports.services import job_run

    job_run(job.pk)
    assert not Unit.objects.filter(code="HZ3").exists()
    html = client.get(job_url(job)).content.decode()
    assert "Cancelled: nothing was written." in html
    assert "data-job-poll" not in html and "imports.js" not in html and "refresh" not in html
    assert client.get(f"/import/jobs/{job.pk}.json").json()["finished"] is True


def test_a_finished_job_cannot_be_cancelled(org, client, send):
    client.force_login(org.admin)
    job = job_of(send("units", UNITS, action="import"))
    response = client.post(f"/import/jobs/{job.pk}/cancel/", follow=True)
    assert "can no longer be cancelled" in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_chinese_page_shows_the_check_step_and_row_errors_in_chinese(org, client, send, run_jobs):
    client.force_login(org.admin)
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/import/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">检查</button>" in html and ">导入</button>" in html
    text = "code,name,kind,parent_code\nHZ9,,team,HZ\n"
    with run_jobs():
        response = client.post(
            "/import/",
            {"kind": "units", "file": upload(text), "action": "check"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    job = job_of(response)
    assert job.language == "zh-hans"
    html = client.get(job_url(job), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "第 2 行：name：" in html


# --- query counts ---------------------------------------------------------------------------


def make_jobs(org, n, errors=0):
    return [
        ImportJob.objects.create(
            kind="units",
            filename=f"f{i}.csv",
            by=org.admin,
            dry_run=bool(i % 2),
            state=JobState.FAILED if errors else JobState.CHECKED,
            rows_read=3,
            errors=[[r + 2, "name", "the name is required"] for r in range(errors)],
            error_count=errors,
            result={"kind": "units", "created": 1, "updated": 0, "unchanged": 0},
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("jobs", [1, 10])
def test_upload_page_query_count_does_not_grow_with_jobs(
    org, client, django_assert_num_queries, jobs
):
    make_jobs(org, jobs)
    client.force_login(org.admin)
    client.get("/import/")  # warm
    # session, user, is_admin once per kind (the kinds' may_import), the jobs
    kinds = len(kinds_for(org.admin))
    with django_assert_num_queries(2 + kinds + 1):
        assert client.get("/import/").status_code == 200


@pytest.mark.parametrize("errors", [1, 100])
def test_job_page_and_json_query_counts(org, client, django_assert_num_queries, errors):
    job = make_jobs(org, 1, errors=errors)[0]
    client.force_login(org.admin)
    client.get(job_url(job))
    # session, user, the job (with its starter and follow-up)
    with django_assert_num_queries(3):
        assert client.get(job_url(job)).status_code == 200
    with django_assert_num_queries(3):
        assert json.loads(client.get(f"/import/jobs/{job.pk}.json").content)["finished"]

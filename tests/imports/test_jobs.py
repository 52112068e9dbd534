"""Import jobs: the worker's side (progress, cancel, the result, the bytes) and the sweep."""

import datetime as dt

import pytest
from django.utils import timezone

from tiejun.errors import Forbidden, TiejunError
from tiejun.imports import services, tasks
from tiejun.imports.engine import Kind
from tiejun.imports.models import ImportErrorFile, ImportJob, ImportUpload, JobState
from tiejun.imports.registry import KINDS, register
from tiejun.imports.selectors import import_job_errors
from tiejun.imports.services import (
    job_cancel,
    job_import_checked,
    job_run,
    job_start,
    job_sweep,
)
from tiejun.org.models import Unit

UNITS = b"code,name,kind,parent_code\nHZ3,HZ3,team,HZ\nHZ4,HZ4,team,HZ\n"


@pytest.fixture
def probe():
    """A set-based kind that notes the job's row while it checks and while it writes."""
    seen = {"cancel": False}

    def snapshot():
        running = ImportJob.objects.filter(state__in=["checking", "writing"])
        return running.values(
            "state", "rows_read", "rows_checked", "rows_written", "cancel_requested"
        ).get()

    def check(records, context, result):
        seen["checking"] = snapshot()
        if seen["cancel"]:
            job_cancel(job=ImportJob.objects.get(state="checking"))
        for number, record in records:
            if record["code"] == "BAD":
                result.fail(number, "code", "a bad code")
        return records

    def write(plan, context, result):
        seen["writing"] = snapshot()
        result.created += len(plan)

    register(
        Kind(
            "probe",
            ("code",),
            "code",
            label="Probe",
            may_import=lambda p: True,
            check=check,
            write=write,
        )
    )
    yield seen
    KINDS.pop("probe")


def start(org, data=b"code\nA\nB\nC\n", kind="probe", dry_run=False, **kwargs):
    return job_start(
        by=org.admin, kind=kind, data=data, filename="f.csv", dry_run=dry_run, **kwargs
    )


def test_the_worker_reports_progress_and_the_result(org, probe):
    job = start(org)
    assert job.state == JobState.QUEUED and job.percent == 0
    job_run(job.pk)
    # while checking: the rows were read; while writing: every row checked
    assert probe["checking"] == {
        "state": "checking", "rows_read": 3, "rows_checked": 0, "rows_written": 0,
        "cancel_requested": False,
    }  # fmt: skip
    assert probe["writing"]["state"] == "writing" and probe["writing"]["rows_checked"] == 3
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert (job.rows_read, job.rows_checked, job.rows_written) == (3, 3, 3)
    assert job.result == {
        "kind": "probe", "created": 3, "updated": 0, "unchanged": 0, "ok": True, "rows": 3,
    }  # fmt: skip
    assert job.finished_at is not None and job.percent == 100
    assert job.upload_id is None and not ImportUpload.objects.exists()


def test_percent_moves_through_read_check_and_write(org):
    job = ImportJob(kind="units", filename="f", by=org.admin, state=JobState.CHECKING)
    assert job.percent == 0
    job.rows_read = 10
    assert job.percent == 33
    job.rows_checked = 10
    assert job.percent == 66
    job.rows_written = 5
    assert job.percent == 83
    job.dry_run = True
    job.rows_checked = 5
    assert job.percent == 75


def test_a_running_job_cancelled_before_it_writes_writes_nothing(org, probe):
    # given: the user presses cancel while the file is being checked
    probe["cancel"] = True
    job = start(org)
    # when
    job_run(job.pk)
    # then
    assert probe["checking"]["state"] == "checking"
    assert "writing" not in probe
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.cancel_requested
    assert job.rows_written == 0 and job.upload_id is None


def test_a_row_by_row_run_counts_after_its_transaction(org):
    job = start(org, UNITS, kind="units")
    job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert (job.rows_read, job.rows_checked, job.rows_written) == (2, 2, 2)
    assert Unit.objects.filter(code__in=["HZ3", "HZ4"]).count() == 2


def test_a_job_runs_once(org, probe):
    job = start(org)
    job_run(job.pk)
    probe.pop("writing")
    job_run(job.pk)
    assert "writing" not in probe


def test_only_queued_or_checking_jobs_can_be_cancelled(org, probe):
    job = start(org)
    job_run(job.pk)
    with pytest.raises(TiejunError, match="can no longer be cancelled"):
        job_cancel(job=job)
    queued = start(org)
    assert job_cancel(job=queued).state == JobState.CANCELLED
    assert job_cancel(job=queued).state == JobState.CANCELLED  # again: nothing to do


def test_a_check_keeps_its_file_for_the_import(org, probe):
    check = start(org, dry_run=True)
    job_run(check.pk)
    check.refresh_from_db()
    assert check.state == JobState.CHECKED and "writing" not in probe
    upload = check.upload_id
    assert upload is not None
    imported = job_import_checked(job=check, by=org.admin)
    assert imported.upload_id == upload and not imported.dry_run
    assert job_import_checked(job=check, by=org.admin) == imported
    job_run(imported.pk)
    imported.refresh_from_db()
    assert imported.state == JobState.DONE and imported.result["created"] == 3
    assert not ImportUpload.objects.exists()


def test_a_failed_check_cannot_be_imported_and_drops_its_file(org, probe):
    check = start(org, b"code\nA\nBAD\n", dry_run=True)
    job_run(check.pk)
    check.refresh_from_db()
    assert check.state == JobState.FAILED
    assert check.errors == [[3, "code", "a bad code", "code"]] and check.error_count == 1
    assert not ImportUpload.objects.exists()
    with pytest.raises(TiejunError, match="passed its check"):
        job_import_checked(job=check, by=org.admin)


def test_only_kinds_the_person_may_import_and_files_within_the_limit(org, monkeypatch):
    with pytest.raises(Forbidden):
        job_start(by=org.reps["R1"], kind="units", data=UNITS, filename="u.csv", dry_run=True)
    with pytest.raises(Forbidden):
        job_start(by=org.admin, kind="widgets", data=UNITS, filename="u.csv", dry_run=True)
    monkeypatch.setattr(services, "MAX_FILE_BYTES", 10)
    with pytest.raises(TiejunError, match="larger than"):
        job_start(by=org.admin, kind="units", data=UNITS, filename="u.csv", dry_run=True)
    assert not ImportJob.objects.exists() and not ImportUpload.objects.exists()


def test_every_error_is_kept_and_the_first_hundred_in_the_row(org, probe):
    job = start(org, b"code\n" + b"BAD\n" * 250, dry_run=True)
    job_run(job.pk)
    job.refresh_from_db()
    assert job.error_count == 250 and len(job.errors) == 100
    assert len(ImportErrorFile.objects.get(job=job).errors) == 250
    assert [e.row for e in import_job_errors(job)] == list(range(2, 252))


def test_the_worker_writes_in_the_language_of_the_page(org):
    job = start(org, b"code,name,kind,parent_code\nHZ9,,team,HZ\n", kind="units", language="en")
    job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.errors[0][:2] == [2, "name"]


def test_the_task_runs_the_job_on_commit(org, huey_now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start(org, UNITS, kind="units", dry_run=True)
    job.refresh_from_db()
    assert job.state == JobState.CHECKED
    assert tasks.run_job.name == "imports.run_job"


def test_the_sweep_fails_lost_jobs_and_deletes_files_nobody_needs(org, probe):
    now = timezone.now()
    old = now - dt.timedelta(days=2)
    # a check nobody imported, two days old; a fresh one; a job whose worker died
    stale_check = start(org, dry_run=True)
    job_run(stale_check.pk)
    ImportJob.objects.filter(pk=stale_check.pk).update(finished_at=old)
    fresh_check = start(org, dry_run=True)
    job_run(fresh_check.pk)
    lost = start(org)
    ImportJob.objects.filter(pk=lost.pk).update(state=JobState.CHECKING)
    ImportJob.objects.filter(pk=lost.pk).update(updated_at=old)
    waiting = start(org)

    failed, deleted = job_sweep(now)

    assert failed == 1
    lost.refresh_from_db()
    assert lost.state == JobState.FAILED and lost.error_count == 1
    assert not ImportUpload.objects.filter(jobs=stale_check).exists()
    assert ImportUpload.objects.filter(jobs=fresh_check).exists()
    assert ImportUpload.objects.filter(jobs=waiting).exists()
    assert deleted == 1
    # the lost job's file goes a day after it was failed
    assert job_sweep(now + dt.timedelta(days=2))[1] == 2  # the lost job's and the fresh check's
    assert ImportUpload.objects.filter(jobs=waiting).exists()

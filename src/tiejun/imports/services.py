"""Run an import (the engine's entry point, for pages, the CLI, the API and tests), and the import
jobs of the page: a file checked or imported by a worker, with progress, cancel and a result.

A job's life: ``job_start`` stores the file and queues the job on commit; a worker calls
``job_run``, which claims it (queued → checking), runs the engine with a :class:`Feedback` that
writes the counts to the job's row and reads its cancel flag from the database, then records
the result (checked, done, failed or cancelled). ``job_cancel`` works until the apply phase;
``job_import_checked`` turns a successful check into an import of the same bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiejun.errors import Forbidden, TiejunError

from .engine import Feedback, ImportResult, Kind, check_options, run_import
from .models import (
    ERRORS_SHOWN,
    RUNNING,
    ImportErrorFile,
    ImportJob,
    ImportUpload,
    JobState,
)
from .readers import FILE, MAX_FILE_BYTES, RowError
from .registry import KINDS

if TYPE_CHECKING:
    from tiejun.org.models import Person

__all__ = [
    "KINDS",
    "MAX_FILE_BYTES",
    "Feedback",
    "ImportResult",
    "Kind",
    "RowError",
    "job_cancel",
    "job_import_checked",
    "job_run",
    "job_start",
    "job_sweep",
    "run_import",
]

log = logging.getLogger(__name__)

# A checked file waits this long for "import this file now"; a job that has not moved for
# STALE_AFTER is taken for lost (its worker died) and failed.
KEEP_CHECKED = dt.timedelta(days=1)
STALE_AFTER = dt.timedelta(hours=24)

_queue: list[Callable[[int], None]] = []


def job_queue_set(queue: Callable[[int], None]) -> None:
    """How a job reaches a worker (``tasks.run_job_later``; ``ImportsConfig.ready`` sets it)."""
    _queue[:] = [queue]


def _enqueue(job_id: int) -> None:
    if _queue:
        _queue[0](job_id)
    else:  # no queue wired (a script outside the app): run it here
        job_run(job_id)


def _may_import(person: Person, kind: str) -> Kind:
    spec = KINDS.get(kind)
    if spec is None or not spec.may_import(person):
        raise Forbidden(_("You may not import this kind of file."), field="kind")
    return spec


def _create_job(
    *,
    by: Person,
    kind: str,
    filename: str,
    upload: ImportUpload,
    dry_run: bool,
    reason: str,
    language: str,
    options: dict[str, str],
) -> ImportJob:
    job = ImportJob.objects.create(
        kind=kind,
        filename=filename[:255],
        by=by,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
        dry_run=dry_run,
        reason=reason.strip()[:500],
        options=options,
        upload=upload,
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def job_start(
    *,
    by: Person,
    kind: str,
    data: bytes,
    filename: str,
    dry_run: bool,
    reason: str = "",
    language: str = "",
    options: Mapping[str, str] | None = None,
) -> ImportJob:
    """Store an uploaded file and queue its check (``dry_run``) or import for a worker, with the
    run ``options`` the kind offers (``{"invite": "email"}``; a check invites nobody)."""
    _may_import(by, kind)
    options = dict(options or {})
    problem = check_options(kind, options)
    if problem:
        raise TiejunError(problem, field="options")
    if len(data) > MAX_FILE_BYTES:
        raise TiejunError(
            _("The file is larger than %(n)d MB.") % {"n": MAX_FILE_BYTES // (1024 * 1024)},
            field="file",
        )
    with transaction.atomic():
        upload = ImportUpload.objects.create(data=data, size=len(data))
        return _create_job(
            by=by,
            kind=kind,
            filename=filename,
            upload=upload,
            dry_run=dry_run,
            reason=reason,
            language=language,
            options=options,
        )


def job_import_checked(*, job: ImportJob, by: Person, language: str = "") -> ImportJob:
    """Import the file a successful check read, as a new job; asking twice returns the first."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.follow_up_id is not None:
            assert job.follow_up is not None
            return job.follow_up
        if not (job.dry_run and job.state == JobState.CHECKED):
            raise TiejunError(_("Only a file that passed its check can be imported from here."))
        if job.upload_id is None:
            raise TiejunError(_("The checked file is no longer kept; upload it again."))
        _may_import(by, job.kind)
        assert job.upload is not None
        follow_up = _create_job(
            by=by,
            kind=job.kind,
            filename=job.filename,
            upload=job.upload,
            dry_run=False,
            reason=job.reason,
            language=language,
            options=dict(job.options or {}),
        )
        job.follow_up = follow_up
        job.save(update_fields=["follow_up", "updated_at"])
    return follow_up


def job_cancel(*, job: ImportJob) -> ImportJob:
    """Cancel a job before it writes: a queued job at once, a running one at its next look."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.state == JobState.QUEUED:
            job.state = JobState.CANCELLED
            job.cancel_requested = True
            job.finished_at = timezone.now()
            job.save(update_fields=["state", "cancel_requested", "finished_at", "updated_at"])
            _drop_upload(job)
        elif job.state == JobState.CHECKING:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested", "updated_at"])
        elif job.state != JobState.CANCELLED:
            raise TiejunError(_("The job can no longer be cancelled: it is writing or finished."))
    return job


def _drop_upload(job: ImportJob) -> None:
    """Delete the job's file unless another job still runs on it."""
    if job.upload_id is None:
        return
    others = ImportJob.objects.filter(upload_id=job.upload_id, state__in=RUNNING).exclude(pk=job.pk)
    if not others.exists():
        ImportUpload.objects.filter(pk=job.upload_id).delete()


class _JobFeedback:
    """The engine's feedback for one job: counts to the job's row, the cancel flag from it.

    Counts are written only outside the engine's own transaction: inside it they would be
    rolled back with a dry run and would hold a lock on the job's row that a cancel waits for.
    """

    def __init__(self, job: ImportJob) -> None:
        self.job_id = job.pk
        self.dry_run = job.dry_run
        self.depth = len(connection.atomic_blocks)

    def progress(self, stage: str, done: int, total: int) -> None:
        if len(connection.atomic_blocks) > self.depth:
            return
        jobs = ImportJob.objects.filter(pk=self.job_id)
        now = timezone.now()
        if stage == "read":
            jobs.update(rows_read=total, updated_at=now)
        elif stage == "checked":
            jobs.update(rows_checked=done, updated_at=now)
            if done >= total and not self.dry_run:
                jobs.filter(state=JobState.CHECKING).update(state=JobState.WRITING)
        elif stage == "written":
            jobs.update(rows_written=done, updated_at=now)

    def cancelled(self) -> bool:
        return ImportJob.objects.filter(pk=self.job_id, cancel_requested=True).exists()

    def noted(self, result: ImportResult) -> None:
        """The import's after-commit work changed its notes: a job already finished stores its
        result again (otherwise ``_finish`` stores it)."""
        ImportJob.objects.filter(pk=self.job_id, state=JobState.DONE).update(
            result=_result_json(result), updated_at=timezone.now()
        )

    def feedback(self) -> Feedback:
        return Feedback(progress=self.progress, cancelled=self.cancelled, noted=self.noted)


def job_run(job_id: int) -> None:
    """Run a queued job (the worker's side); a job already claimed or cancelled is left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.CHECKING, updated_at=timezone.now()
    )
    if not claimed:
        return
    job = ImportJob.objects.select_related("by").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        result = _run(job)
        _finish(job, result)


def _run(job: ImportJob) -> ImportResult:
    data = None
    if job.upload_id is not None:
        uploads = ImportUpload.objects.filter(pk=job.upload_id)
        data = uploads.values_list("data", flat=True).first()
    if data is None:
        result = ImportResult(kind=job.kind, dry_run=job.dry_run)
        result.fail(0, FILE, _("the uploaded file is no longer kept; upload it again"))
        return result
    try:
        return run_import(
            job.kind,
            bytes(data),
            job.filename,
            dry_run=job.dry_run,
            by=job.by,
            reason=job.reason,
            feedback=_JobFeedback(job).feedback(),
            options=dict(job.options or {}),
        )
    except MemoryError:
        log.exception("import job %s ran out of memory", job.pk)
        result = ImportResult(kind=job.kind, dry_run=job.dry_run)
        result.fail(0, FILE, _("the file is too large for this server; split it"))
        return result


def _final_state(job: ImportJob, result: ImportResult) -> str:
    if result.cancelled:
        return JobState.CANCELLED
    if not result.ok:
        return JobState.FAILED
    return JobState.CHECKED if job.dry_run else JobState.DONE


def _result_json(result: ImportResult) -> dict[str, Any]:
    return {**result.to_json(), "ok": result.ok, "rows": result.rows}


def _finish(job: ImportJob, result: ImportResult) -> None:
    state = _final_state(job, result)
    # [row, column, problem, how the file spelled the column]: shown later in the page's language
    errors = [[e.row, str(e.column), str(e.problem), str(e.label)] for e in result.errors]
    done = result.created + result.updated + result.unchanged
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            state=state,
            rows_read=result.rows,
            rows_checked=result.rows if result.ok else 0,
            rows_written=done if state == JobState.DONE else 0,
            result=_result_json(result),
            errors=errors[:ERRORS_SHOWN],
            error_count=len(errors),
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if len(errors) > ERRORS_SHOWN:
            ImportErrorFile.objects.update_or_create(job_id=job.pk, defaults={"errors": errors})
        if state != JobState.CHECKED:
            job.state = state
            _drop_upload(job)


def job_sweep(now: dt.datetime | None = None) -> tuple[int, int]:
    """Fail jobs whose worker was lost and delete files no job needs any more; returns
    (jobs failed, files deleted). The worker's periodic task calls it every hour."""
    now = now or timezone.now()
    with transaction.atomic():
        lost = ImportJob.objects.filter(state__in=RUNNING, updated_at__lt=now - STALE_AFTER)
        failed = lost.update(
            state=JobState.FAILED,
            errors=[[0, FILE, str(_("the job stopped before it finished; upload the file again"))]],
            error_count=1,
            finished_at=now,
            updated_at=now,
        )
        idle = (
            ImportUpload.objects.annotate(
                last=Max("jobs__finished_at"),
            )
            .exclude(jobs__state__in=RUNNING)
            .filter(
                Q(last__lt=now - KEEP_CHECKED)
                | Q(jobs__isnull=True, created_at__lt=now - KEEP_CHECKED)
            )
        )
        deleted, _counts = ImportUpload.objects.filter(pk__in=idle.values("pk")).delete()
    return failed, deleted

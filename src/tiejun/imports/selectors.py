"""Reads of the import pages: a person's jobs, one job (fetched and authorised in one step)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tiejun.access import is_admin
from tiejun.errors import NotFound

from .models import ImportErrorFile, ImportJob
from .readers import RowError

if TYPE_CHECKING:
    from tiejun.org.models import Person

RECENT_JOBS = 10


def _jobs() -> QuerySet[ImportJob]:
    return ImportJob.objects.defer("errors", "result")


def import_jobs_recent(person: Person, limit: int = RECENT_JOBS) -> list[ImportJob]:
    """The newest jobs ``person`` started (one query)."""
    return list(_jobs().filter(by=person).order_by("-created_at", "-id")[:limit])


def access_import_job(person: Person, job_id: int) -> ImportJob:
    """The job, if ``person`` started it or is an administrator; else not found (the two are
    not told apart)."""
    job = ImportJob.objects.select_related("by", "follow_up").filter(pk=job_id).first()
    if job is not None and job.by_id != person.pk and not is_admin(person):
        job = None
    if job is None:
        raise NotFound(_("No such import job."))
    return job


def row_errors(stored: list[list[Any]]) -> list[RowError]:
    """Errors as a job keeps them ([row, column, problem, label]) back as ``RowError``s, which
    show themselves in the active language."""
    return [
        RowError(int(e[0]), str(e[1]), str(e[2]), str(e[3]) if len(e) > 3 else "") for e in stored
    ]


def import_job_errors(job: ImportJob) -> list[RowError]:
    """Every error of ``job``: from the error file when the job's row holds only the first."""
    stored: list[list[Any]] = list(job.errors)
    if job.error_count > len(job.errors):
        full = ImportErrorFile.objects.filter(job=job).values_list("errors", flat=True).first()
        if full is not None:
            stored = list(full)
    return row_errors(stored)

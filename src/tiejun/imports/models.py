"""Import jobs: a file uploaded on the page, checked or imported by a worker (the Huey queue).

The uploaded bytes live in their own row (:class:`ImportUpload`), so listing jobs never loads
them, a worker on another machine can read them, and they go once no job needs them: when an
import ends, or when a check ends without the "import this file now" it offers (a failed or
cancelled check; a successful one keeps its file for a day, ``services.job_sweep``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The errors a job keeps in its row (the page lists them); all of them go to the error file.
ERRORS_SHOWN = 100


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    WRITING = "writing", _("Writing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


RUNNING = (JobState.QUEUED, JobState.CHECKING, JobState.WRITING)
# Before the apply phase: a cancel still means nothing is written.
CANCELLABLE = (JobState.QUEUED, JobState.CHECKING)
FINISHED = (JobState.CHECKED, JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class ImportUpload(models.Model):
    """The bytes of one uploaded file, shared by its check and the import that follows it."""

    data = models.BinaryField(_("data"))
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")

    def __str__(self) -> str:
        return f"{self.pk} ({self.size} bytes)"


class ImportJob(models.Model):
    """One run of the engine over an uploaded file, on behalf of the person who uploaded it."""

    kind = models.CharField(_("kind"), max_length=50)
    filename = models.CharField(_("file name"), max_length=255)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="import_jobs",
        verbose_name=_("by"),
    )
    # The page's language when the job started: the worker writes its messages in it.
    language = models.CharField(_("language"), max_length=16, blank=True)
    dry_run = models.BooleanField(_("check only"), default=False)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # The run's options (``{"invite": "email"}``: invite everyone a people import creates).
    options = models.JSONField(_("options"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    upload = models.ForeignKey(
        ImportUpload,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        verbose_name=_("uploaded file"),
    )
    # The import started from this (successful) check, once someone asked for it.
    follow_up = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checked_by",
        verbose_name=_("import of this file"),
    )
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    # ImportResult.to_json(): kind, created, updated, unchanged (and dry_run).
    result = models.JSONField(_("result"), null=True, blank=True)
    # The first ERRORS_SHOWN errors as [row, column, problem]; error_count counts them all.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["by", "-created_at"], name="imports_job_by_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def cancellable(self) -> bool:
        return self.state in CANCELLABLE

    @property
    def percent(self) -> int:
        """How far the job is, 0–100: reading, checking and (unless a check) writing."""
        if self.finished:
            return 100
        steps = 2 if self.dry_run else 3
        total = self.rows_read
        done = 1.0 if self.state != JobState.QUEUED and total else 0.0
        if total:
            done += min(self.rows_checked, total) / total
            if not self.dry_run:
                done += min(self.rows_written, total) / total
        return min(99, int(100 * done / steps))


class ImportErrorFile(models.Model):
    """Every error of a job that had more than ERRORS_SHOWN, for the error CSV."""

    job = models.OneToOneField(
        ImportJob, on_delete=models.CASCADE, primary_key=True, related_name="error_file"
    )
    # [[row, column, problem], …]
    errors = models.JSONField(_("errors"), default=list)

    class Meta:
        verbose_name = _("error file")
        verbose_name_plural = _("error files")

    def __str__(self) -> str:
        return f"errors of job {self.job_id}"

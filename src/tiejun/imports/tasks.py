"""Huey tasks of the import jobs: thin wrappers over the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import HUEY

from tiejun.tasking import fresh_connections

from . import services


@HUEY.task(name="imports.run_job")
@fresh_connections
def run_job(job_id: int) -> None:
    services.job_run(job_id)


def run_job_later(job_id: int) -> None:
    """Queue one import job (the services' queue)."""
    run_job(job_id)


@HUEY.periodic_task(crontab(minute="17"), name="imports.sweep")
@fresh_connections
def sweep() -> None:
    """Every hour: fail jobs whose worker was lost, delete files no job needs any more."""
    services.job_sweep()

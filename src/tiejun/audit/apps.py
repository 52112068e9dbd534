from __future__ import annotations

import contextlib
import contextvars
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from huey.contrib.djhuey import HUEY

from .context import Actor, begin, end


class AuditConfig(AppConfig):
    name = "tiejun.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # Here, not at the top: the trail's receivers import models, loaded once the registry is.
        from . import tracking

        tracking.connect()
        _attribute_jobs()


def _attribute_jobs() -> None:
    """What a background job writes is the job's (source ``job``), not its enqueuer's."""
    tokens: dict[str, contextvars.Token[Actor | None]] = {}

    @HUEY.pre_execute(name="audit_actor")
    def _job_begins(task: Any) -> None:
        tokens[task.id] = begin(None, "job")

    @HUEY.post_execute(name="audit_actor")
    def _job_ends(task: Any, value: Any, exception: Any) -> None:
        token = tokens.pop(task.id, None)
        if token is not None:
            # A token made in another thread's context cannot be reset; that context ends anyway.
            with contextlib.suppress(ValueError):
                end(token)

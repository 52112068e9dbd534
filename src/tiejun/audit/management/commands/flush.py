"""``tiejun flush``: Django's flush, which erases every table on purpose, the audit trail too.

On PostgreSQL the audit trail refuses TRUNCATE (migration audit 0003); this command, and only
this command, lifts that for its own session while it runs. The test runner flushes through it."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(**options)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('tiejun.audit_truncate', 'allow', false)")
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('tiejun.audit_truncate', '', false)")

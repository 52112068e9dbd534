"""The base of Tiejun's own management commands."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class TiejunCommand(BaseCommand):
    """A command of Tiejun's: runs without Django's system checks.

    The checks (models, admin, the URL configuration) guard a deployment, not a day's work:
    ``tiejun migrate`` (so ``make run``), ``tiejun check`` and ``make lint`` run them. Before
    every command they would import the whole URL configuration, every page and API schema
    with it: about a second of CPU added to each ``tiejun board``, import or battle report run
    from cron, a script or a test.
    """

    requires_system_checks: list[str] = []

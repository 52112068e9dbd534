"""``tiejun import KIND FILE [--dry-run] [--reason TEXT] [--json] [--invite [--channel
email|sms]]``: all rows or none.

On success the summary JSON goes to stdout (as scripts expect); bad rows go to stderr as
``row N: column: problem`` with exit code 2, and with ``--json`` the same problems also go to
stdout as one JSON object. A progress bar is drawn on stderr only when stderr is a terminal.
``--invite`` (a people import) sends everyone the import creates an activation link once it has
committed, and the summary says how many (``"invited": N``); a dry run invites nobody.
``--confirm`` (a moves import) saves moves the org's checks warn about (a unit left without its
head, …); without it each is a ``row N: warning: …`` and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn, cast

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tiejun.command import TiejunCommand
from tiejun.imports.engine import kind_options
from tiejun.imports.readers import RowError
from tiejun.imports.services import KINDS, Feedback, run_import

INVITE = "invite"


@contextmanager
def progress_feedback(stream: IO[str], dry_run: bool) -> Iterator[Feedback]:
    """A feedback that draws a bar on ``stream`` when it is a terminal, and nothing otherwise."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        yield Feedback()
        return
    console = Console(file=stream, stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(_("reading"), total=None)

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "read":
                bar.update(task, description=_("checking"), total=max(total, 1), completed=0)
            elif stage == "checked" and done >= total and not dry_run:
                bar.update(task, description=_("writing"), completed=0)
            else:
                bar.update(task, completed=done)

        yield Feedback(progress=progress)


class Command(TiejunCommand):
    help = _(
        "Import a CSV (UTF-8 or GB18030) or XLSX file of any kind (units, people, targets, deals, "
        "customers, visits, …). Every row is written, or none: bad rows are printed as "
        "'row N: column: problem'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=", ".join(KINDS))
        parser.add_argument("file", help=_("the CSV or XLSX file"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("check every row, write nothing")
        )
        parser.add_argument(
            "--reason", default="", help=_("why locked targets change (kept in the audit trail)")
        )
        parser.add_argument(
            "--confirm",
            action="store_true",
            help=_(
                "save rows that have warnings (a move that leaves a unit without its head, …); "
                "without it they are listed as 'row N: warning: …' and nothing is written"
            ),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("on failure too, print one JSON object (ok, errors) to stdout"),
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help=_(
                "people: once imported, send everyone the file creates a link to set their password"
            ),
        )
        parser.add_argument(
            "--channel",
            choices=["email", "sms"],
            default=None,
            help=_("how --invite sends the links (default: email)"),
        )

    def _refuse(self, kind: str, errors: list[RowError], as_json: bool, message: str) -> NoReturn:
        if as_json:
            problems = [
                {"row": e.row, "column": str(e.column), "problem": str(e.problem)} for e in errors
            ]
            self.stdout.write(
                json.dumps({"kind": kind, "ok": False, "errors": problems}, ensure_ascii=False)
            )
        raise CommandError(message, returncode=2)

    def handle(self, *args: Any, **options: Any) -> None:
        kind, path, as_json = options["kind"], Path(options["file"]), options["json"]
        if kind not in KINDS:
            message = _("unknown import kind %(kind)s; use one of %(choices)s") % {
                "kind": kind,
                "choices": ", ".join(KINDS),
            }
            self._refuse(kind, [RowError(0, "kind", message)], as_json, message)
        run_options = self._run_options(kind, options, as_json)
        try:
            data = path.read_bytes()
        except OSError as exc:
            message = _("cannot read %(file)s: %(why)s") % {
                "file": path,
                "why": exc.strerror or exc,
            }
            self._refuse(kind, [RowError(0, "file", message)], as_json, message)
        # The terminal itself: Django's wrapper would end every redraw with a newline.
        terminal = cast("IO[str]", self.stderr._out)
        with progress_feedback(terminal, options["dry_run"]) as feedback:
            result = run_import(
                kind,
                data,
                path.name,
                dry_run=options["dry_run"],
                reason=options["reason"],
                feedback=feedback,
                options={**run_options, **({"confirm": "yes"} if options["confirm"] else {})},
            )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            self._refuse(
                kind,
                result.errors,
                as_json,
                _("%(n)d problem(s); nothing was written") % {"n": len(result.errors)},
            )
        for warning in result.notes.get("warnings", []):
            self.stderr.write(str(warning))
        self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))

    def _run_options(self, kind: str, options: dict[str, Any], as_json: bool) -> dict[str, str]:
        """``--invite`` and ``--channel`` as the engine's run options; a usage error where the
        kind offers no invitation or ``--channel`` comes without ``--invite``."""
        if options["channel"] and not options["invite"]:
            message = _("--channel goes with --invite")
            self._refuse(kind, [RowError(0, "channel", message)], as_json, message)
        if not options["invite"]:
            return {}
        if INVITE not in kind_options(kind):
            message = _("--invite works with a people import only")
            self._refuse(kind, [RowError(0, "invite", message)], as_json, message)
        return {INVITE: options["channel"] or "email"}

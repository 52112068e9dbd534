"""Empty import templates (the board's XLSX export is ``scoreboard.exports``)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.sheetcells import csv_row

from .registry import KINDS


def template_csv(kind: str) -> str:
    """The header row of an import kind, as a CSV line (what the upload page offers)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise TiejunError(_("unknown import kind %(kind)s") % {"kind": kind}, field="kind")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(csv_row(spec.columns))
    return out.getvalue()

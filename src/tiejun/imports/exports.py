"""Empty import templates (the board's XLSX export is ``scoreboard.exports``)."""

from __future__ import annotations

import codecs
import csv
import io

from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.sheetcells import csv_row

from .registry import KINDS


def template_csv(kind: str, language: str = "en") -> str:
    """The header row of an import kind as a CSV line: the English columns, or (``zh-hans``) the
    first Chinese spelling of each, which imports as is."""
    spec = KINDS.get(kind)
    if spec is None:
        raise TiejunError(_("unknown import kind %(kind)s") % {"kind": kind}, field="kind")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(csv_row(spec.header_row(language)))
    return out.getvalue()


def template_bytes(kind: str, language: str = "en") -> bytes:
    """The template as a file: UTF-8 with a BOM (so Excel on Chinese Windows reads it right) and
    CRLF line ends."""
    text = template_csv(kind, language).replace("\n", "\r\n")
    return codecs.BOM_UTF8 + text.encode("utf-8")

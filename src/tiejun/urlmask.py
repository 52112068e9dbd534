"""Credentials out of URLs before they are shown or recorded. Pure: no Django.

Robot and webhook URLs carry their credentials (a token in the path or query, the signing secret
in the fragment); pages, the admin, the API, the CLI and the audit trail show them masked.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_TOKEN = re.compile(r"^[A-Za-z0-9_\-.~%+=]{16,}$")


def _mask(value: str) -> str:
    return f"{value[:4]}…" if len(value) > 4 else "…"


def mask_url(url: str) -> str:
    """A robot or webhook URL fit to show: no user or password, each query value and every
    token-like path segment cut to its first characters, the secret in the fragment hidden."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    path = "/".join(_mask(p) if _TOKEN.match(p) else p for p in parts.path.split("/"))
    query = "&".join(
        f"{name}={_mask(value)}" if sep else _mask(name)
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    fragment = "&".join(
        f"{name}={'…' if name == 'secret' or len(value) > 16 else value}"
        for name, _sep, value in (item.partition("=") for item in parts.fragment.split("&") if item)
    )
    return urlunsplit((parts.scheme, netloc, path, query, fragment))

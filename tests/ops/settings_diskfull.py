"""Tiejun's settings on an SQLite database that cannot grow by one page, as on a full disk
(``max_page_count`` is clamped to the file's current size)."""

from tiejun.settings import *  # noqa: F403
from tiejun.settings import DATABASES

DATABASES["default"]["OPTIONS"]["init_command"] += " PRAGMA max_page_count=1;"

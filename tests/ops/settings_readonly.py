"""Tiejun's settings on an SQLite database that refuses every write, as a read-only disk would
(running as root, a file's mode does not stop writes; ``query_only`` does)."""

from tiejun.settings import *  # noqa: F403
from tiejun.settings import DATABASES

DATABASES["default"]["OPTIONS"]["init_command"] += " PRAGMA query_only=ON;"

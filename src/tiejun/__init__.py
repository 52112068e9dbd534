"""Tiejun (铁军): iron targets, iron discipline, iron will — for a direct-sales force."""

__version__ = "0.1.0"

"""The session engine (``SESSION_ENGINE = "tiejun.org.sessions"``): Django's database sessions,
each row carrying the signed-in person so their sessions can all be ended at once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore

from .models import PersonSession


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> Any:
        return PersonSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        session: Any = super().create_model_instance(data)
        try:
            session.person_id = int(data.get(SESSION_KEY))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            session.person_id = None
        return session

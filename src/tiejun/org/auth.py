"""Log in with an employee number or an e-mail address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import Person


class EmployeeNoOrEmailBackend(ModelBackend):
    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Person | None:
        login = (username or kwargs.get("employee_no") or "").strip()
        if not login or password is None:
            return None
        candidates = list(
            Person.objects.filter(Q(employee_no=login) | Q(email__iexact=login) & ~Q(email=""))[:2]
        )
        # An e-mail shared by two people identifies no one.
        if len(candidates) != 1:
            Person().set_password(password)  # equal work whether or not the login exists
            return None
        person = candidates[0]
        if person.check_password(password) and self.user_can_authenticate(person):
            return person
        return None

"""The request a signed-in view or API handler receives: ``request.user`` is a ``Person``.

Django types ``HttpRequest.user`` as ``AbstractBaseUser | AnonymousUser``; every page but the
sign-in page and every API route but the health check is behind authentication, so handlers
annotate their request as ``AuthedRequest`` and read ``request.user`` as the person it is.
This is a typing aid only: nothing is checked or converted at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from tiejun.org.models import Person


class AuthedRequest(HttpRequest):
    user: Person  # type: ignore[assignment]

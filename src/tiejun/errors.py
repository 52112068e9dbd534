"""The one exception type for errors a user can cause."""

from __future__ import annotations

from typing import Any


class TiejunError(Exception):
    """A problem the user caused and can fix; ``message`` is fit to show them (translated lazily).

    ``field`` names the input at fault where there is one; the API maps this error to a 4xx with
    the message, forms attach it to the field, the CLI prints it without a traceback.
    """

    status = 400

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotFound(TiejunError):
    """The row does not exist, or the user may not see it (the two are not told apart)."""

    status = 404


class Forbidden(TiejunError):
    """The user may see the row but not do this to it."""

    status = 403

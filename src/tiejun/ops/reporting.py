"""What Django's debug page and error reports may show of the settings and the environment."""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# user:password@ inside any URL or DSN: smtp://u:p@host, redis://:p@host, postgresql://u:p@h/db
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)(?P<password>[^@\s]+)(?=@)")


def mask_url_password(text: str) -> str:
    """``smtp://user:secret@host`` → ``smtp://user:********@host``; other text as it is."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "********", text)


class SecretSafeReporterFilter(SafeExceptionReporterFilter):
    """Django's filter (names with KEY, SECRET, PASS, TOKEN … hidden), plus DSN and URL settings
    and variables (TIEJUN_EMAIL_URL, TIEJUN_QUEUE_URL, TIEJUN_DATABASE_URL, a Huey ``url``): the
    whole value when its name says it is a DSN or a database/queue/mail URL, and the password
    inside any other URL wherever it appears."""

    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DSN|"
        r"(EMAIL|QUEUE|DATABASE|REDIS|BROKER|CACHE|SENTRY)_?URL",
        flags=re.IGNORECASE,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if type(cleansed) is str:  # lazy strings (a setting's translated text) stay as they are
            return mask_url_password(cleansed)
        return cleansed

import pytest
from django.test import Client

from tiejun.audit.models import AuditEntry


def client_for(someone) -> Client:
    client = Client()
    client.force_login(someone)
    return client


def entries(**filters):
    """The entries since the test began, oldest first."""
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def last(**filters) -> AuditEntry:
    entry = AuditEntry.objects.filter(**filters).order_by("-id").first()
    assert entry is not None, f"no audit entry for {filters}"
    return entry


@pytest.fixture
def huey_now():
    """Huey runs tasks at once, in memory (not in the shared queue file)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before

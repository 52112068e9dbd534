from tiejun.audit.models import AuditEntry


def entries(**filters):
    """The entries since the test began, oldest first."""
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def last(**filters) -> AuditEntry:
    entry = AuditEntry.objects.filter(**filters).order_by("-id").first()
    assert entry is not None, f"no audit entry for {filters}"
    return entry

"""An audit entry is written once: the model, its queryset and (on PostgreSQL) the database
refuse to change or delete it. Run this file on PostgreSQL too (TIEJUN_DATABASE_URL)."""

import pytest
from django.db import DatabaseError, connection, transaction

from tiejun.audit.models import AuditEntry, ImmutableError
from tiejun.audit.services import audit_record


@pytest.fixture
def entry(db):
    return audit_record(
        action="update",
        object_type="target",
        object_id="2026-11:revenue:unit:HZ1",
        before={"value": "100.00"},
        after={"value": "120.00"},
        reason="typo",
    )


def test_an_entry_cannot_be_saved_again(entry):
    entry.reason = "nothing happened"
    with pytest.raises(ImmutableError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "typo"


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(ImmutableError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_queryset_refuses_update_and_delete(entry):
    with pytest.raises(ImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(ImmutableError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "typo"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_raw_update_and_delete(entry):
    table = AuditEntry._meta.db_table
    for sql in (
        f"UPDATE {table} SET reason = 'rewritten' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="cannot be changed or deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).reason == "typo"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_truncate(entry):
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:  # no pending foreign-key checks in the way
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for sql in (f"TRUNCATE {table}", f"TRUNCATE {table} CASCADE"):
        with (
            pytest.raises(DatabaseError, match="TRUNCATE refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_flush_alone_may_empty_the_trail():
    from django.core.management import call_command

    audit_record(action="create", object_type="deal", object_id="F-1", after={"amount": "1"})
    # given: `tiejun flush`, which erases every table on purpose
    call_command("flush", interactive=False, verbosity=0)
    # then: the trail is empty and the session is protected again afterwards
    assert not AuditEntry.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('tiejun.audit_truncate', true)")
        assert cursor.fetchone()[0] in {None, ""}


def test_an_entry_written_inside_a_failed_write_is_rolled_back_with_it(db):
    def failing_write():
        with transaction.atomic():
            audit_record(
                action="create", object_type="deal", object_id="X-1", after={"amount": "1"}
            )
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        failing_write()
    assert not AuditEntry.objects.filter(object_id="X-1").exists()

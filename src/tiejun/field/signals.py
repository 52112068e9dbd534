"""Signals the field app sends to the apps above it (the lab), inside the writing transaction."""

from django.dispatch import Signal

# A check-in was just inserted. kwargs: visit, unit_id, day. Receivers write in the same transaction.
visit_checked_in = Signal()

# A visit was checked out (or its outcome corrected). kwargs: visit, hours (Decimal).
visit_checked_out = Signal()

# Visits were imported (inside the import's transaction), a batch at a time, instead of one
# ``visit_checked_in`` per row. kwargs: rows, (visit id, person id, customer id, unit id, day) of
# each new visit that counts. Receivers write in the same transaction, set-based.
visits_imported = Signal()

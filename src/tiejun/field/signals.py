"""Signals the field app sends to the apps above it (the lab), inside the writing transaction."""

from django.dispatch import Signal

# A check-in was just inserted. kwargs: visit, unit_id, day. Receivers write in the same transaction.
visit_checked_in = Signal()

# A visit was checked out (or its outcome corrected). kwargs: visit, hours (Decimal).
visit_checked_out = Signal()

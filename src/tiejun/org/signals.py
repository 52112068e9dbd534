"""Signals the org app sends to the apps above it."""

from django.dispatch import Signal

# Sent inside the transaction that changed a person's memberships from ``effective`` onwards
# (kwargs: person_id, effective). Sources re-credit that person's facts from that day.
membership_changed = Signal()

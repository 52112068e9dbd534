"""Signals the crm app sends to the apps above it (after commit)."""

from django.dispatch import Signal

# A deal was recorded as won, by any path (form, API, import). kwargs: deal_id.
deal_won = Signal()

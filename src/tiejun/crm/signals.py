"""Signals the crm app sends to the apps above it (after commit)."""

from django.dispatch import Signal

# A deal was recorded as won, by any path (form, API, import). kwargs: deal_id.
deal_won = Signal()

# Deals were imported (sent on commit, once per import, never once per deal). kwargs: key (the
# import's id), day (the import's day), units ({unit id: (new deals, their amount as text)}),
# won_today (ids of the new deals won on ``day``: the only ones that may complete a milestone).
deals_imported = Signal()

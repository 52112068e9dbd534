"""What the outbox tells the apps above it, which it never imports.

``sms_stop_received(phone=…, text=…, provider=…)``: someone replied "TD"/"退订"/"STOP" to one of
our text messages (sent inside the request that took the provider's callback). The broadcasts
connect to it and end that number's subscriptions.
"""

from __future__ import annotations

from django.dispatch import Signal

sms_stop_received = Signal()

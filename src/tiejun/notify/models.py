"""The outbox: one row per outgoing message, the truth about what was sent; the queue only
speeds delivery up (a lost task is found again by the periodic sweep)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tiejun.urlmask import mask_url


class DeliveryChannel(models.TextChoices):
    """The ways out of the building (``channels.channel_for`` has an adapter for each)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu robot")
    WEBHOOK = "webhook", _("Webhook")
    # A text message from the company's app to one person (the address: their platform user id).
    WECOM_APP = "wecom_app", _("WeCom app message")
    DINGTALK_APP = "dingtalk_app", _("DingTalk app message")
    FEISHU_APP = "feishu_app", _("Feishu app message")


ROBOTS = (DeliveryChannel.WECOM, DeliveryChannel.DINGTALK, DeliveryChannel.FEISHU)
APPS = (DeliveryChannel.WECOM_APP, DeliveryChannel.DINGTALK_APP, DeliveryChannel.FEISHU_APP)


def display_address(channel: str, address: str) -> str:
    """``address`` as pages, the admin, the API and the CLI show it: robot and webhook URLs
    carry their credentials (the token in the URL, the signing secret in the fragment), so
    they are shown masked; e-mail addresses and phone numbers as they are."""
    if channel in (*ROBOTS, DeliveryChannel.WEBHOOK):
        return mask_url(address)
    return address


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """An outgoing message. ``failed`` with a ``next_attempt_at`` waits for a retry; ``failed``
    without one has given up (``tiejun outbox --retry`` or the admin sends it again)."""

    channel = models.CharField(_("channel"), max_length=16, choices=DeliveryChannel.choices)
    address = models.CharField(_("address"), max_length=1000)
    key = models.CharField(_("idempotency key"), max_length=500, unique=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML"), blank=True)
    markdown = models.TextField(_("Markdown"), blank=True)
    payload = models.JSONField(_("payload"), null=True, blank=True)
    # Extra e-mail headers (List-Unsubscribe, List-Unsubscribe-Post), set by the sender.
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_msg_due"),
            models.Index(fields=["status", "lease_until"], name="notify_msg_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.key}"

    @property
    def display_address(self) -> str:
        """The address safe to show: a robot's token and signing secret masked."""
        return display_address(self.channel, self.address)

    @property
    def gave_up(self) -> bool:
        return self.status == Status.FAILED and self.next_attempt_at is None


class RateBucket(models.Model):
    """A token bucket per rate-limit key, in the database so every worker on every machine
    draws from the same bucket."""

    key = models.CharField(max_length=64, unique=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key

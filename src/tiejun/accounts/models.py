"""Invitations, who set a password, and the links between people or units and the chat
platforms' directories (WeCom, DingTalk, Feishu)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tiejun.org.models import Person, Unit


class Platform(models.TextChoices):
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")
    FEISHU = "feishu", _("Feishu")


# The prefix of the codes of units a directory sync creates: WX-<id>, DD-<id>, FS-<id>.
UNIT_PREFIX = {Platform.WECOM: "WX", Platform.DINGTALK: "DD", Platform.FEISHU: "FS"}


class Invitation(models.Model):
    """A single-use activation link: only the SHA-256 of its token is kept. A new invitation of
    the same person voids the open ones."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True, default="")
    created_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["person", "created_at"], name="invitation_person")]

    def __str__(self) -> str:
        return f"invitation {self.pk} of {self.person_id}"


class PasswordMark(models.Model):
    """Who set a person's password last. One someone else set (``tiejun person set-password``)
    must be changed at the next sign-in."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    must_change = models.BooleanField(default=False)
    set_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.person_id}: {'must change' if self.must_change else 'own'}"


class ExternalIdentity(models.Model):
    """A person's user id on a platform. ``synced`` holds what the last directory sync wrote, so
    a later hand edit in Tiejun is told apart from a change on the platform."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    synced = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="external_identity_id"
            ),
            models.UniqueConstraint(fields=["person", "platform"], name="external_identity_person"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id} → {self.person_id}"


class ExternalDepartment(models.Model):
    """A unit's department id on a platform, with what the last sync wrote."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    synced = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("external department")
        verbose_name_plural = _("external departments")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="external_department_id"
            ),
            models.UniqueConstraint(fields=["unit", "platform"], name="external_department_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id} → {self.unit_id}"

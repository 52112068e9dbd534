"""Subscriptions to reports, admin-editable report templates, and announced milestones."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiejun.notify.models import DeliveryChannel, display_address
from tiejun.org.models import Person, Unit


class Report(models.TextChoices):
    BATTLE = "battle", _("Battle report")
    WIN_FLASH = "win_flash", _("Win flash")
    MILESTONE = "milestone", _("Milestone flash")
    KICKOFF = "kickoff", _("Morning kickoff")
    REVIEW = "review", _("Evening review")
    PERSONAL = "personal", _("Personal message")


# The reports that are whole sheets for a unit and a day (the rest are flashes of one event).
SHEETS = (Report.KICKOFF, Report.REVIEW, Report.BATTLE)


class Format(models.TextChoices):
    HTML = "html", _("HTML e-mail")
    TEXT = "text", _("Plain text")
    MARKDOWN = "markdown", _("Markdown")
    SMS = "sms", _("SMS")
    JSON = "json", _("JSON")


# JSON is the report's data itself; every other format is rendered from a template.
TEMPLATE_FORMATS = (Format.HTML, Format.TEXT, Format.MARKDOWN, Format.SMS)


class Subscription(models.Model):
    """Who gets a report of a unit, on which channel and address."""

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("unit")
    )
    report = models.CharField(_("report"), max_length=16, choices=Report.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=DeliveryChannel.choices)
    address = models.CharField(_("address"), max_length=1000)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        help_text=_("Empty: the site's default language."),
    )
    min_amount = models.DecimalField(
        _("minimum amount"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Win flashes only: announce deals of at least this amount."),
    )
    active = models.BooleanField(pgettext_lazy("switched on", "active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["unit__code", "report", "channel", "address"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "report", "channel", "address"], name="subscription_once"
            )
        ]
        indexes = [models.Index(fields=["report", "active", "unit"], name="subscription_report")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.report} {self.channel}:{self.display_address}"

    @property
    def display_address(self) -> str:
        """The address safe to show: a robot's or webhook's token and secret masked."""
        return display_address(self.channel, self.address)


class ReportTemplate(models.Model):
    """An admin's version of a report's template; the shipped file is used when none is active."""

    kind = models.CharField(_("report"), max_length=16, choices=Report.choices)
    format = models.CharField(
        _("format"),
        max_length=16,
        choices=[(f.value, f.label) for f in TEMPLATE_FORMATS],
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        help_text=_("Empty: every language."),
    )
    body = models.TextField(
        _("template"), help_text=_("Django template syntax; the report's data is in `r`.")
    )
    active = models.BooleanField(pgettext_lazy("switched on", "active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "format", "language", "-updated_at"]
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "format", "language"],
                condition=Q(active=True),
                name="report_template_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format}{'.' + self.language if self.language else ''}"


class Milestone(models.Model):
    """A rep or a unit reached 100 % of its month target; stored so it is announced once."""

    month = models.DateField(_("month"))
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reached_on = models.DateField(_("reached on"))
    deal_no = models.CharField(_("deal number"), max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "reached_on"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=True) ^ Q(unit__isnull=True),
                name="milestone_person_xor_unit",
            ),
            models.UniqueConstraint(
                fields=["month", "person"],
                condition=Q(person__isnull=False),
                name="milestone_person_once",
            ),
            models.UniqueConstraint(
                fields=["month", "unit"],
                condition=Q(unit__isnull=False),
                name="milestone_unit_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.person_id or ''}{self.unit_id or ''} {self.reached_on}"


class PersonalChannel(models.TextChoices):
    """How a person's own nightly message reaches them (automatic: SMS if the person has a
    mobile number, else e-mail)."""

    AUTO = "", _("Automatic")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    # Offered when the person is linked to the platform and the platform is configured.
    WECOM_APP = "wecom_app", _("WeCom app message")
    DINGTALK_APP = "dingtalk_app", _("DingTalk app message")
    FEISHU_APP = "feishu_app", _("Feishu app message")


class PersonalPreference(models.Model):
    """A person's choice about their nightly personal message. No row: subscribed, automatic
    channel (every active rep gets it unless they opt out)."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    subscribed = models.BooleanField(_("subscribed"), default=True)
    channel = models.CharField(
        _("channel"), max_length=16, blank=True, default="", choices=PersonalChannel.choices
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("personal message preference")
        verbose_name_plural = _("personal message preferences")

    def __str__(self) -> str:
        return f"{self.person_id} {'on' if self.subscribed else 'off'} {self.channel or 'auto'}"


class Mood(models.TextChoices):
    """Which line a personal message closes with, chosen by the rep's pace and forecast."""

    REACHED = "reached", _("Target reached")
    AHEAD = "ahead", _("Ahead of pace")
    ON_TRACK = "on_track", _("Behind pace, likely to make it")
    BEHIND = "behind", _("Behind pace")


class PersonalLine(models.Model):
    """An admin's line of encouragement (ahead, reached) or comfort (behind) for the personal
    message; one active line of a mood and language is picked per rep and day. Without any,
    the shipped lines are used."""

    mood = models.CharField(_("mood"), max_length=16, choices=Mood.choices)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        help_text=_("Empty: every language."),
    )
    text = models.CharField(
        _("text"),
        max_length=200,
        help_text=_("{name} is replaced by the rep's name."),
    )
    active = models.BooleanField(pgettext_lazy("switched on", "active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["mood", "language", "id"]
        verbose_name = _("personal message line")
        verbose_name_plural = _("personal message lines")

    def __str__(self) -> str:
        return f"{self.mood}{'.' + self.language if self.language else ''}: {self.text}"

"""Sales models, the touches made under them, and one-to-many events."""

from __future__ import annotations

from typing import NamedTuple

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiejun.crm.models import Customer, SalesChannel
from tiejun.org.models import Person, Unit

# The lab's names of the built-in models (the sales channels), longer than a deal form's labels.
BUILTIN_NAMES = {
    SalesChannel.VISIT: "一对一拜访",
    SalesChannel.SALON: "会销/沙龙",
    SalesChannel.ONLINE: "网络营销",
    SalesChannel.PARTNER: "生态伙伴",
    SalesChannel.COMMUNITY: "社群",
    SalesChannel.LIVESTREAM: "直播",
    SalesChannel.OTHER: "其他",
}
ONE_TO_MANY_CHANNELS = frozenset(
    {SalesChannel.SALON, SalesChannel.COMMUNITY, SalesChannel.LIVESTREAM}
)


class BuiltinModel(NamedTuple):
    code: str
    name: str
    name_en: str
    one_to_many: bool


def builtin_sales_models() -> list[BuiltinModel]:
    """The built-in sales models: one per sales channel of a deal, in the channel's order."""
    with translation.override("en"):
        return [
            BuiltinModel(
                code=channel.value,
                name=BUILTIN_NAMES.get(channel, str(channel.label)),
                name_en=str(channel.label),
                one_to_many=channel in ONE_TO_MANY_CHANNELS,
            )
            for channel in SalesChannel
        ]


class SalesModel(models.Model):
    """One way of selling (销售模式). The built-in ones are the deal channels (``SalesChannel``,
    ``builtin_sales_models``); admins add more."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True, default="")
    one_to_many = models.BooleanField(_("one-to-many"), default=False)
    active = models.BooleanField(pgettext_lazy("switched on", "active"), default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("sales model")
        verbose_name_plural = _("sales models")

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """A one-to-many event (salon, livestream, webinar): its hours and cost are shared by attendees."""

    event_id = models.CharField(_("event id"), max_length=64, unique=True)
    model = models.ForeignKey(SalesModel, on_delete=models.PROTECT, related_name="events")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="events")
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    hours = models.DecimalField(_("staff hours"), max_digits=10, decimal_places=2)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["-date", "event_id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0) & Q(cost__gte=0), name="event_nonneg")
        ]
        indexes = [models.Index(fields=["unit", "date"], name="event_unit_date")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.title}"


class Attendee(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [models.UniqueConstraint(fields=["event", "customer"], name="attendee_once")]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.customer_id}"


class Touch(models.Model):
    """One contact of a customer under a sales model (触达): who, when, rep-hours, direct cost.

    ``activity_id`` is the id from an import (or the visit's id for a field check-in); the row id
    orders touches as imported, which breaks ties in last-touch attribution.
    """

    class Source(models.TextChoices):
        IMPORT = "import", _("Import")
        CHECKIN = "checkin", _("Field check-in")
        EVENT = "event", _("Event")
        MANUAL = "manual", _("Manual")

    activity_id = models.CharField(_("activity id"), max_length=64, unique=True)
    model = models.ForeignKey(SalesModel, on_delete=models.PROTECT, related_name="touches")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="touches"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="touches")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="touches"
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="touches"
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("rep-hours"), max_digits=10, decimal_places=2)
    cost = models.DecimalField(_("direct cost"), max_digits=14, decimal_places=2)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.IMPORT)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("touch")
        verbose_name_plural = _("touches")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0) & Q(cost__gte=0), name="touch_nonneg")
        ]
        indexes = [
            models.Index(fields=["customer", "date"], name="touch_customer_date"),
            models.Index(fields=["date", "model"], name="touch_date_model"),
            models.Index(fields=["unit", "date"], name="touch_unit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.model_id} {self.date}"

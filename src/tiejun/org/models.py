"""The org tree, people and their memberships over time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from tiejun.access import ADMIN_ROLE


class UnitKind(models.TextChoices):
    COMPANY = "company", _("Company")
    REGION = "region", _("Region")
    BRANCH = "branch", _("Branch")
    TEAM = "team", _("Team")


KIND_DEPTH = {UnitKind.COMPANY: 0, UnitKind.REGION: 1, UnitKind.BRANCH: 2, UnitKind.TEAM: 3}


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    SUPERVISOR = "supervisor", _("Supervisor")
    MANAGER = "manager", _("Manager")
    COORDINATOR = "coordinator", _("Sales coordinator")
    ADMIN = ADMIN_ROLE, _("Admin")


LEADER_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER})


class Unit(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class UnitClosure(models.Model):
    """Every (ancestor, descendant) pair of the tree, a unit being its own ancestor at depth 0.

    "Everything under this unit" is then one indexed join, whatever the depth.
    """

    ancestor = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="descendant_links")
    descendant = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ancestor_links")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ancestor", "descendant"], name="unit_closure_pair")
        ]
        indexes = [models.Index(fields=["descendant", "ancestor"], name="unit_closure_up")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} > {self.descendant_id} ({self.depth})"


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def create_user(self, employee_no: str, password: str | None = None, **extra: Any) -> Person:
        person = self.model(employee_no=employee_no, **extra)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(
        self, employee_no: str, password: str | None = None, **extra: Any
    ) -> Person:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("name", employee_no)
        return self.create_user(employee_no, password, **extra)


class Person(AbstractBaseUser, PermissionsMixin):
    """Anyone in the org; also the login account (employee number or e-mail)."""

    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    start_date = models.DateField(_("start date"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)

    objects = PersonManager()

    USERNAME_FIELD = "employee_no"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["email"], name="person_email")]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def on(self, day: dt.date) -> MembershipQuerySet:
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)

    def overlapping(self, start: dt.date, end: dt.date) -> MembershipQuerySet:
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start), valid_from__lte=end)


class Membership(models.Model):
    """A person's place in a unit with a role, from ``valid_from`` to ``valid_to`` (inclusive).

    A person belongs to one unit at a time. A transfer or promotion closes one membership on the
    day before it takes effect and opens the next; rows are never rewritten otherwise.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["person_id", "valid_from"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="membership_valid_range",
            ),
            models.UniqueConstraint(
                fields=["person"], condition=Q(valid_to__isnull=True), name="membership_one_open"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "valid_from"], name="membership_unit"),
            models.Index(fields=["person", "valid_from"], name="membership_person"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.person_id}@{self.unit_id} {self.role} {self.valid_from}–{self.valid_to or ''}"
        )

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class WorkdayOverride(models.Model):
    """A company exception to the statutory calendar: an extra day off or an extra working day."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["date"]
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'off'}"


class StatutoryDay(models.Model):
    """A day of a year's official holiday schedule, loaded by the company (the ``calendar``
    import or the year's page) for a year the statutory package does not cover, or covers
    wrongly: a holiday (``is_workday`` false) or a make-up working day (调休, true).

    ``provisional`` marks a computed holiday an admin accepted for a year whose schedule is not
    published yet; such a year still counts as unconfirmed. Company exceptions stay in
    ``WorkdayOverride`` and win over these.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=100, blank=True, default="")
    provisional = models.BooleanField(_("provisional"), default=False)

    class Meta:
        ordering = ["date"]
        verbose_name = _("statutory day")
        verbose_name_plural = _("statutory days")

    def __str__(self) -> str:
        return f"{self.date} {'work' if self.is_workday else 'off'} {self.name}".strip()


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.person_id})"


class PersonSession(AbstractBaseSession):
    """A browser session with the signed-in person beside it, so that ending every session of
    one person (on deactivation) is one indexed delete. ``SESSION_ENGINE`` points here."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        # The configured engine (``tiejun.org.sessions``, which imports this model), looked up
        # by name as Django's session middleware does.
        return import_string(f"{settings.SESSION_ENGINE}.SessionStore")

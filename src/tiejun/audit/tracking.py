"""Model signals for writes no service records: settings edited in the admin (working-day
overrides, report templates, sales models), and anything else saved through the admin site.

Services record their own writes with a meaningful action (claim, transfer, …); these handlers
catch what goes around them, with the fields before and after.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.apps import apps
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from .context import current_actor
from .kinds import MODEL_TYPES, SETTINGS_MODELS
from .models import AuditEntry
from .services import audit_change, audit_record, safe_address

# Never written into the trail in clear: a fingerprint shows that they changed.
SECRET_FIELDS = {"password", "key_hash"}
# Bookkeeping a save touches by itself: not a change anybody made.
IGNORED_FIELDS = {"last_login", "last_used_at"}


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _tiejun_labels() -> set[str]:
    return {c.label for c in apps.get_app_configs() if c.name.startswith("tiejun.")}


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The row's own fields (foreign keys as ids), without timestamps the save sets itself."""
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name in IGNORED_FIELDS:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        value = getattr(instance, field.attname)
        if field.name in SECRET_FIELDS and value:
            value = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:8]
        elif field.name == "address" and _label(type(instance)) == "broadcast.subscription":
            value = safe_address(value)
        out[field.name] = value
    return out


def _object_type(instance: models.Model) -> str:
    label = _label(type(instance))
    return MODEL_TYPES.get(label, label)


def _object_id(instance: models.Model) -> Any:
    """The natural key the services use (a code, an employee or deal number, a day) or the id."""
    names = {f.name for f in instance._meta.concrete_fields}
    keys = ("date",) if _object_type(instance) == "workday" else ("code", "employee_no", "deal_no")
    for key in keys:
        if key in names and getattr(instance, key) is not None:
            return getattr(instance, key)
    return instance.pk


def _tracked(sender: type[models.Model]) -> bool:
    if sender._meta.apps is not apps:  # a migration's historical model
        return False
    label = _label(sender)
    if label in SETTINGS_MODELS:
        return True
    actor = current_actor()
    if actor is None or actor.source != "admin" or sender is AuditEntry:
        return False
    if sender._meta.app_label not in _TIEJUN or sender._meta.auto_created:
        return False
    return not issubclass(sender, AbstractBaseSession)  # signing in is not a change


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw") or not _tracked(sender):
        return
    old = sender._base_manager.filter(pk=instance.pk).first() if instance.pk is not None else None
    instance._audit_before = snapshot(old) if old is not None else None  # type: ignore[attr-defined]


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if kwargs.get("raw") or not _tracked(sender):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= IGNORED_FIELDS:
        return
    before = getattr(instance, "_audit_before", None)
    after = snapshot(instance)
    common = {
        "object_type": _object_type(instance),
        "object_id": _object_id(instance),
        "object_repr": str(instance),
    }
    if created or before is None:
        audit_record(action="create", after=after, **common)
    else:
        audit_change(action="update", before=before, after=after, **common)
    instance._audit_before = after  # type: ignore[attr-defined]


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _tracked(sender):
        return
    audit_record(
        action="delete",
        object_type=_object_type(instance),
        object_id=_object_id(instance),
        object_repr=str(instance),
        before=snapshot(instance),
    )


_TIEJUN: set[str] = set()


def connect() -> None:
    """Called from ``AuditConfig.ready``."""
    _TIEJUN.update(_tiejun_labels())
    pre_save.connect(_before_save, dispatch_uid="audit_before_save")
    post_save.connect(_after_save, dispatch_uid="audit_after_save")
    post_delete.connect(_after_delete, dispatch_uid="audit_after_delete")

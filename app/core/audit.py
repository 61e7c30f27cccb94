"""Audit log: who changed what, when, from where (DESIGN: every state-changing action).

Store actions go to the store's own ``audit_log``; platform actions to
``platform.audit_log``. Callers pass the acting user; the IP comes from the request when
there is one.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from sqlalchemy import BigInteger, DateTime, Index, Integer, String, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.db import platform_args, tenant_args, utcnow
from app.extensions import db

SECRET_FIELDS = {"password_hash"}

# What a person reads in the log instead of the codes: each center declares the labels of its
# actions and of the fields (and coded values) its entries carry, in `Center(audit_actions=...,
# audit_fields=...)`. A state machine's moves (`order.paid`) read "<noun>: <state label>" from
# the machine's own labels once the center names the noun (`audit_actions={"order.*": noun}`).
ACTION_LABELS: dict[str, Any] = {}
FIELD_LABELS: dict[str, Any] = {}
VALUE_LABELS: dict[str, dict] = {}


def describe(actions: dict | None = None, fields: dict | None = None) -> None:
    """Declare labels: `actions` {action: label}; `fields` {field or "object.field": label, or
    (label, {value: label})}."""
    ACTION_LABELS.update(actions or {})
    for key, spec in (fields or {}).items():
        label, values = spec if isinstance(spec, tuple) else (spec, None)
        FIELD_LABELS[key] = label
        if values:
            VALUE_LABELS[key] = values


class _AuditColumns:
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_realm: Mapped[str] = mapped_column(String(16), default="system")
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(254), default="system")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    object_label: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[dict] = mapped_column(JSONB, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))


class AuditEntry(_AuditColumns, db.Model):
    __tablename__ = "audit_log"
    __table_args__ = tenant_args(Index("ix_audit_log_object", "object_type", "object_id"))


class PlatformAuditEntry(_AuditColumns, db.Model):
    __tablename__ = "audit_log"
    __table_args__ = platform_args(Index("ix_platform_audit_log_object", "object_type", "object_id"))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def changes_of(obj, only: set[str] | None = None) -> dict:
    """{field: [before, after]} for the pending changes on `obj`; call before flushing."""
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if (only and key not in only) or key in SECRET_FIELDS:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        before = hist.deleted[0] if hist.deleted else None
        after = hist.added[0] if hist.added else None
        if before != after:
            out[key] = [_plain(before), _plain(after)]
    return out


def snapshot(obj, fields: list[str]) -> dict:
    """{field: [None, value]} for a newly created object."""
    return {f: [None, _plain(getattr(obj, f))] for f in fields}


def _entry(model, actor, action, target, changes, label) -> Any:
    entry = model(
        actor_realm=getattr(actor, "realm", "system"),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "email", None) or "system",
        action=action,
        object_type=type(target).__name__ if target is not None else None,
        object_id=str(inspect(target).identity[0]) if target is not None and inspect(target).identity else None,
        object_label=label,
        changes=changes or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def record(actor, action: str, target=None, changes: dict | None = None, label: str | None = None,
           activity_touched: bool = False):
    """Write one store audit entry (the store must be bound) and touch the store's activity
    (once per transaction; `activity_touched`: the caller already set it, as a new store does)."""
    from app.blueprints.platform.models import Store
    from app.core.tenancy import current_store

    if target is not None and inspect(target).identity is None:
        db.session.flush()
    entry = _entry(AuditEntry, actor, action, target, changes, label)
    if activity_touched:
        db.session.info["houtai_activity_touched"] = True
    elif not db.session.info.get("houtai_activity_touched"):  # once per transaction is enough
        db.session.execute(
            db.update(Store).where(Store.id == current_store().id).values(last_activity_at=utcnow())
        )
        db.session.info["houtai_activity_touched"] = True
    return entry


def record_platform(actor, action: str, target=None, changes: dict | None = None, label: str | None = None):
    """Write one platform audit entry."""
    if target is not None and inspect(target).identity is None:
        db.session.flush()
    return _entry(PlatformAuditEntry, actor, action, target, changes, label)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset_activity_flag(session) -> None:
    session.info.pop("houtai_activity_touched", None)


def _machine(action: str):
    from app.core.statemachine import ALL

    name, _, target = action.rpartition(".")
    for machine in ALL:
        if machine.name == name and target in machine.labels:
            return machine, target
    return None, None


def action_label(action: str) -> str:
    """The action as a person reads it ("商品已创建", "订单：已支付"); the code if nobody named it."""
    from flask_babel import gettext

    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    machine, target = _machine(action)
    if machine is not None and f"{machine.name}.*" in ACTION_LABELS:
        return gettext("%(object)s: %(state)s", object=ACTION_LABELS[f"{machine.name}.*"],
                       state=machine.labels[target])
    return action


def actor_label(name: str | None) -> str:
    from flask_babel import gettext

    return gettext("System") if not name or name == "system" else name


def _value_text(value: Any, labels: dict | None) -> Any:
    from flask_babel import gettext

    if value is None:
        return None
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return "、".join(str(_value_text(v, labels)) for v in value) if value else "∅"
    if labels and isinstance(value, str) and value in labels:
        return str(labels[value])
    return value


def changes_view(action: str, changes: dict | None) -> dict:
    """{field label: [before, after]} with coded values (states, booleans) in words."""
    out = {}
    prefix = action.partition(".")[0]
    machine, _target = _machine(action)
    for field, pair in (changes or {}).items():
        key = f"{prefix}.{field}" if f"{prefix}.{field}" in FIELD_LABELS else field
        label = str(FIELD_LABELS[key]) if key in FIELD_LABELS else field
        values = VALUE_LABELS.get(key)
        if values is None and machine is not None and field == machine.field:
            values = machine.labels
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        out[label] = [_value_text(before, values), _value_text(after, values)]
    return out

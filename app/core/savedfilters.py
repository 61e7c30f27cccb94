"""Saved filters: a staff member names the current filters of a list page to come back to
them (per person, per list)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import tenant_args, utcnow
from app.core.errors import DomainError
from app.extensions import db


class SavedFilter(db.Model):
    __tablename__ = "saved_filters"
    __table_args__ = tenant_args(UniqueConstraint("staff_id", "view", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer)
    view: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def for_view(staff_id: int, view: str) -> list[SavedFilter]:
    return db.session.scalars(select(SavedFilter).where(SavedFilter.staff_id == staff_id, SavedFilter.view == view)
                              .order_by(SavedFilter.name)).all()


def save(staff_id: int, view: str, name: str, query: str) -> SavedFilter:
    name, query = (name or "").strip()[:60], (query or "").lstrip("?")[:1000]
    if not name:
        raise DomainError(_("Name the filter."), field="name")
    existing = db.session.scalar(select(SavedFilter).where(SavedFilter.staff_id == staff_id, SavedFilter.view == view,
                                                           SavedFilter.name == name))
    if existing is None:
        existing = SavedFilter(staff_id=staff_id, view=view, name=name, query=query)
        db.session.add(existing)
    existing.query = query
    return existing


def delete(staff_id: int, filter_id: int) -> None:
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.staff_id != staff_id:
        raise DomainError(_("No such saved filter."))
    db.session.delete(saved)

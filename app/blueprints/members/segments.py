"""Segments (会员分群): saved member-list rules that promotions can target."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.blueprints.members import queries
from app.blueprints.members.models import Segment
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db


def save_segment(actor, values: dict, segment: Segment | None = None) -> Segment:
    """Create or change a segment: a name and the member-list rules it keeps (search, level,
    tag, total spend, order count, last order date, blacklist). A segment with no rule holds
    every member."""
    name = " ".join((values.get("name") or "").split())[:80]
    if not name:
        raise DomainError(_("This field is required."), field="name")
    clash = select(Segment.id).where(func.lower(Segment.name) == name.lower())
    if segment is not None:
        clash = clash.where(Segment.id != segment.id)
    if db.session.scalar(clash):
        raise DomainError(_("Another segment has this name."), field="name")
    try:
        rules = queries.clean_rules(values)
    except ValueError as err:
        raise DomainError(_("Enter a valid value."), field=str(err))
    segment = segment or Segment()
    before = dict(segment.rules or {}) if segment.id else None
    segment.name, segment.rules = name, rules
    db.session.add(segment)
    db.session.flush()
    audit.record(actor, "member.segment_saved", segment, label=name, changes={"rules": [before, rules]})
    return segment


def delete_segment(actor, segment: Segment) -> None:
    audit.record(actor, "member.segment_deleted", segment, label=segment.name)
    db.session.delete(segment)
    db.session.flush()

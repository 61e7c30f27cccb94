"""Read side of store management: dashboard figures and choice lists."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Date, cast, func, select

from app.blueprints.store.models import Role, StaffUser
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.extensions import db


def role_choices() -> list[tuple[int, str]]:
    roles = db.session.scalars(select(Role).order_by(Role.id)).all()
    return [(r.id, r.display_name) for r in roles]


def least_privileged_role() -> int | None:
    """The role granting the fewest permissions (never the owner's): what a new invitation
    offers first, so that more access is a choice, not a default."""
    roles = [r for r in db.session.scalars(select(Role).order_by(Role.id)) if not r.is_owner]
    return min(roles, key=lambda r: (len(r.permissions or []), r.id)).id if roles else None


def staff_by_status() -> dict[str, int]:
    rows = db.session.execute(select(StaffUser.status, func.count()).group_by(StaffUser.status)).all()
    return {status: n for status, n in rows}


def activity_by_day(days: int = 14) -> list[tuple[str, int]]:
    """Audited actions per day over the last `days` days (UTC), zero-filled, oldest first."""
    since = (utcnow() - timedelta(days=days - 1)).date()
    day = cast(AuditEntry.at, Date)
    rows = dict(db.session.execute(
        select(day, func.count()).where(day >= since).group_by(day)).all())
    return [((since + timedelta(days=i)).isoformat(), rows.get(since + timedelta(days=i), 0)) for i in range(days)]


def recent_activity(limit: int = 8) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()


def action_choices() -> list[tuple[str, str]]:
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    from app.core.audit import action_label

    return [(a, action_label(a)) for a in actions]


def acting_staff(staff_id: int | None) -> StaffUser | None:
    """The staff member a job acts for (jobs carry ids, services take the actor)."""
    return db.session.get(StaffUser, staff_id) if staff_id else None


def staff_choices() -> list[tuple[int, str]]:
    """Active staff members as (id, name or email), by name (other centers pick staff from it)."""
    rows = db.session.execute(select(StaffUser.id, StaffUser.name, StaffUser.email)
                              .where(StaffUser.status == "active").order_by(StaffUser.name, StaffUser.id))
    return [(i, name or email) for i, name, email in rows]

"""Read side of the platform: figures for the dashboard and the health page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Date, cast, func, select, text

from app.blueprints.platform.models import Plan, Store
from app.core.db import utcnow
from flask_babel import gettext as _
from app.extensions import db


def stores_by_status() -> dict[str, int]:
    return dict(db.session.execute(select(Store.status, func.count()).group_by(Store.status)).all())


def new_stores_by_day(days: int = 30) -> list[tuple[str, int]]:
    since = (utcnow() - timedelta(days=days - 1)).date()
    day = cast(Store.created_at, Date)
    rows = dict(db.session.execute(select(day, func.count()).where(day >= since).group_by(day)).all())
    return [((since + timedelta(days=i)).isoformat(), rows.get(since + timedelta(days=i), 0)) for i in range(days)]


def plan_choices() -> list[tuple[str, str]]:
    return [(p.code, p.label) for p in db.session.scalars(select(Plan).where(Plan.active).order_by(Plan.id))]


def database_status() -> dict:
    try:
        version = db.session.execute(text("SHOW server_version")).scalar()
        size = db.session.execute(text("SELECT pg_database_size(current_database())")).scalar()
        return {"ok": True, "version": version, "size_bytes": size}
    except Exception as err:  # health must report, not raise
        db.session.rollback()
        return {"ok": False, "error": str(err)}


def redis_status(redis) -> dict:
    try:
        info = redis.info()
        policy = redis.config_get("maxmemory-policy").get("maxmemory-policy")
        status = {"ok": True, "version": info.get("redis_version"), "used_memory": info.get("used_memory_human"),
                  "maxmemory_policy": policy}
        if policy != "noeviction":
            status["warning"] = _("Redis should never evict keys (maxmemory-policy noeviction), or queued jobs can be lost.")
        return status
    except Exception as err:  # health must report, not raise
        return {"ok": False, "error": str(err)}


def worker_status(redis) -> dict:
    from rq import Worker

    try:
        workers = Worker.all(connection=redis)
    except Exception as err:  # health must report, not raise
        return {"ok": False, "error": str(err), "workers": []}
    now = utcnow()
    rows = []
    for w in workers:
        beat = w.last_heartbeat
        if beat is not None and beat.tzinfo is None:
            from datetime import timezone
            beat = beat.replace(tzinfo=timezone.utc)
        rows.append({"name": w.name, "state": w.get_state(), "queues": [q.name for q in w.queues],
                     "last_heartbeat": beat,
                     "alive": bool(beat and (now - beat).total_seconds() < 120)})
    return {"ok": any(r["alive"] for r in rows), "workers": rows}


def supplier_stores(supplier_id: int) -> list[tuple[int, str, str, str]]:
    """(store id, slug, name, supplier code) of the active stores a supplier serves, by name."""
    from app.blueprints.platform.models import SupplierLink

    return [tuple(r) for r in db.session.execute(
        select(Store.id, Store.slug, Store.name, SupplierLink.supplier_code).join(Store, Store.id == SupplierLink.store_id)
        .where(SupplierLink.account_id == supplier_id, Store.status == "active").order_by(Store.name))]


def serves(supplier_id: int, store_id: int) -> bool:
    """Is this supplier linked to this store?"""
    from app.blueprints.platform.models import SupplierLink

    return db.session.scalar(select(SupplierLink.id).where(SupplierLink.account_id == supplier_id,
                                                           SupplierLink.store_id == store_id)) is not None


def supplier_users(supplier_id: int) -> list:
    """The sign-ins of one supplier: its first account, then its users by email."""
    from app.blueprints.platform.models import SupplierAccount

    return list(db.session.scalars(select(SupplierAccount).where(
        (SupplierAccount.id == supplier_id) | (SupplierAccount.org_id == supplier_id))
        .order_by(SupplierAccount.org_id.is_not(None), SupplierAccount.email)))


def supplier_account(account_id: int):
    from app.blueprints.platform.models import SupplierAccount

    return db.session.get(SupplierAccount, account_id)


@dataclass(frozen=True)
class ActiveStore:
    """An active store as another center binds it (store_context) and names it, with its plan's fee."""

    id: int
    slug: str
    name: str
    schema_name: str
    status: str
    default_locale: str
    timezone: str
    currency: str
    plan_fee: int
    plan_currency: str


def active_stores() -> list[ActiveStore]:
    """Every active store with a schema, oldest first (one query)."""
    rows = db.session.execute(select(Store.id, Store.slug, Store.name, Store.schema_name, Store.status,
                                     Store.default_locale, Store.timezone, Store.currency,
                                     func.coalesce(Plan.price_minor, 0), func.coalesce(Plan.currency, "CNY"))
                              .outerjoin(Plan, Plan.id == Store.plan_id)
                              .where(Store.status == "active", Store.schema_name.is_not(None)).order_by(Store.id))
    return [ActiveStore(*row) for row in rows]


def store_usage() -> dict:
    """The usage summary's rows (StoreUsage) by store id (one query, no store bound)."""
    from app.blueprints.platform.models import StoreUsage

    return {row.store_id: row for row in db.session.scalars(select(StoreUsage))}

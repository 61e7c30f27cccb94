"""Store schemas built ahead of time, so that creating a store is a rename, not 270 CREATEs.

A periodic job keeps ``SCHEMA_POOL_SIZE`` schemas (``pool_<id>``) built at the newest tenant
revision, one per transaction; ``tenants migrate`` upgrades them with the stores. Creating a
store claims the oldest one with ``SELECT … FOR UPDATE SKIP LOCKED`` (concurrent sign-ups
never get the same one) and renames it to ``store_<id>`` in the transaction that seeds the
store's rows: if that transaction rolls back, the schema goes back to the pool. With the pool
empty, creation builds the schema as before.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, text

from app.blueprints.platform.models import PooledSchema
from app.core.schemas import create_tenant_schema, one_store_per_transaction, quote_schema, schema_version, tenant_head
from app.extensions import db

# pg_advisory_xact_lock key: one refill builds at a time (claims do not take it)
REFILL_LOCK = 0x486F7574  # "Hout"


def pool_size() -> int:
    return int(current_app.config.get("SCHEMA_POOL_SIZE", 0))


def ready(head: str | None = None) -> int:
    """Pooled schemas at the newest revision, waiting to be claimed."""
    head = head or tenant_head()
    return db.session.scalar(select(func.count()).select_from(PooledSchema).where(PooledSchema.version == head))


def refill(target: int | None = None, limit: int | None = None) -> int:
    """Build schemas until `target` (default SCHEMA_POOL_SIZE) wait at head, at most `limit`
    of them; one schema per transaction (commits). Returns how many it built."""
    target = pool_size() if target is None else target
    head = tenant_head()
    built = 0
    while limit is None or built < limit:
        db.session.execute(select(func.pg_advisory_xact_lock(REFILL_LOCK)))
        if ready(head) >= target:
            db.session.commit()
            break
        row = PooledSchema(version=head)
        db.session.add(row)
        db.session.flush()
        row.schema_name = f"pool_{row.id}"
        create_tenant_schema(db.session.connection(), row.schema_name)
        db.session.commit()
        built += 1
    return built


def claim(schema: str) -> str | None:
    """Rename a pooled schema at head to `schema` in the caller's transaction; returns its
    revision, or None when the pool has none (the caller builds one)."""
    head = tenant_head()
    row = db.session.scalars(
        select(PooledSchema).where(PooledSchema.version == head).order_by(PooledSchema.id).limit(1)
        .with_for_update(skip_locked=True)).first()
    if row is None:
        return None
    conn = db.session.connection()
    actual = schema_version(conn, row.schema_name)
    if actual != head:  # the row was stale (a migration ran without `tenants migrate`)
        row.version = actual
        db.session.flush()
        return None
    conn.execute(text(f"ALTER SCHEMA {quote_schema(row.schema_name)} RENAME TO {quote_schema(schema)}"))
    one_store_per_transaction(conn, schema)
    db.session.delete(row)
    db.session.flush()
    return head


def pooled_schemas() -> list[str]:
    return db.session.scalars(select(PooledSchema.schema_name).order_by(PooledSchema.id)).all()


def record_versions(versions: dict[str, str]) -> None:
    """After `tenants migrate`: the revision each pooled schema is at now."""
    for row in db.session.scalars(select(PooledSchema).where(PooledSchema.schema_name.in_(list(versions)))):
        row.version = versions[row.schema_name]

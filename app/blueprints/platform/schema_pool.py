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
from sqlalchemy import delete, func, insert, select

from app.blueprints.platform.models import PooledSchema
from app.core.schemas import create_tenant_schema, one_store_per_transaction, quote_schema, tenant_head
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
    revision, or None when the pool has none (the caller builds one).

    Two round trips: take the oldest row (DELETE … RETURNING over SKIP LOCKED: concurrent
    claims take different rows), then read the schema's own revision and rename it in one
    simple query (renamed back when the revision is not head, which seldom happens). A rollback
    puts the row and the schema's name back."""
    head = tenant_head()
    table = PooledSchema.__table__
    oldest = (select(table.c.id).where(table.c.version == head,
                                       func.to_regclass(func.concat(func.quote_ident(table.c.schema_name), ".alembic_version"))
                                       .is_not(None))
              .order_by(table.c.id).limit(1).with_for_update(skip_locked=True).scalar_subquery())
    row = db.session.execute(delete(table).where(table.c.id == oldest).returning(*table.c)).mappings().first()
    if row is None:
        return None
    conn = db.session.connection()
    pooled, claimed = quote_schema(row["schema_name"]), quote_schema(schema)
    one_store_per_transaction(conn, schema)
    # no parameters: one simple query, two statements; the result is the SELECT's
    actual = conn.exec_driver_sql(f"SELECT version_num FROM {pooled}.alembic_version;\n"
                                  f"ALTER SCHEMA {pooled} RENAME TO {claimed}").scalar()
    if actual != head:  # the row was stale (a migration ran without `tenants migrate`): keep it, build instead
        conn.exec_driver_sql(f"ALTER SCHEMA {claimed} RENAME TO {pooled}")
        db.session.execute(insert(table).values({**row, "version": actual}))
        return None
    return head


def pooled_schemas() -> list[str]:
    return db.session.scalars(select(PooledSchema.schema_name).order_by(PooledSchema.id)).all()


def record_versions(versions: dict[str, str]) -> None:
    """After `tenants migrate`: the revision each pooled schema is at now."""
    for row in db.session.scalars(select(PooledSchema).where(PooledSchema.schema_name.in_(list(versions)))):
        row.version = versions[row.schema_name]

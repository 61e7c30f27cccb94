"""The fleet at two sizes in one run (default 100 and 1,000 stores), side by side: store
creation p50/p95 from the schema pool and built, `tenants migrate` with nothing to apply and
with one added column, backend memory after one connection touched every store, and the
size of PostgreSQL's catalog.

    python -m bench.fleet [SIZE ...]          e.g. python -m bench.fleet 100 1000

Stores are created one per transaction (one store's locks at a time). The added-column
revisions go to a temporary copy of migrations/tenant.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_app, cleanup, percentile

SAMPLE = int(os.environ.get("FLEET_SAMPLE", "20"))  # stores timed per creation path at each size

REVISION = '''"""bench: one added column"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("staff_users", sa.Column("bench_{rev}", sa.String(40), nullable=True))


def downgrade():
    op.drop_column("staff_users", "bench_{rev}")
'''


def _create(app, count: int, prefix: str) -> list[float]:
    """Create `count` stores, one transaction each; returns the seconds each took."""
    from app.blueprints.platform.services import create_store
    from app.extensions import db

    took = []
    with app.app_context():
        for _ in range(count):
            n = next(_seq)
            started = time.perf_counter()
            create_store(None, f"{prefix}-{n}", f"Fleet {n}", f"o{n}@fleet.cn", None, plan_code="pro")
            db.session.commit()
            took.append(time.perf_counter() - started)
    return took


def _seq_gen():
    n = int(time.time()) % 100000 * 10000
    while True:
        n += 1
        yield n


_seq = _seq_gen()


def _schemas(app) -> list[str]:
    from sqlalchemy import select

    from app.blueprints.platform.models import Store
    from app.extensions import db

    with app.app_context():
        return db.session.scalars(select(Store.schema_name).where(Store.status != "deleted").order_by(Store.id)).all()


def backend_memory(url: str, schemas: list[str]) -> tuple[float, float]:
    """(MiB before, MiB after) of one fresh backend that read every tenant table of every schema."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True, prepare_threshold=None) as conn:
        def used() -> float:
            return conn.execute("SELECT sum(total_bytes) FROM pg_backend_memory_contexts").fetchone()[0] / 2 ** 20

        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (schemas[0],)).fetchall()]
        before = used()
        for schema in schemas:
            conn.execute(" UNION ALL ".join(f'(SELECT 1 FROM "{schema}"."{t}" LIMIT 1)' for t in tables))
        return before, used()


def catalog_size(url: str) -> tuple[int, float, float]:
    """(relations, MiB of the system catalogs, MiB of the database)."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True, prepare_threshold=None) as conn:
        relations = conn.execute("SELECT count(*) FROM pg_class").fetchone()[0]
        catalogs = conn.execute("SELECT sum(pg_total_relation_size(oid)) FROM pg_class "
                                "WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r'").fetchone()[0]
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return relations, catalogs / 2 ** 20, database / 2 ** 20


def measure(app, url: str, size: int, location: Path, rev: str, jobs: int) -> dict:
    from app.blueprints.platform import schema_pool
    from app.core.schemas import migrate_schemas, tenant_head
    from app.extensions import db

    have = len(_schemas(app))
    started = time.perf_counter()
    _create(app, max(0, size - SAMPLE * 2 - have), "fill")
    fill = time.perf_counter() - started
    built = _create(app, SAMPLE, "built")               # the pool is empty: each schema is built
    with app.app_context():
        schema_pool.refill(SAMPLE)                       # not timed: the periodic job's work
        db.session.commit()
    pooled = _create(app, SAMPLE, "pooled")
    schemas = _schemas(app)
    out = {"stores": len(schemas), "fill_s": fill}
    out["built"] = (percentile(built, 50) * 1000, percentile(built, 95) * 1000)
    out["pooled"] = (percentile(pooled, 50) * 1000, percentile(pooled, 95) * 1000)
    migrate_schemas(url, schemas, jobs=jobs, location=location)  # stores created since the last size catch up
    started = time.perf_counter()
    results = migrate_schemas(url, schemas, jobs=jobs, location=location)
    out["migrate_noop_s"] = time.perf_counter() - started
    out["migrate_noop_ok"] = sum(r.ok for r in results)
    head = tenant_head(location)
    (location / "versions" / f"{rev}_add_column.py").write_text(REVISION.format(rev=rev, head=head))
    started = time.perf_counter()
    results = migrate_schemas(url, schemas, jobs=jobs, location=location)
    out["migrate_column_s"] = time.perf_counter() - started
    out["migrate_column_ok"] = sum(r.ok and r.after == rev for r in results)
    before, after = backend_memory(url, schemas)
    out["memory"] = (before, after, (after - before) / len(schemas))
    out["catalog"] = catalog_size(url)
    return out


def report(rows: list[dict]) -> None:
    def line(label, fmt):
        print(f"  {label:<44}" + "".join(f"{fmt(r):>24}" for r in rows))

    print("fleet benchmark (one process, embedded PostgreSQL):")
    line("stores", lambda r: f"{r['stores']}")
    line("creation from the pool p50 / p95 (ms)", lambda r: f"{r['pooled'][0]:.1f} / {r['pooled'][1]:.1f}")
    line("creation built p50 / p95 (ms)", lambda r: f"{r['built'][0]:.1f} / {r['built'][1]:.1f}")
    line("migrate, nothing to apply (s)", lambda r: f"{r['migrate_noop_s']:.2f} ({r['migrate_noop_ok']} ok)")
    line("migrate, one added column (s)", lambda r: f"{r['migrate_column_s']:.2f} ({r['migrate_column_ok']} ok)")
    line("backend memory fresh / every store (MiB)", lambda r: f"{r['memory'][0]:.1f} / {r['memory'][1]:.1f}")
    line("backend memory per store touched (MiB)", lambda r: f"{r['memory'][2]:.3f}")
    line("relations in pg_class", lambda r: f"{r['catalog'][0]}")
    line("system catalogs / database (MiB)", lambda r: f"{r['catalog'][1]:.0f} / {r['catalog'][2]:.0f}")


def main(sizes: list[int], jobs: int = 2) -> None:
    app, instance = bench_app()
    app.config["SCHEMA_POOL_SIZE"] = 0  # the bench fills the pool itself, at the sizes it measures
    from app.core.schemas import TENANT_MIGRATIONS

    with app.app_context():
        from app.extensions import db
        url = db.engine.url.render_as_string(hide_password=False)
    location = Path(tempfile.mkdtemp(prefix="houtai-fleet-")) / "tenant"
    shutil.copytree(TENANT_MIGRATIONS, location)
    rows = []
    for i, size in enumerate(sorted(sizes)):
        started = time.perf_counter()
        rows.append(measure(app, url, size, location, f"fleet{i + 1}", jobs))
        print(f"measured {rows[-1]['stores']} stores in {time.perf_counter() - started:.0f}s: {rows[-1]}", flush=True)
    report(rows)
    cleanup(instance)
    shutil.rmtree(location.parent, ignore_errors=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000])

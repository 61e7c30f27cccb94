"""`tenants migrate` over many stores: once with nothing to apply, once with one added
column (a revision written to a temporary copy of migrations/tenant).

    python -m bench.tenants_migrate [STORES] [JOBS]
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_app, cleanup

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


def _make_stores(app, n: int) -> list[str]:
    from sqlalchemy import select

    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store
    from app.extensions import db

    with app.app_context():
        have = db.session.scalars(select(Store.schema_name).where(Store.status != "deleted")).all()
        stamp = int(time.time()) % 100000
        for i in range(len(have), n):
            create_store(None, f"mig-{stamp}-{i}", f"Mig {i}", f"o{i}@mig.cn", None, plan_code="pro")
            db.session.commit()  # one store's locks per transaction
        return db.session.scalars(select(Store.schema_name).where(Store.status != "deleted").order_by(Store.id)).all()[:n]


def main(n: int = 500, jobs: int = 4) -> None:
    app, instance = bench_app()
    from app.core.schemas import TENANT_MIGRATIONS, migrate_schemas, tenant_head

    started = time.perf_counter()
    schemas = _make_stores(app, n)
    print(f"set-up: {len(schemas)} stores in {time.perf_counter() - started:.1f}s")
    with app.app_context():
        from app.extensions import db
        url = db.engine.url.render_as_string(hide_password=False)
    for j in (1, jobs):
        started = time.perf_counter()
        results = migrate_schemas(url, schemas, jobs=j)
        took = time.perf_counter() - started
        ok = sum(r.ok for r in results)
        print(f"migrate, nothing to apply, jobs={j}: {ok}/{len(results)} ok in {took:.2f}s "
              f"({took / len(results) * 1000:.1f} ms per store)")
    location = Path(tempfile.mkdtemp(prefix="houtai-mig-")) / "tenant"
    shutil.copytree(TENANT_MIGRATIONS, location)
    head = tenant_head()
    for rev, j in (("bench1", 1), ("bench2", jobs)):
        (location / "versions" / f"{rev}_add_column.py").write_text(REVISION.format(rev=rev, head=head))
        head = rev
        started = time.perf_counter()
        results = migrate_schemas(url, schemas, jobs=j, location=location)
        took = time.perf_counter() - started
        ok = sum(r.ok and r.after == rev for r in results)
        print(f"migrate, one added column, jobs={j}: {ok}/{len(results)} upgraded in {took:.2f}s "
              f"({took / len(results) * 1000:.1f} ms per store)")
    cleanup(instance)
    shutil.rmtree(location.parent, ignore_errors=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 500, int(args[1]) if len(args) > 1 else 4)

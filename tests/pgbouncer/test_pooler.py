"""Through a real PgBouncer in transaction mode: no request fails and no row lands in another
store's schema, the worker and `tenants migrate` work, and the guard that makes it so
(psycopg's prepared statements off) cannot silently go."""
from __future__ import annotations

import shutil
import threading
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select, text

from app.blueprints.platform.models import Store
from app.core import jobs
from app.core.db import connect_args
from app.core.schemas import TENANT_MIGRATIONS, migrate_schemas, tenant_head
from app.extensions import db
from tests.conftest import StoreInfo, wait_for
from tests.support.handlers import database_port_job, prepared_statements_job
from tests.support.migrations import ADDED_COLUMN


def _in_schema(direct_app, schema: str, marker: str) -> int:
    """Rows of any table of `schema` whose text contains `marker`, read straight from PostgreSQL."""
    with direct_app.app_context(), db.engine.connect() as conn:
        tables = conn.execute(text("SELECT table_name FROM information_schema.tables "
                                   "WHERE table_schema = :s AND table_type = 'BASE TABLE'"), {"s": schema}).scalars()
        return sum(conn.execute(text(f'SELECT count(*) FROM "{schema}"."{t}" AS r WHERE r::text LIKE :m'),
                                {"m": f"%{marker}%"}).scalar() for t in list(tables))


def test_the_group_really_runs_through_pgbouncer(app, pgbouncer):
    with app.app_context():
        assert db.engine.url.port == pgbouncer.port
        job = jobs.enqueue(database_port_job)
        wait_for(lambda: job.get_status(refresh=True) == "finished")
        assert job.return_value() == pgbouncer.port  # the worker too
        job = jobs.enqueue(prepared_statements_job, 10)
        wait_for(lambda: job.get_status(refresh=True) == "finished")
        assert job.return_value() == 0
    pools = [p for p in pgbouncer.show("POOLS") if p["database"] == pgbouncer.database]
    assert pools and pools[0]["pool_mode"] == "transaction"
    assert pgbouncer.show("CONFIG") and pgbouncer.proc.poll() is None


def _two_stores_take_turns(direct_app, threshold, a: StoreInfo, b: StoreInfo, label: str) -> list[str]:
    """Two clients connected with the app's connection arguments, two stores, writes
    interleaved so that each client meets the server connection the other one used before
    (PgBouncer lends the connection released last), through a PgBouncer of their own with
    two server connections. Returns the errors met."""
    import psycopg

    from tests.support.pgbouncer import PgBouncer

    bouncer = PgBouncer(direct_app.config["SQLALCHEMY_DATABASE_URI"], pool_size=2).start()
    args = connect_args({"DB_PREPARE_THRESHOLD": threshold})
    c1, c2 = psycopg.connect(bouncer.conninfo, **args), psycopg.connect(bouncer.conninfo, **args)
    errors = []

    def write(conn, store, n):
        conn.execute(f'INSERT INTO "{store.schema}".audit_log (at, actor_realm, actor_name, action, object_label, '
                     "changes) VALUES (now(), 'system', 'system', 'pooler.turns', %s, '{}')",
                     [f"{label}-{store.slug}-{n}"])

    try:
        with c1.transaction():
            write(c1, a, 0)                 # client 1 holds server connection 1
            with c2.transaction():
                write(c2, b, 0)             # client 2 gets server connection 2
        for n in range(1, 4):               # connection 1 was released last
            for conn, store in ((c2, b), (c1, a)):
                try:
                    with conn.transaction():
                        write(conn, store, n)
                except psycopg.Error as err:  # what the test reports
                    errors.append(type(err).__name__)
    finally:
        c1.close()
        c2.close()
        bouncer.stop()
    return errors


def test_forced_prepares_through_pgbouncer_write_one_stores_rows_into_another(app, direct_app, pgbouncer,
                                                                             make_store):
    """The leak this group guards against: with prepares forced on (DB_PREPARE_THRESHOLD=0)
    store B's audit rows land in store A's schema. If this test fails, the pooler no longer
    shows the problem and the guard below proves nothing: find out why before removing it."""
    a, b = make_store(), make_store()
    _two_stores_take_turns(direct_app, 0, a, b, "forced")
    assert _in_schema(direct_app, a.schema, f"forced-{b.slug}-") == 3  # B's rows 1-3, in A's schema
    assert _in_schema(direct_app, b.schema, f"forced-{b.slug}-") == 1


def test_the_apps_settings_keep_every_row_in_its_store_through_pgbouncer(app, direct_app, pgbouncer, make_store):
    a, b = make_store(), make_store()
    errors = _two_stores_take_turns(direct_app, app.config["DB_PREPARE_THRESHOLD"], a, b, "default")
    assert errors == []
    assert _in_schema(direct_app, a.schema, f"default-{b.slug}-") == 0
    assert _in_schema(direct_app, b.schema, f"default-{a.slug}-") == 0
    assert _in_schema(direct_app, a.schema, f"default-{a.slug}-") == 4
    assert _in_schema(direct_app, b.schema, f"default-{b.slug}-") == 4


def test_two_stores_writing_and_listing_concurrently_never_fail_or_mix(app, direct_app, pgbouncer, make_store):
    """8 threads interleave two stores' order notes with their list and detail pages, through
    the WSGI app, its SQLAlchemy pool (up to 20 clients) and PgBouncer's 4 server connections."""
    from tests.orders.test_orders import _place, _shop

    stores = [make_store(), make_store()]
    orders = {}
    for store in stores:
        (sku,), _wh = _shop(app, store)
        orders[store.slug] = _place(app, store, [(sku, 1)])
    threads, rounds = 8, 12
    failures: list[tuple] = []
    written = Counter()
    lock = threading.Lock()

    def shopper(i: int) -> None:
        clients = {}
        for store in stores:
            clients[store.slug] = app.test_client()
            clients[store.slug].login("store", store.owner_email, slug=store.slug)
        for n in range(rounds):
            store = stores[(i + n) % 2]
            client, order_id = clients[store.slug], orders[store.slug]
            base = f"/store/{store.slug}/orders"
            note = f"mixnote-{store.slug}-{i}-{n}"
            for method, path, response in (
                ("POST", f"{base}/{order_id}/note", lambda: client.form(f"{base}/{order_id}/note", {"note": note})),
                ("GET", f"{base}/", lambda: client.get(f"{base}/")),
                ("GET", f"{base}/{order_id}", lambda: client.get(f"{base}/{order_id}")),
            ):
                try:
                    status = response().status_code
                except Exception as err:  # a failure is what this test counts
                    status = repr(err)
                if status not in (200, 302, 303):
                    with lock:
                        failures.append((method, path, status))
            with lock:
                written[store.slug] += 1

    workers = [threading.Thread(target=shopper, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert failures == []
    a, b = stores
    assert sum(written.values()) == threads * rounds
    for own, other in ((a, b), (b, a)):
        assert _in_schema(direct_app, own.schema, f"mixnote-{own.slug}-") == written[own.slug]
        assert _in_schema(direct_app, own.schema, f"mixnote-{other.slug}-") == 0


def test_tenants_migrate_through_pgbouncer(app, direct_app, pgbouncer, make_store, tmp_path):
    """The CLI over a fleet, then a real upgrade of 12 stores by two processes, all through the pooler."""
    from app.blueprints.platform.services import delete_store

    stores = [make_store() for _ in range(12)]
    args = [a for s in stores for a in ("--store", s.slug)]
    result = app.test_cli_runner().invoke(args=["tenants", "migrate", "-j", "2", *args])
    assert result.exit_code == 0, result.output
    assert result.output.count("up to date") == 12
    location = tmp_path / "tenant"
    shutil.copytree(TENANT_MIGRATIONS, location)
    (location / "versions" / "pgb1_added_column.py").write_text(ADDED_COLUMN.format(head=tenant_head()))
    try:
        results = migrate_schemas(pgbouncer.url, [s.schema for s in stores], jobs=2, location=location,
                                  args=connect_args(app.config), per_process=6)
        assert [r.error for r in results if not r.ok] == []
        assert {r.after for r in results} == {"pgb1"}
        with direct_app.app_context():
            columns = db.session.execute(text(
                "SELECT count(*) FROM information_schema.columns WHERE column_name = 'through_pgbouncer' "
                "AND table_schema = ANY(:s)"), {"s": [s.schema for s in stores]}).scalar()
            assert columns == 12
    finally:
        with app.app_context():  # these schemas are ahead of the real migrations: drop them
            for s in stores:  # one store's locks per transaction
                delete_store(None, db.session.get(Store, s.id), s.slug)
                db.session.commit()
    assert Path(location).exists()


def test_platform_pages_and_store_counts_through_pgbouncer(app, platform_admin, make_store):
    make_store()
    assert platform_admin.get("/platform/stores").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Store)) >= 1

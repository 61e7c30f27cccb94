"""Fleet operations (create many, migrate, delete) hold at most one store's locks per
transaction, and the embedded PostgreSQL has a lock table sized for many stores."""
import shutil

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app.blueprints.platform.models import Store
from app.blueprints.platform.services import create_store, delete_store
from app.core.embedded import EMBEDDED_SETTINGS
from app.core.schemas import TENANT_MIGRATIONS, FleetTransactionError, migrate_schemas, tenant_head
from app.extensions import db
from tests.conftest import unique
from tests.support.migrations import ADDED_COLUMN

pytestmark = pytest.mark.schema_pool_paused  # they count pooled schemas and what each commit locks

# (store schemas whose relations this transaction has locked, relation locks it holds)
LOCKS = text(
    "SELECT (SELECT count(DISTINCT n.nspname) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.pid = pg_backend_pid() AND n.nspname LIKE 'store\\_%'), "
    "(SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation')")


@pytest.fixture()
def locked_schemas_at_commit():
    """(store schemas, relation locks) held by each transaction as it commits."""
    seen: list[tuple[int, int]] = []

    def count(conn):
        with conn.connection.dbapi_connection.cursor() as cur:
            cur.execute(str(LOCKS))
            seen.append(tuple(cur.fetchone()))

    event.listen(Engine, "commit", count)
    yield seen
    event.remove(Engine, "commit", count)


def test_the_embedded_server_has_room_for_tens_of_thousands_of_tenant_tables(app):
    with app.app_context():
        locks = int(db.session.execute(text("SHOW max_locks_per_transaction")).scalar())
        connections = int(db.session.execute(text("SHOW max_connections")).scalar())
    assert locks == EMBEDDED_SETTINGS["max_locks_per_transaction"] >= 1024
    assert locks * connections >= 50_000


def test_a_second_store_created_in_the_same_transaction_is_refused(app):
    with app.app_context():
        create_store(None, unique("fleet"), "One", f"{unique('o')}@fleet.cn", None)
        with pytest.raises(FleetTransactionError, match="one store's locks per transaction"):
            create_store(None, unique("fleet"), "Two", f"{unique('o')}@fleet.cn", None)
        db.session.rollback()


def test_fleet_migrate_and_delete_hold_one_stores_locks_per_transaction(app, make_store, tmp_path,
                                                                       locked_schemas_at_commit):
    stores = [make_store() for _ in range(4)]
    with app.app_context():
        one_store = db.session.execute(text("SELECT count(*) FROM pg_class WHERE relnamespace = CAST(:s AS regnamespace)"),
                                       {"s": stores[0].schema}).scalar()
    location = tmp_path / "tenant"
    shutil.copytree(TENANT_MIGRATIONS, location)
    (location / "versions" / "pgb1_added_column.py").write_text(ADDED_COLUMN.format(head=tenant_head()))
    locked_schemas_at_commit.clear()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    results = migrate_schemas(url, [s.schema for s in stores], jobs=1, location=location)
    assert [r.after for r in results] == ["pgb1"] * 4
    assert len(locked_schemas_at_commit) >= 4
    assert max(schemas for schemas, _ in locked_schemas_at_commit) == 1
    locked_schemas_at_commit.clear()
    with app.app_context():
        for s in stores:
            delete_store(None, db.session.get(Store, s.id), s.slug)
            db.session.commit()
    # a dropped schema's relations are gone from the catalog: count the locks instead
    assert len(locked_schemas_at_commit) == 4
    assert max(locks for _, locks in locked_schemas_at_commit) < 2 * one_store  # toast tables add some

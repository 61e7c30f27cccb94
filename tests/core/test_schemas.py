"""Store schemas: creation is all-or-nothing, and models and migrations agree."""
import pytest
from sqlalchemy import select, text

from app.blueprints.platform import services
from app.blueprints.platform.models import Store
from app.core.errors import DomainError
from app.core.schemas import create_tenant_schema, drop_tenant_schema, tenant_script, upgrade_tenant
from app.extensions import db

pytestmark = pytest.mark.schema_pool_paused  # they count pooled schemas and what each commit locks


def _describe(conn, schema: str) -> dict:
    columns = conn.execute(text(
        "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = :s ORDER BY 1, 2"), {"s": schema}).all()
    constraints = conn.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = CAST(:s AS regnamespace) ORDER BY 2"), {"s": schema}).all()
    indexes = conn.execute(text(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = :s ORDER BY 2"), {"s": schema}).all()
    # the rules the database holds itself (the ledger's triggers): same functions, same triggers
    triggers = conn.execute(text(
        "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace = CAST(:s AS regnamespace) "
        "ORDER BY 2"), {"s": schema}).all()
    functions = conn.execute(text(
        "SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = CAST(:s AS regnamespace) "
        "ORDER BY 1"), {"s": schema}).all()
    strip = lambda rows: sorted(tuple(str(v).replace(schema + ".", "") for v in row) for row in rows)  # noqa: E731
    return {"columns": strip(columns), "constraints": strip(constraints), "indexes": strip(indexes),
            "triggers": strip(triggers), "functions": strip(functions)}


def test_fresh_store_schema_equals_one_migrated_step_by_step(app):
    with app.app_context(), db.engine.connect() as conn:
        for schema in ("store_900001", "store_900002"):
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.commit()
        with conn.begin():
            create_tenant_schema(conn, "store_900001")
        conn.execute(text("CREATE SCHEMA store_900002"))
        conn.commit()
        script = tenant_script()
        revisions = list(reversed(list(script.walk_revisions())))
        for rev in revisions:  # one revision at a time, from the first
            upgrade_tenant(conn, "store_900002", target=rev.revision, script=script)
        fresh, migrated = _describe(conn, "store_900001"), _describe(conn, "store_900002")
        conn.rollback()
        for schema in ("store_900001", "store_900002"):  # one store's locks per transaction
            with conn.begin():
                drop_tenant_schema(conn, schema)
    assert fresh["columns"] and fresh["triggers"] and fresh == migrated


def test_failed_store_creation_leaves_no_schema_and_no_record(app, monkeypatch):
    from app.blueprints.store import services as store_services

    def broken_seed(*args, **kwargs):
        raise DomainError("seeding failed")

    monkeypatch.setattr(store_services, "seed_store", broken_seed)
    with app.app_context():
        with pytest.raises(DomainError):
            services.create_store(None, "half-store", "Half", "o@half.cn", "long-enough-pw")
        db.session.rollback()
        assert db.session.scalar(select(Store).where(Store.slug == "half-store")) is None
        leftover = db.session.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'store_%' AND nspname NOT IN "
            "(SELECT schema_name FROM platform.stores WHERE schema_name IS NOT NULL)")).scalars().all()
        assert leftover == []


@pytest.mark.parametrize("slug, message", [
    ("ab", "3 to 40"), ("bad!chars", "3 to 40"), ("has space", "3 to 40"), ("x" * 41, "3 to 40"),
    ("-lead", "hyphen"), ("trail-", "hyphen"), ("dou--ble", "hyphen"), ("admin", "reserved"), ("api", "reserved"),
])
def test_bad_slugs_are_refused_with_a_clear_reason(app, slug, message):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(DomainError) as err:
            services.create_store(None, slug, "Name", "o@x.cn", "long-enough-pw")
        db.session.rollback()
    assert message in err.value.message and err.value.field == "slug"


def test_slug_taken_is_refused(app, store):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(DomainError) as err:
            services.create_store(None, store.slug, "Again", "o@x.cn", "long-enough-pw")
        db.session.rollback()
    assert "taken" in err.value.message


def test_payment_migration_grants_reconciliation_to_existing_finance_roles(app):
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS store_900003 CASCADE"))
        conn.execute(text("CREATE SCHEMA store_900003"))
        conn.commit()
        upgrade_tenant(conn, "store_900003", target="0013")
        conn.execute(text("INSERT INTO store_900003.roles (builtin, name, description, permissions, created_at) VALUES "
                          "('finance', 'finance', '', ARRAY['payments.view'], now()), "
                          "('operations', 'operations', '', ARRAY['payments.view'], now())"))
        conn.commit()
        upgrade_tenant(conn, "store_900003")
        granted = dict(conn.execute(text("SELECT builtin, permissions FROM store_900003.roles")).all())
        conn.rollback()
        with conn.begin():
            drop_tenant_schema(conn, "store_900003")
    # (operations gains the dispatch permissions from the dispatch migration, 0020, both gain the member
    # permissions from 0026 and the invoice permissions from 0033)
    assert granted == {"finance": ["payments.view", "payments.reconcile", "members.view", "members.cards",
                                   "invoices.view", "invoices.issue"],
                       "operations": ["payments.view", "dispatch.view", "dispatch.manage", "dispatch.work",
                                      "members.view", "members.manage", "members.points", "invoices.view"]}


def test_a_claimed_pooled_schema_equals_a_freshly_built_one(app):
    """A store that got its schema from the pool (built earlier, then renamed) has exactly the
    tables, columns, defaults, constraints and indexes of one built for it."""
    from app.blueprints.platform import schema_pool

    with app.app_context():
        schema_pool.refill(schema_pool.ready() + 1)
        with db.session.begin_nested():
            assert schema_pool.claim("store_900003") is not None
            claimed = _describe(db.session.connection(), "store_900003")
        db.session.rollback()  # the claimed schema goes back to the pool
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS store_900004 CASCADE"))
        conn.commit()
        with conn.begin():
            create_tenant_schema(conn, "store_900004")
        fresh = _describe(conn, "store_900004")
        conn.rollback()
        with conn.begin():
            drop_tenant_schema(conn, "store_900004")
    assert claimed["columns"] and claimed == fresh

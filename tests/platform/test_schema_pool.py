"""The pool of pre-built store schemas: kept full one schema per transaction, claimed by a
rename in the store's own creating transaction, never twice, and only when at head."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from app.blueprints.platform import schema_pool
from app.blueprints.platform.models import PooledSchema, Store
from app.blueprints.platform.services import create_store
from app.core import jobs, periodic
from app.core.schemas import schema_version, tenant_head
from app.extensions import db
from tests.conftest import PASSWORD, unique

pytestmark = pytest.mark.schema_pool_paused  # they count pooled schemas and what each commit locks


def _schema_oids(prefix: str) -> dict[str, int]:
    return dict(db.session.execute(text(
        "SELECT nspname, oid::int FROM pg_namespace WHERE nspname LIKE :p"), {"p": f"{prefix}%"}).all())


def _fill(n: int) -> None:
    """At least `n` pooled schemas ready."""
    schema_pool.refill(schema_pool.ready() + max(0, n - schema_pool.ready()))


def test_refill_keeps_k_schemas_built_at_head(app):
    with app.app_context():
        _fill(2)
        rows = db.session.scalars(select(PooledSchema).where(PooledSchema.version == tenant_head())).all()
        assert len(rows) >= 2
        for row in rows:
            assert schema_version(db.session.connection(), row.schema_name) == tenant_head()
        assert schema_pool.refill(len(rows)) == 0  # full: nothing to build
        db.session.commit()


def test_creating_a_store_claims_a_pooled_schema_and_its_owner_signs_in(app, client):
    slug = unique("pooled")
    with app.app_context():
        _fill(1)
        before = _schema_oids("pool_")
        oldest = db.session.scalar(select(PooledSchema.schema_name).where(PooledSchema.version == tenant_head())
                                   .order_by(PooledSchema.id).limit(1))
        store = create_store(None, slug, "Pooled", f"owner@{slug}.cn", PASSWORD, default_locale="en")
        db.session.commit()
        schema, oid = store.schema_name, _schema_oids(store.schema_name)[store.schema_name]
        assert before[oldest] == oid                  # the very schema that waited in the pool
        assert oldest not in _schema_oids("pool_")
        assert db.session.scalar(select(func.count()).select_from(PooledSchema)
                                 .where(PooledSchema.schema_name == oldest)) == 0
        assert schema_version(db.session.connection(), schema) == tenant_head()
        db.session.commit()
    client.login("store", f"owner@{slug}.cn", slug=slug)
    assert client.get(f"/store/{slug}/").status_code == 200


def test_a_store_is_built_when_the_pool_is_empty_and_a_failed_creation_returns_the_schema(app, monkeypatch):
    with app.app_context():
        _fill(1)
        pooled = schema_pool.ready()
        from app.blueprints.store import services as store_services

        def boom(*args, **kwargs):
            raise RuntimeError("seeding failed")

        monkeypatch.setattr(store_services, "seed_store", boom)
        slug = unique("rollback")
        try:
            create_store(None, slug, "Fails", f"o@{slug}.cn", None)
        except RuntimeError:
            db.session.rollback()
        monkeypatch.undo()
        assert schema_pool.ready() == pooled      # the rename rolled back with the rest
        monkeypatch.setattr(schema_pool, "claim", lambda schema: None)  # as with an empty pool
        store = create_store(None, unique("built"), "Built", "o@built.cn", None)
        db.session.commit()
        assert schema_version(db.session.connection(), store.schema_name) == tenant_head()
        assert schema_pool.ready() == pooled
        db.session.commit()


def test_a_pooled_schema_behind_head_is_not_claimed(app):
    with app.app_context():
        _fill(1)
        rows = db.session.scalars(select(PooledSchema).where(PooledSchema.version == tenant_head())).all()
        for row in rows:  # as if a migration shipped and `tenants migrate` has not run yet
            db.session.execute(text(f'UPDATE "{row.schema_name}".alembic_version SET version_num = :v'), {"v": "0001"})
        db.session.commit()
        try:
            store = create_store(None, unique("behind"), "Behind", "o@behind.cn", None)
            db.session.commit()
            assert store.schema_name not in [r.schema_name for r in rows]
            assert store.schema_name in _schema_oids(store.schema_name)
            assert {r.version for r in db.session.scalars(select(PooledSchema))} >= {"0001"}
        finally:
            for row in rows:
                db.session.execute(text(f'UPDATE "{row.schema_name}".alembic_version SET version_num = :v'),
                                   {"v": tenant_head()})
                db.session.execute(text("UPDATE platform.schema_pool SET version = :v WHERE id = :id"),
                                   {"v": tenant_head(), "id": row.id})
            db.session.commit()


def test_tenants_migrate_upgrades_the_pooled_schemas_too(app):
    with app.app_context():
        _fill(1)
        name = db.session.scalar(select(PooledSchema.schema_name).order_by(PooledSchema.id.desc()).limit(1))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["tenants", "migrate", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert f"(pool) {name}" in result.output and "pre-built" in result.output


def test_twenty_concurrent_signups_never_claim_the_same_schema(app):
    with app.app_context():
        _fill(10)
        pool_before = _schema_oids("pool_")
        db.session.commit()
    results, errors = {}, []

    def sign_up(i: int) -> None:
        slug = unique(f"rush{i}")
        try:
            with app.app_context():
                store = create_store(None, slug, f"Rush {i}", f"o@{slug}.cn", None)
                db.session.commit()
                results[slug] = store.schema_name
        except Exception as err:  # every sign-up must succeed
            errors.append(repr(err))

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 20 and len(set(results.values())) == 20
    with app.app_context():
        oids = {name: _schema_oids(name)[name] for name in results.values()}
        claimed = set(oids.values()) & set(pool_before.values())
        assert len(claimed) >= 1                      # sign-ups did take from the pool
        left = _schema_oids("pool_")
        assert len(left) == len(pool_before) - len(claimed)
        rows = set(db.session.scalars(select(PooledSchema.schema_name)))
        assert rows == set(left)                      # no row without its schema, no schema without its row
        for schema in results.values():
            assert schema_version(db.session.connection(), schema) == tenant_head()
        db.session.commit()


def test_the_refill_job_is_periodic_and_requeues_itself_until_full(app, monkeypatch):
    from rq import cron

    from app.blueprints.platform.jobs import refill_schema_pool

    scheduler = cron.CronScheduler(connection=app.extensions["houtai_redis"])
    scheduler.load_config_from_file("app.cron")
    assert f"platform:{refill_schema_pool.job_name}" in {job.name for job in scheduler.get_jobs()}
    assert refill_schema_pool.job_name in {p.job_name for p in periodic.PLATFORM_PERIODIC}
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda fn, *a, **k: queued.append(fn))
    with app.app_context():
        monkeypatch.setitem(app.config, "SCHEMA_POOL_SIZE", schema_pool.ready() + 2)
        assert jobs.run_job(refill_schema_pool.job_name, None, [], {}) == 1
        assert queued == [refill_schema_pool]
        assert jobs.run_job(refill_schema_pool.job_name, None, [], {}) == 1
        assert len(queued) == 1                       # full now: not queued again
        assert db.session.scalar(select(func.count()).select_from(Store)) >= 0


def test_a_store_from_the_pool_costs_eight_round_trips_with_its_owner_invited(app):
    """Read (slug free, plan, new id), take the pooled schema, check its revision and rename it
    (one round trip), the store row, the roles in one multi-row insert, the owner, two audit entries."""
    from tests.support.crud import QueryCounter

    with app.app_context():
        _fill(1)
        db.session.commit()
        slug = unique("nine")
        with QueryCounter(db.engine) as counter:
            store = create_store(None, slug, "Nine", f"o@{slug}.cn", None, plan_code="pro")
            db.session.commit()
        assert counter.count <= 8, "\n".join(s.split("\n")[0][:120] for s in counter.statements)
        assert any("ALTER SCHEMA" in s for s in counter.statements)  # it did come from the pool
        assert store.staff_count == 1 and store.last_activity_at is not None and store.plan.code == "pro"
        assert store.invitation_token
        db.session.commit()

"""Every process connects with psycopg's server-side prepares off (DESIGN rule 4): behind a
transaction-mode pooler a prepared statement outlives the client that named it and can run
for another store. DB_PREPARE_THRESHOLD turns them back on for direct connections."""
from sqlalchemy import create_engine, text

from app.core import jobs
from app.core.db import connect_args, engine_options, fleet_engine
from app.core.schemas import migrate_schemas
from app.extensions import db
from tests.conftest import wait_for
from tests.support.handlers import prepared_statements_job

QUERY = text("SELECT count(*) FROM platform.stores WHERE id > :n")


def _prepared_after_runs(conn, runs: int = 10) -> int:
    for _ in range(runs):
        conn.execute(QUERY, {"n": 0})
    return conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()


def test_web_requests_never_prepare_statements_on_the_server(app):
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.connection.driver_connection.prepare_threshold is None
            assert _prepared_after_runs(conn) == 0


def test_worker_jobs_never_prepare_statements_on_the_server(app):
    with app.app_context():
        job = jobs.enqueue(prepared_statements_job, 10)
        wait_for(lambda: job.get_status(refresh=True) == "finished")
        assert job.return_value() == 0


def test_fleet_migrations_never_prepare_statements_by_default(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = fleet_engine(url)
    with engine.connect() as conn:
        assert _prepared_after_runs(conn) == 0
    engine.dispose()
    assert migrate_schemas(url, [], args=connect_args(app.config)) == []


def test_a_threshold_turns_prepares_back_on_for_direct_connections(app):
    options = engine_options({"DB_PREPARE_THRESHOLD": "2", "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1}})
    assert options == {"pool_size": 1, "connect_args": {"prepare_threshold": 2}}
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], **options)
    with engine.connect() as conn:
        assert _prepared_after_runs(conn) >= 1
    engine.dispose()
    for off in (None, "", "none", "off"):
        assert connect_args({"DB_PREPARE_THRESHOLD": off}) == {"prepare_threshold": None}


def test_pooled_connections_are_recycled_by_default(app):
    """A backend keeps the catalog of every store it touched until it ends (bench/fleet.py)."""
    with app.app_context():
        assert db.engine.pool._recycle == 1800
    assert engine_options({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 60}})["pool_recycle"] == 60

"""The `pgbouncer` group: the app, its worker and the CLI run through a real PgBouncer in
transaction mode (tests/support/pgbouncer.py, started from deploy/pgbouncer.ini) with fewer
server connections than clients, so that clients really take turns on server connections.

The fixtures are package-scoped: after the group the suite goes on with the direct app and
worker."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Client, WorkerProcess

HERE = Path(__file__).parent
SERVER_CONNECTIONS = 4


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.pgbouncer)


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


@pytest.fixture(scope="package")
def app(suite_app):
    """The suite's app again, with DATABASE_URL pointing at PgBouncer (the direct one stays
    reachable as `direct_app`)."""
    from app import create_app
    from tests.support.pgbouncer import BINARY, PgBouncer

    if not os.path.exists(BINARY):
        pytest.fail(f"PgBouncer not found at {BINARY}: apt-get install pgbouncer (make test does it as root)")
    bouncer = PgBouncer(suite_app.config["SQLALCHEMY_DATABASE_URI"], pool_size=SERVER_CONNECTIONS).start()
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = bouncer.url  # workers and CLI processes started by the group
    through = create_app({"TESTING": True, "SERVER_NAME": None, "DATABASE_URL": bouncer.url})
    through.test_client_class = Client
    through.extensions["test_pgbouncer"] = bouncer
    through.extensions["test_direct_app"] = suite_app
    through.extensions["test_restore_env"] = lambda: _restore("DATABASE_URL", saved)
    yield through
    _restore("DATABASE_URL", saved)
    with through.app_context():
        from app.extensions import db

        db.engine.dispose()
    bouncer.stop()


@pytest.fixture(scope="package")
def pgbouncer(app):
    return app.extensions["test_pgbouncer"]


@pytest.fixture(scope="package")
def direct_app(app):
    return app.extensions["test_direct_app"]


@pytest.fixture(scope="package", autouse=True)
def worker(worker, app):
    """The suite's worker is stopped for the group; this one connects through PgBouncer."""
    worker.stop()
    process = WorkerProcess().start(take_over_scheduler=True)
    yield process
    process.stop()
    app.extensions["test_restore_env"]()  # the suite's worker goes straight to PostgreSQL again
    worker.start(take_over_scheduler=True)

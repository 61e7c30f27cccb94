"""Store schemas built ahead of time beside the tests, as production's periodic job does.

Production keeps SCHEMA_POOL_SIZE schemas built (app/blueprints/platform/jobs.py) and creates
a store by claiming one. The suite creates hundreds of stores, and building each one's 500
relations inside the test that asked for it was the largest share of a run. This process
(`python -m tests.support.schema_filler`, started by tests/conftest.py) keeps a few built
instead, on its own connection, so the database server builds them on its other core while
the tests run and the tests' stores are created the way production creates them. When the
pool runs dry, creation builds the schema as before.

Its statements are not the tests' (a separate process: the tests' statement counters never
see them). Tests that inspect the pool or count what each commit locks take
`@pytest.mark.schema_pool_paused`: `paused()` takes an advisory lock that each build holds
shared, so it waits for the schema being built and the next build waits for the test."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

PAUSE_KEY = 0x486F7550  # pg advisory lock key: "HouP"


class SchemaPoolFiller:
    def __init__(self, database_url: str, keep: int = 3):
        self.conninfo = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.keep = keep
        self.proc: subprocess.Popen | None = None

    def start(self) -> "SchemaPoolFiller":
        env = dict(os.environ, SCHEMA_FILLER_KEEP=str(self.keep))
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.schema_filler"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)   # a build in flight rolls back with its connection
            self.proc.wait()

    @contextmanager
    def paused(self):
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True, prepare_threshold=None) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (PAUSE_KEY,))
            yield


def main() -> None:
    from sqlalchemy import func, select

    from app import create_app
    from app.blueprints.platform import schema_pool
    from app.extensions import db

    parent, keep = os.getppid(), int(os.environ.get("SCHEMA_FILLER_KEEP", "3"))
    app = create_app()
    with app.app_context():
        while os.getppid() == parent:           # the test run is gone: stop too
            try:
                # held until refill's commit: paused() waits for this build, the next waits for it
                db.session.execute(select(func.pg_advisory_xact_lock_shared(PAUSE_KEY)))
                built = schema_pool.refill(target=keep, limit=1)
            except Exception:  # noqa: BLE001 - the server stopping at the end of the run, mostly
                db.session.rollback()
                built = 0
                time.sleep(1)
            db.session.remove()
            if not built:
                time.sleep(0.1)


if __name__ == "__main__":
    main()

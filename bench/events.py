"""Events per second from emit() through the outbox, the queue and a handler, with one
worker process; and the outbox-to-handler latency (event created -> handler done).

    python -m bench.events [EVENTS]
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

os.environ["HOUTAI_EXTRA_MODULES"] = "bench.handlers"

from bench.common import bench_app, cleanup, percentile  # noqa: E402


def _latencies(store_id, handler_name, since_id: int) -> list[float]:
    from sqlalchemy import select

    from app.blueprints.platform.models import Store
    from app.core import outbox
    from app.core.tenancy import store_context
    from app.extensions import db

    with store_context(db.session.get(Store, store_id)):
        rows = db.session.execute(select(outbox.OutboxEvent.created_at, outbox.HandlerRun.finished_at)
                                  .join(outbox.HandlerRun, outbox.HandlerRun.event_id == outbox.OutboxEvent.id)
                                  .where(outbox.HandlerRun.handler == handler_name,
                                         outbox.OutboxEvent.id > since_id)).all()
        db.session.rollback()
    return [(f - c).total_seconds() * 1000 for c, f in rows if f]


def _paced(app, store_id, handler_name, count: int, rate: float) -> list[float]:
    """Emit `count` events at `rate` per second (below capacity), then measure latency."""
    from sqlalchemy import func, select

    from app.blueprints.platform.models import Store
    from app.core import outbox
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context():
        with store_context(db.session.get(Store, store_id)):
            since = db.session.scalar(select(func.max(outbox.OutboxEvent.id))) or 0
            for i in range(count):
                outbox.emit("bench.tick", {"i": i})
                db.session.commit()
                time.sleep(1 / rate)
        time.sleep(2)
        return _latencies(store_id, handler_name, since)


def main(n: int = 1000) -> None:
    app, instance = bench_app()
    from sqlalchemy import func, select

    from app.blueprints.platform.services import create_store
    from app.core import outbox
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context():
        store = create_store(None, f"ev-{int(time.time()) % 100000}", "Events", "o@ev.cn", None, plan_code="pro")
        db.session.commit()
        store_id = store.id
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    worker = subprocess.Popen([sys.executable, "-m", "app.worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(2)
    handler_name = "bench.handlers.tick"
    try:
        started = time.perf_counter()
        with app.app_context():
            from app.blueprints.platform.models import Store
            with store_context(db.session.get(Store, store_id)):
                for i in range(n):
                    outbox.emit("bench.tick", {"i": i})
                    db.session.commit()  # one transaction per event, as requests do
        emitted = time.perf_counter() - started
        with app.app_context():
            with store_context(db.session.get(Store, store_id)):
                while True:
                    done = db.session.scalar(select(func.count()).select_from(outbox.HandlerRun).where(
                        outbox.HandlerRun.handler == handler_name, outbox.HandlerRun.status == "done"))
                    db.session.rollback()
                    if done >= n or time.perf_counter() - started > 600:
                        break
                    time.sleep(0.2)
                total = time.perf_counter() - started
                rows = db.session.execute(select(outbox.OutboxEvent.created_at, outbox.HandlerRun.finished_at)
                                          .join(outbox.HandlerRun, outbox.HandlerRun.event_id == outbox.OutboxEvent.id)
                                          .where(outbox.HandlerRun.handler == handler_name)).all()
        latencies = [(f - c).total_seconds() * 1000 for c, f in rows if f]
        print(f"events: {n} emitted in {emitted:.2f}s ({n / emitted:.0f}/s into the outbox, one commit each)")
        print(f"events: {done} handled end to end in {total:.2f}s = {done / total:.0f} events/s with one worker "
              f"(each event also runs the webhook fan-out handler: 2 jobs per event)")
        print(f"latency while draining that backlog: p50={percentile(latencies, 50):.0f} ms "
              f"p95={percentile(latencies, 95):.0f} ms")
        paced = _paced(app, store_id, handler_name, 200, 20)
        print(f"outbox-to-handler latency at 20 events/s: p50={percentile(paced, 50):.0f} ms "
              f"p95={percentile(paced, 95):.0f} ms max={max(paced):.0f} ms (n={len(paced)})")
    finally:
        worker.terminate()
        worker.wait()
        cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)

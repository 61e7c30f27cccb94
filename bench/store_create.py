"""Store creation: schema, tables, roles and owner in one transaction, N times with the
schema built, then N times claiming a schema from the pool of pre-built ones.

    python -m bench.store_create [N]
"""
from __future__ import annotations

import sys
import time

from bench.common import bench_app, cleanup, summary


def main(n: int = 200) -> None:
    app, instance = bench_app()
    app.config["SCHEMA_POOL_SIZE"] = 0  # the bench fills the pool itself, untimed
    from app.blueprints.platform import schema_pool
    from app.blueprints.platform.services import create_store
    from app.extensions import db

    timings = {"built": [], "pool": []}
    with app.app_context():
        stamp = int(time.time()) % 100000
        for path in ("built", "pool"):
            if path == "pool":
                started = time.perf_counter()
                schema_pool.refill(n)
                print(f"pool filled with {n} schemas in {time.perf_counter() - started:.1f}s (the periodic job's work)")
            for i in range(n):
                started = time.perf_counter()
                create_store(None, f"bench-{path}-{stamp}-{i}", f"Bench {i}", f"owner{i}@bench.cn", None,
                             plan_code="pro")
                db.session.commit()
                timings[path].append(time.perf_counter() - started)
    print(summary(f"store creation, schema built ({n} stores, owner invited, commit included)", timings["built"]))
    print(summary(f"store creation, schema from the pool ({n} stores, owner invited, commit included)",
                  timings["pool"]))
    cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

"""Store creation: schema, tables, roles and owner in one transaction, 200 times.

    python -m bench.store_create [N]
"""
from __future__ import annotations

import sys
import time

from bench.common import bench_app, cleanup, summary


def main(n: int = 200) -> None:
    app, instance = bench_app()
    from app.blueprints.platform.services import create_store
    from app.extensions import db

    timings = []
    with app.app_context():
        stamp = int(time.time()) % 100000
        for i in range(n):
            started = time.perf_counter()
            create_store(None, f"bench-{stamp}-{i}", f"Bench {i}", f"owner{i}@bench.cn", None, plan_code="pro")
            db.session.commit()
            timings.append(time.perf_counter() - started)
    print(summary(f"store creation ({n} stores, owner invited, commit included)", timings))
    cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

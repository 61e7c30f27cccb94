"""Reservations per second: on one hot SKU with 16 concurrent clients (next to a bare
conditional UPDATE on the same PostgreSQL, reported as a ratio), and spread over 10,000 SKUs.

    python -m bench.reservations [SECONDS]
"""
from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import bench_app, cleanup

CLIENTS = 16


def _run(fn, seconds: float) -> int:
    stop = time.monotonic() + seconds
    counts = [0] * CLIENTS

    def client(i):
        while time.monotonic() < stop:
            if fn(i):
                counts[i] += 1

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return sum(counts)


def main(seconds: float = 5.0) -> None:
    app, instance = bench_app()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": CLIENTS + 4}
    from sqlalchemy import text

    from app.blueprints.catalog import services as catalog
    from app.blueprints.inventory import services
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context():
        store = create_store(None, f"res-{int(time.time()) % 100000}", "Res", "o@res.cn", None, plan_code="pro")
        db.session.commit()
        store_id = store.id
        bound = db.session.get(Store, store_id)
        db.session.expunge(bound)
    with app.app_context(), store_context(bound) as b:
        schema = b.schema
        category = catalog.create_category(None, "压测")
        wh = services.save_warehouse(None, None, "W1", "仓", "own", "", 1, True)
        db.session.flush()
        conn = db.session.connection()
        product = catalog.save_product(None, None, title="热销", category_id=category.id)
        db.session.flush()
        hot = product.skus[0].id
        conn.execute(text(f"INSERT INTO {schema}.skus (product_id, code, barcode, options, option_key, list_price, "
                          f"sale_price, cost_price, enabled, ever_sold, hs_code, origin_country, consumption_tax_bp, "
                          f"duty_bp, created_at) SELECT :p, 'R-' || n, '', '{{}}', 'k' || n, 100, 100, 0, true, false, "
                          f"'', '', 0, 0, now() FROM generate_series(1, 10000) n"), {"p": product.id})
        spread = [r[0] for r in conn.execute(text(f"SELECT id FROM {schema}.skus WHERE code LIKE 'R-%' ORDER BY id"))]
        for sku_id in [hot] + spread:
            services._ensure_level(sku_id, wh.id)
        conn.execute(text(f"UPDATE {schema}.stock_levels SET on_hand = 100000000"))
        db.session.commit()
        wh_id = wh.id
    seq = iter(range(10 ** 9))
    lock = threading.Lock()

    def next_ref():
        with lock:
            return next(seq)

    def reserve(sku_of):
        def attempt(i):
            with app.app_context(), store_context(bound):
                services.reserve([services.Line(sku_of(i), 1)], f"b-{next_ref()}")
                db.session.commit()
            return True
        return attempt

    def bare(i):
        with app.app_context():
            db.session.execute(text(f"UPDATE {schema}.stock_levels SET reserved = reserved + 1 WHERE sku_id = :s "
                                    f"AND warehouse_id = :w AND on_hand - reserved >= 1"), {"s": hot, "w": wh_id})
            db.session.commit()
        return True

    import random
    rng = random.Random(3)
    bare_n = _run(bare, seconds)
    hot_n = _run(reserve(lambda i: hot), seconds)
    spread_n = _run(reserve(lambda i: rng.choice(spread)), seconds)
    print(f"bare conditional UPDATE on one row, {CLIENTS} clients: {bare_n / seconds:.0f}/s")
    print(f"reserve() on one hot SKU, {CLIENTS} clients: {hot_n / seconds:.0f}/s "
          f"({hot_n / max(bare_n, 1):.2f} of the bare UPDATE)")
    print(f"reserve() spread over 10,000 SKUs, {CLIENTS} clients: {spread_n / seconds:.0f}/s")
    cleanup(instance)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)

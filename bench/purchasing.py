"""Purchasing: replenishment suggestions computed per second for a store with 50,000 SKUs and
a year of sales in its stock ledger, and the portal's PO list p95 for a supplier serving 100 stores.
The suggestions are also computed for a store of BASELINE_SKUS in the same run and printed beside
them: a linear computation keeps the same SKUs/s at both sizes.

    python -m bench.purchasing [SKUS] [STORES]
"""
from __future__ import annotations

import sys
import time

from bench.common import bench_app, cleanup, summary

HISTORY_DAYS = 365
SALES_EVERY_DAYS = 7      # one ledger row per SKU a week: 52 rows a SKU over the year
BASELINE_SKUS = 5_000
RUNS = ("first run (inserts)", "second run (updates in place)")


def _suggestions(app, skus: int) -> dict[str, float]:
    """Build a store of `skus` SKUs and compute its suggestions twice; SKUs/s per run."""
    from sqlalchemy import text

    from app.blueprints.catalog import services as catalog
    from app.blueprints.inventory import services as inventory
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store
    from app.blueprints.purchasing import replenishment, services
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context():
        store = create_store(None, f"pur-{skus}-{int(time.time()) % 100000}", "Pur", "o@pur.cn", None, plan_code="pro")
        db.session.commit()
        bound = db.session.get(Store, store.id)
        db.session.expunge(bound)
    with app.app_context(), store_context(bound) as b:
        schema = b.schema
        category = catalog.create_category(None, "压测")
        wh = inventory.save_warehouse(None, None, "W1", "仓", "own", "", 1, True)
        supplier = services.save_supplier(None, None, code="BENCH", name="压测供应商")
        db.session.flush()
        product = catalog.save_product(None, None, title="压测商品", category_id=category.id)
        db.session.flush()
        conn = db.session.connection()
        started = time.perf_counter()
        conn.execute(text(f"INSERT INTO {schema}.skus (product_id, code, barcode, options, option_key, list_price, "
                          f"sale_price, cost_price, enabled, ever_sold, hs_code, origin_country, consumption_tax_bp, "
                          f"duty_bp, created_at) SELECT :p, 'B-' || n, '', '{{}}', 'k' || n, 100, 100, 50, true, true, "
                          f"'', '', 0, 0, now() FROM generate_series(1, :n) n"),
                     {"p": product.id, "n": skus})
        conn.execute(text(f"INSERT INTO {schema}.stock_levels (sku_id, warehouse_id, on_hand, reserved, incoming, "
                          f"safety_stock, reorder_point, low) SELECT id, :w, (id % 50), (id % 5), 0, 5, 10, false "
                          f"FROM {schema}.skus"), {"w": wh.id})
        conn.execute(text(f"INSERT INTO {schema}.supplier_skus (supplier_id, sku_id, supplier_code, price, moq, "
                          f"pack_size, lead_time_days, preferred, created_at) SELECT :s, id, code, 60, 12, 6, "
                          f"3 + id % 10, true, now() FROM {schema}.skus"), {"s": supplier.id})
        conn.execute(text(
            f"INSERT INTO {schema}.stock_movements (sku_id, warehouse_id, kind, on_hand_change, reserved_change, "
            f"on_hand_after, reserved_after, document_type, document_ref, note, actor_name, at) "
            f"SELECT s.id, :w, 'shipment', -(1 + (s.id + d) % 7), 0, 0, 0, 'outbound', 'bench', '', 'system', "
            f"now() - make_interval(days => d) FROM {schema}.skus s, generate_series(0, :days, :step) d"),
            {"w": wh.id, "days": HISTORY_DAYS - 1, "step": SALES_EVERY_DAYS})
        rows = conn.execute(text(f"SELECT count(*) FROM {schema}.stock_movements")).scalar()
        conn.execute(text(f"ANALYZE {schema}.stock_movements; ANALYZE {schema}.stock_levels; "
                          f"ANALYZE {schema}.supplier_skus"))
        db.session.commit()
        print(f"built {skus} SKUs and {rows} ledger rows over {HISTORY_DAYS} days in "
              f"{time.perf_counter() - started:.1f} s")
        rates = {}
        for run in RUNS:
            started = time.perf_counter()
            opened = replenishment.compute(trigger="nightly")
            db.session.commit()
            elapsed = time.perf_counter() - started
            rates[run] = skus / elapsed
            print(f"suggestions, {run}: {skus} SKUs in {elapsed:.2f} s = {skus / elapsed:.0f} SKUs/s "
                  f"({opened} suggestions open)")
    return rates


def _portal(app, stores: int, requests: int = 60) -> None:
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store, create_supplier_account
    from app.blueprints.purchasing import orders
    from app.blueprints.purchasing.models import PurchaseOrder
    from app.core.tenancy import store_context
    from app.extensions import db
    from tests import factories as f

    f.use_app(app)
    with app.app_context():
        account = create_supplier_account(None, f"bench{int(time.time())}@sup.cn", "B", "Bench", "bench-password-1")
        db.session.commit()
        account_id, email = account.id, account.email
    started = time.perf_counter()
    slugs = []
    for i in range(stores):
        info = f.store(slug=f"sup-{int(time.time()) % 10000}-{i}")
        slugs.append(info.slug)
        with app.app_context():
            row = db.session.get(Store, info.id)
            db.session.expunge(row)
        with f.bound(info, request=True):
            supplier = f.supplier_record(info, account)
            warehouse = f.warehouse(info)
            sku = f.sku(info)
            for _ in range(30):
                f.purchase_order(info, supplier, lines=[(sku, 5)], state="sent", warehouse_obj=warehouse)
    print(f"built {stores} stores with 30 sent POs each for one supplier in {time.perf_counter() - started:.0f} s")
    client = app.test_client()
    client.post("/supplier/login", data={"email": email, "password": "bench-password-1"})
    from tests.conftest import CSRF_RE

    token = CSRF_RE.search(client.get("/supplier/login").get_data(as_text=True))
    if token:
        client.post("/supplier/login", data={"email": email, "password": "bench-password-1",
                                             "csrf_token": token.group(1)})
    timings = []
    for i in range(requests):
        slug = slugs[i % len(slugs)]
        t = time.perf_counter()
        response = client.get(f"/supplier/stores/{slug}/orders")
        timings.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    print(summary(f"portal PO list, supplier serving {stores} stores (30 POs each)", timings))


def main(skus: int = 50_000, stores: int = 100) -> None:
    app, instance = bench_app()
    try:
        sizes = [BASELINE_SKUS, skus] if skus != BASELINE_SKUS else [skus]
        rates = {size: _suggestions(app, size) for size in sizes}
        for run in RUNS:
            print(f"suggestions per second, {run}: "
                  + " | ".join(f"{size} SKUs{' (baseline)' if size == BASELINE_SKUS else ''}: "
                               f"{rates[size][run]:.0f}" for size in sizes))
        if stores:
            _portal(app, stores)
    finally:
        cleanup(instance)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

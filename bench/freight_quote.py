"""Freight quote latency for a 20-line cart over 3 templates (by piece, weight and volume, with
region rules, free-shipping conditions and regions not delivered to), next to a baseline in the
same run: the same checkout preview in a store without templates (the flat fee).

    python -m bench.freight_quote [ROUNDS]

Prints p50/p95 for: the rules alone (in memory), freight.quote (templates read from the
database), the whole checkout preview with templates, and the baseline preview.
"""
from __future__ import annotations

import sys
import time

from bench.common import bench_app, cleanup, store_with_stock, summary

REGION = "440305"   # 深圳 南山区


def _templates() -> list[int]:
    from app.blueprints.logistics import freight

    ids = []
    rate = {"first_units": 1, "first_fee": 1000, "extra_units": 1, "extra_fee": 500}
    for name, basis, units in (("件", "piece", 1), ("重", "weight", 1000), ("体", "volume", 100_000)):
        ids.append(freight.save_template(None, {
            "name": name, "basis": basis, **rate, "first_units": units, "extra_units": units,
            "undeliverable": ["650000", "540000"],
            "rules": [{"regions": ["440000", "310000"], **rate, "first_units": units, "extra_units": units,
                       "first_fee": 600}, {"regions": ["110000", "120000", "130000"], **rate,
                                           "first_units": units, "extra_units": units, "first_fee": 800}],
            "free_rules": [{"regions": ["440300"], "kind": "amount", "threshold": 10 ** 7},
                           {"regions": [], "kind": "quantity", "threshold": 500}]}).id)
    return ids


def _store(app, prefix: str, templates: bool):
    """20 products (weights and volumes rising), spread over the 3 templates when `templates`."""
    bound, sku_ids, _warehouses = store_with_stock(
        app, prefix, products=20, stock=None, prices=(2000, 1990, 500), title="运费商品",
        prepare=_templates if templates else None,
        product_fields=lambda i, ids: {"weight_grams": 300 + 50 * i, "volume_cm3": 2000 + 100 * i,
                                       "freight_template_id": ids[i % 3] if ids else None})
    return bound, {sku_id: 1 + i % 3 for i, sku_id in enumerate(sku_ids)}


def _time(app, bound, fn, rounds: int) -> list[float]:
    from app.core.tenancy import store_context
    from app.extensions import db

    out = []
    with app.app_context(), store_context(bound):
        fn()   # warm up (imports, region tree, statement cache)
        db.session.rollback()
        for _ in range(rounds):
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
            db.session.rollback()
    return out


def main(rounds: int = 500) -> None:
    app, instance = bench_app()
    from app.blueprints.catalog import queries as catalog_queries
    from app.blueprints.logistics import freight
    from app.blueprints.orders import services as orders

    with_templates, cart = _store(app, "frq", True)
    baseline_store, baseline_cart = _store(app, "frb", False)

    def lines():
        snaps = catalog_queries.sellable_skus(cart)
        return [freight.FreightLine(s.freight_template_id, cart[i], 1990 * cart[i], s.weight_grams, s.volume_cm3,
                                    s.title) for i, s in snaps.items()]

    from app.core.tenancy import store_context
    from app.extensions import db
    with app.app_context(), store_context(with_templates):
        fixed_lines = lines()
        templates, default = freight.snapshots()
        db.session.rollback()

    results = [
        summary("rules only, 20 lines x 3 templates (in memory)",
                _time(app, with_templates, lambda: freight.compute(templates, default, fixed_lines, REGION), rounds)),
        summary("freight.quote, templates read from the database",
                _time(app, with_templates, lambda: freight.quote(fixed_lines, REGION), rounds)),
        summary("checkout preview with 3 templates",
                _time(app, with_templates, lambda: orders.preview_checkout(cart, REGION), rounds)),
        summary("baseline: checkout preview, flat fee (no templates)",
                _time(app, baseline_store, lambda: orders.preview_checkout(baseline_cart, REGION), rounds)),
    ]
    with app.app_context(), store_context(with_templates):
        fee = orders.preview_checkout(cart, REGION).shipping_fee
    print(f"freight quote bench ({rounds} rounds, 20-line cart, fee {fee} fen)")
    for line in results:
        print("  " + line)
    cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)

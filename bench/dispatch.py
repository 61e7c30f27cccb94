"""Delivery notices created and routed per second for 1,000 paid orders (two SKUs each, in
three warehouses, the order split across two of them), one transaction per order as the
`order.paid` handler runs; next to a baseline in the same run: the floor every handler pays
per order (lock the order, read it and its reservation, write one row, commit).

    python -m bench.dispatch [ORDERS]
"""
from __future__ import annotations

import sys
import time

from bench.common import bench_app, cleanup, store_with_stock

ADDRESS = {"name": "压测", "phone": "13800000000", "province": "广东省", "city": "深圳市", "street": "测试路 1 号",
           "region_code": "440305"}


def _setup(app, orders: int):
    from app.blueprints.orders import services as order_services
    from app.core.tenancy import store_context
    from app.extensions import db

    # even SKUs only in the first warehouse, odd ones only in the second: every order splits
    bound, skus, _warehouses = store_with_stock(
        app, "dis", products=40, warehouses=(("W1", "310115"), ("W2", "440305"), ("W3", "110105")),
        stocked_in=lambda i: i % 2)
    with app.app_context(), store_context(bound):
        ids = []
        for n in range(orders):
            order = order_services.place_order(
                [order_services.LineRequest(skus[(2 * n) % 40], 1), order_services.LineRequest(skus[(2 * n + 1) % 40], 2)],
                ADDRESS, shopper={"name": "压测"})
            order_services.mark_paid(None, order, "bench")
            ids.append(order.id)
            if n % 100 == 99:
                db.session.commit()
        db.session.commit()
    return bound, ids


def main(orders: int = 1000) -> None:
    app, instance = bench_app()
    from sqlalchemy import text

    from app.blueprints.dispatch import services
    from app.blueprints.inventory import services as inventory
    from app.blueprints.orders import queries as orders_queries, services as order_services
    from app.core.tenancy import store_context
    from app.extensions import db

    bound, ids = _setup(app, orders)
    with app.app_context(), store_context(bound) as b:
        schema = b.schema
        db.session.execute(text(f"CREATE TABLE {schema}.bench_touch (order_id bigint, at timestamptz)"))
        db.session.commit()

    def baseline(order_id):
        order_services.order_for_update(order_id)
        view = orders_queries.for_fulfilment(order_id)
        inventory.holds(view.reservation_ref)
        db.session.execute(text(f"INSERT INTO {schema}.bench_touch VALUES (:o, now())"), {"o": order_id})

    def route(order_id):
        return len(services.create_notices(order_id))

    figures = {}
    for label, fn in (("baseline", baseline), ("notices", route)):
        made = 0
        with app.app_context(), store_context(bound):
            started = time.perf_counter()
            for order_id in ids:
                made += fn(order_id) or 0
                db.session.commit()
            figures[label] = (time.perf_counter() - started, made)
    with app.app_context(), store_context(bound):
        drift = inventory.verify_ledger().drift
        db.session.rollback()
    base_s, _ = figures["baseline"]
    route_s, notices = figures["notices"]
    print(f"baseline (lock + read order and reservation + one insert + commit): {orders / base_s:.0f} orders/s")
    print(f"create_notices, priority routing, {orders} paid orders split in two: {orders / route_s:.0f} orders/s, "
          f"{notices / route_s:.0f} notices/s ({notices} notices; {base_s / route_s:.2f} of the baseline rate)")
    print(f"ledger drift after routing: {len(drift)} levels")
    cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)

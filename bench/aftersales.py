"""After-sales end to end: requests processed per second, one at a time, each step committed
as its own request or job would commit it: the shopper asks for a return and refund, staff
approve, the warehouse receives and inspects the unit (scrapped, so no bin is needed), the
refund goes to the sandbox gateway (what the refund job does) and its success closes the
request (what the refund.succeeded handler does).

    python -m bench.aftersales [N]
"""
from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("SANDBOX_GATEWAY", "1")

from bench.common import bench_app, cleanup, summary  # noqa: E402


def _setup(app, n: int):
    from app.blueprints.catalog import services as catalog
    from app.blueprints.inventory import services as inventory
    from app.blueprints.orders import services as orders
    from app.blueprints.payments import services as payments
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store
    from app.core.db import utcnow
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context():
        store = create_store(None, f"as-{int(time.time()) % 100000}", "AS", "a@as.cn", None, plan_code="pro")
        db.session.commit()
        bound = db.session.get(Store, store.id)
        db.session.expunge(bound)
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(bound):
        category = catalog.create_category(None, "压测")
        wh = inventory.save_warehouse(None, None, "W1", "仓", "own", "", 1, True)
        product = catalog.save_product(None, None, title="压测商品", category_id=category.id)
        catalog.set_all_prices(None, product, 1000, 990, 500)
        catalog.change_status(None, product, "on_sale")
        db.session.flush()
        inventory.receive(None, product.skus[0].id, wh.id, 10 ** 6, "bench")
        db.session.commit()
        numbers = []
        for _ in range(n):
            order = orders.place_order([orders.LineRequest(product.skus[0].id, 1)],
                                       {"name": "b", "phone": "1", "city": "c", "street": "s"}, shopper={"name": "b"},
                                       shopper_id=1)
            payment = payments.start_payment(order)
            payments.move(payment, "succeeded")
            payment.paid_at = utcnow()
            orders.record_payment(order, payment.number, payment.amount)
            orders.allocate(None, order)
            orders.ship(None, order, "SF1")
            orders.deliver(None, order)
            numbers.append(order.number)
            db.session.commit()
    return bound, numbers


def _end_to_end(app, bound, numbers) -> tuple[float, list[float]]:
    from sqlalchemy import select

    from app.blueprints.aftersales import services
    from app.blueprints.orders import queries as order_queries
    from app.blueprints.payments import refunds
    from app.blueprints.payments.models import Refund
    from app.core.tenancy import store_context
    from app.extensions import db

    class Shopper:
        id, email, realm = 1, "shopper@bench.cn", "shopper"

    times = []
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(bound):
        reason_id = services.reasons()[0].id
        db.session.commit()
        started = time.monotonic()
        for number in numbers:
            t = time.perf_counter()
            order = order_queries.for_aftersales(number=number)
            req = services.create_request(Shopper(), 1, number, services.Ask(
                "return_refund", {order.lines[0].id: 1}, reason_id))
            db.session.commit()
            services.approve(None, services.request_for_update(req.id))
            db.session.commit()
            req = services.request_for_update(req.id)
            services.receive(None, req)
            db.session.commit()
            req = services.request_for_update(req.id)
            services.inspect_units(None, req, [services.UnitResult(req.lines[0].id, 1, "damaged", "", "scrap")])
            db.session.commit()
            item = db.session.scalar(select(Refund).where(Refund.request_id == f"{req.number}-goods"))
            assert refunds.send(item.id) == "succeeded"
            db.session.commit()
            services.record_refund_result(item.request_id, item.id, item.amount, True)
            db.session.commit()
            assert services.request_for_update(req.id).status == "closed"
            db.session.commit()
            times.append(time.perf_counter() - t)
    return len(numbers) / (time.monotonic() - started), times


def main(n: int = 200) -> None:
    app, instance = bench_app()
    bound, numbers = _setup(app, n)
    rate, times = _end_to_end(app, bound, numbers)
    print(f"after-sales end to end (ask, approve, receive, inspect, sandbox refund, close), one at a time: "
          f"{rate:.1f} requests/s; " + summary("per request", times))
    cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

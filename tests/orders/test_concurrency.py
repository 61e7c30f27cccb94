"""Concurrent checkouts, cancels and shipments lock stock rows in one order (SKU, then
warehouse) and never deadlock; a transaction that still meets a deadlock runs again."""
import random
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update

from app.blueprints.inventory import services as inventory
from app.blueprints.inventory.models import StockLevel
from app.blueprints.orders import services
from app.blueprints.orders.models import Order
from app.blueprints.platform.models import Store
from app.core.retry import in_transaction
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.orders.test_orders import ADDRESS, SHOPPER, _shop


def _bound(app, store):
    with app.app_context():
        bound = db.session.get(Store, store.id)
        db.session.expunge(bound)
        return bound


def test_concurrent_multi_line_checkouts_and_cancels_in_any_line_order_never_deadlock(app, store):
    skus, wh = _shop(app, store, stock=1000, skus=6)

    def second_warehouse():   # a little stock elsewhere so that lines span two warehouses
        second = inventory.save_warehouse(None, None, "OW2ND", "二号仓", "own", "", 0, True)
        db.session.flush()
        for sku in skus:
            inventory.receive(None, sku, second.id, 3, "setup")
        return second.id

    wh2 = _get(app, store, second_warehouse)
    bound = _bound(app, store)
    errors, placed = [], []

    def shopper(seed):
        rng = random.Random(seed)
        with app.app_context(), store_context(bound):
            for _round in range(6):
                lines = [services.LineRequest(s, rng.randint(1, 3)) for s in rng.sample(skus, len(skus))]
                try:
                    order = services.place_order(lines, ADDRESS, shopper=SHOPPER)
                    db.session.commit()
                    placed.append(order.id)
                    order = db.session.get(Order, order.id)
                    if rng.random() < 0.5:
                        services.cancel_order(None, order, "changed mind")
                    else:
                        services.mark_paid(None, order, "P1")
                        services.allocate(None, order)
                        services.ship(None, order, "SF")
                    db.session.commit()
                except Exception as err:  # noqa: BLE001 - the test reports every failure
                    db.session.rollback()
                    errors.append(repr(err)[:200])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(shopper, range(8)))
    assert errors == []
    assert len(placed) == 48

    def totals():
        levels = db.session.scalars(select(StockLevel).where(StockLevel.sku_id.in_(skus))).all()
        return sum(l.reserved for l in levels), inventory.verify_ledger().drift

    reserved, drift = _get(app, store, totals)
    assert reserved == 0 and drift == []
    assert wh2 != wh


def test_a_transaction_chosen_as_deadlock_victim_runs_again(app, store):
    """Two transactions that lock two rows in opposite orders: PostgreSQL aborts one of them,
    the retry runs it again and both changes land."""
    (a, b), wh = _shop(app, store, stock=10, skus=2)
    bound = _bound(app, store)
    barrier = threading.Barrier(2)
    attempts = {"ab": 0, "ba": 0}

    def bump(sku_id):
        db.session.execute(update(StockLevel).where(StockLevel.sku_id == sku_id)
                           .values(incoming=StockLevel.incoming + 1).execution_options(synchronize_session=False))

    def worker(order):
        first, second = (a, b) if order == "ab" else (b, a)

        def work():
            attempts[order] += 1
            bump(first)
            if attempts[order] == 1:
                barrier.wait(timeout=45)
            bump(second)

        with app.app_context(), store_context(bound):
            in_transaction(work)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(worker, "ab"), pool.submit(worker, "ba")]:
            future.result()
    assert sorted(attempts.values()) == [1, 2]
    incoming = _get(app, store, lambda: db.session.execute(
        select(StockLevel.sku_id, StockLevel.incoming).where(StockLevel.sku_id.in_([a, b]))).all())
    assert sorted(i for _s, i in incoming) == [2, 2]

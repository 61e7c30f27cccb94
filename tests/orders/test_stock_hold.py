"""A paid order keeps its stock until it ships or is cancelled, a payment that comes after
the hold lapsed re-reserves or is refused, and one shipment deducts stock once."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.blueprints.catalog.models import Sku
from app.blueprints.inventory import documents, jobs as inventory_jobs
from app.blueprints.inventory import services as inventory
from app.blueprints.inventory.models import Reservation
from app.blueprints.orders import jobs as order_jobs, services
from app.blueprints.orders.models import Order
from app.blueprints.platform.models import Store
from app.core import jobs
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.tenancy import store_context
from app.extensions import db
from tests.inventory.test_stock import _level
from tests.orders.test_orders import _place, _shop


def _run_store_job(app, store, fn):
    """Run a periodic store job the way the worker does (store bound, one commit)."""
    with app.app_context():
        return jobs.run_job(fn.job_name, store.id, [], {})


def _in_store(app, store, fn):
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        value = fn()
        db.session.commit()
        return value


def _pay(app, store, order_id):
    return _in_store(app, store, lambda: services.mark_paid(None, db.session.get(Order, order_id), "PAY-1").status)


def test_a_paid_order_keeps_its_stock_long_after_the_payment_deadline(app, store):
    (sku,), wh = _shop(app, store, stock=10)
    order_id = _place(app, store, [(sku, 3)])
    _pay(app, store, order_id)
    with time_machine.travel(utcnow() + timedelta(days=3), tick=True):
        _run_store_job(app, store, inventory_jobs.expire_reservations)
        assert _level(app, store, sku, wh) == (10, 3)          # still held for the paid order
        status = _in_store(app, store, lambda: db.session.scalar(select(Reservation.status).where(
            Reservation.reference == db.session.get(Order, order_id).reservation_ref)))
        assert status == "active"
        _in_store(app, store, lambda: (services.allocate(None, db.session.get(Order, order_id)),
                                       services.ship(None, db.session.get(Order, order_id), "SF1")))
    assert _level(app, store, sku, wh) == (7, 0)


def test_a_payment_after_the_hold_lapsed_reserves_again(app, store):
    (sku,), wh = _shop(app, store, stock=10)
    order_id = _place(app, store, [(sku, 2)])
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=True):
        _run_store_job(app, store, inventory_jobs.expire_reservations)
        assert _level(app, store, sku, wh) == (10, 0)
        assert _pay(app, store, order_id) == "paid"
        assert _level(app, store, sku, wh) == (10, 2)
        _run_store_job(app, store, inventory_jobs.expire_reservations)
    assert _level(app, store, sku, wh) == (10, 2)


def test_a_payment_after_the_stock_was_sold_again_never_leaves_a_paid_order_without_stock(app, store):
    (sku,), wh = _shop(app, store, stock=2)
    order_id = _place(app, store, [(sku, 2)])
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=True):
        _run_store_job(app, store, inventory_jobs.expire_reservations)
        _place(app, store, [(sku, 2)])                           # someone else bought the last two
        with pytest.raises(DomainError):
            _pay(app, store, order_id)
    assert _in_store(app, store, lambda: db.session.get(Order, order_id).status) == "pending_payment"
    assert _level(app, store, sku, wh) == (2, 2)


def test_a_late_gateway_payment_without_stock_cancels_the_order_and_flags_the_money(app, store):
    """payment.succeeded for an order whose stock is gone: the order is not paid, the money
    is refunded or flagged as late (the payment center's choice)."""
    from app.blueprints.payments.handlers import order_paid
    from app.blueprints.payments.models import Payment
    from app.core.outbox import Event

    (sku,), wh = _shop(app, store, stock=1)
    order_id = _place(app, store, [(sku, 1)])
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=True):
        _run_store_job(app, store, inventory_jobs.expire_reservations)
        _place(app, store, [(sku, 1)])

        def succeed():
            order = db.session.get(Order, order_id)
            payment = Payment(number=f"P{order.number}", order_id=order.id, gateway="offline", amount=order.payable,
                              currency=order.currency, status="succeeded")
            db.session.add(payment)
            db.session.flush()
            order_paid(Event(1, "payment.succeeded", {"order_id": order.id, "payment_id": payment.id}, utcnow()))
            return order.status, payment.flagged

        status, flagged = _in_store(app, store, succeed)
    assert status == "cancelled" and flagged
    assert _level(app, store, sku, wh) == (1, 1)


def test_shipping_the_order_then_its_outbound_deducts_once(app, store):
    (sku,), wh = _shop(app, store, stock=10)
    order_id = _place(app, store, [(sku, 3)])
    _pay(app, store, order_id)
    number = _in_store(app, store, lambda: db.session.get(Order, order_id).number)
    _in_store(app, store, lambda: (services.allocate(None, db.session.get(Order, order_id)),
                                   services.ship(None, db.session.get(Order, order_id), "SF1")))
    assert _level(app, store, sku, wh) == (7, 0)

    def outbound():
        out = documents.create(None, "outbound", "sales", wh, reference=number)
        documents.add_line(None, out, db.session.get(Sku, sku).code, 3)
        documents.start_picking(None, out)
        documents.pack(None, out)
        db.session.flush()
        with pytest.raises(IllegalTransition) as refused:
            documents.ship(None, out)
        return refused.value.message

    message = _in_store(app, store, outbound)
    assert number in message and "shipped" in message
    assert _level(app, store, sku, wh) == (7, 0)


def test_shipping_the_outbound_then_the_order_deducts_once_and_the_order_follows(app, store, worker):
    from tests.conftest import wait_for

    (sku,), wh = _shop(app, store, stock=10)
    order_id = _place(app, store, [(sku, 3)])
    _pay(app, store, order_id)
    number = _in_store(app, store, lambda: db.session.get(Order, order_id).number)

    def outbound():
        out = documents.create(None, "outbound", "sales", wh, reference=f"order:{number}")
        documents.add_line(None, out, db.session.get(Sku, sku).code, 3)
        for step in (documents.start_picking, documents.pack, documents.ship):
            step(None, out)

    _in_store(app, store, outbound)
    assert _level(app, store, sku, wh) == (7, 0)

    def ship_again():
        order = db.session.get(Order, order_id)
        if order.status == "paid":
            services.allocate(None, order)
        with pytest.raises(IllegalTransition) as refused:
            services.ship(None, order, "SF2")
        return refused.value.message

    assert "shipped" in _in_store(app, store, ship_again)
    assert _level(app, store, sku, wh) == (7, 0)
    # the order follows its shipment (through the outbox, as every reaction between centers)
    wait_for(lambda: _in_store(app, store, lambda: db.session.get(Order, order_id).status) == "shipped")
    assert _level(app, store, sku, wh) == (7, 0)


def test_an_outbound_for_an_unpaid_order_is_refused_and_changes_nothing(app, store):
    (sku,), wh = _shop(app, store, stock=10)
    order_id = _place(app, store, [(sku, 2)])
    number = _in_store(app, store, lambda: db.session.get(Order, order_id).number)

    def outbound():
        out = documents.create(None, "outbound", "sales", wh, reference=number)
        documents.add_line(None, out, db.session.get(Sku, sku).code, 2)
        documents.start_picking(None, out)
        documents.pack(None, out)
        db.session.flush()
        with pytest.raises(IllegalTransition) as refused:
            documents.ship(None, out)
        return refused.value.message

    assert "not paid" in _in_store(app, store, outbound)
    assert _level(app, store, sku, wh) == (10, 2)
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=True):   # the payment timeout still works
        assert _run_store_job(app, store, order_jobs.cancel_unpaid_orders) == 1
    assert _level(app, store, sku, wh) == (10, 0)

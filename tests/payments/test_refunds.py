"""Refunds: partial and by lines, idempotent per request id, never more than was paid;
a full refund closes the paid order."""
import pytest
from sqlalchemy import select

from app.blueprints.orders.models import Order, OrderEvent, OrderLine
from app.blueprints.payments import refunds
from app.blueprints.payments.models import Payment, PaymentEvent, PaymentNotification, Refund
from app.blueprints.platform.models import Store
from app.core.errors import DomainError
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.orders.test_orders import _place, _shop
from tests.payments.test_sandbox import _fields, _payment


def _paid(app, client, store, price=1000, quantity=3):
    (sku,), _wh = _shop(app, store, price=price)
    order_id = _place(app, store, [(sku, quantity)])
    number, amount = _payment(app, store, order_id)
    client.post(f"/pay/{store.slug}/notify/sandbox", data=_fields(app, store, number, amount))
    wait_for(lambda: _get(app, store, lambda: db.session.get(Order, order_id).status) == "paid")
    return order_id


def test_partial_refunds_are_idempotent_and_capped(app, client, store):
    order_id = _paid(app, client, store)
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        payment = db.session.scalar(select(Payment))
        first = refunds.refund(None, payment, "req-1", 1000)
        again = refunds.refund(None, payment, "req-1", 1000)
        assert first.id == again.id and first.status == "pending"
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        by_line = refunds.refund(None, payment, "req-2", lines={line.id: 1})
        assert by_line.amount == 1000
        with pytest.raises(DomainError, match="At most"):     # pending refunds count against the cap
            refunds.refund(None, payment, "req-3", 1001)
        refunds.refund(None, payment, "req-4", 1000)
        db.session.commit()
    # the worker sends each to the gateway; the sandbox answers at once and notifies as well
    wait_for(lambda: _get(app, store, lambda: db.session.scalars(select(Refund.status)).all()) == ["succeeded"] * 3)
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "refunded"
    assert _get(app, store, lambda: db.session.scalar(select(db.func.sum(Refund.amount)))) == 3000
    wait_for(lambda: _get(app, store, lambda: db.session.get(Order, order_id).status) == "closed")
    refunded = _get(app, store, lambda: db.session.scalars(select(OrderEvent.action).where(
        OrderEvent.order_id == order_id, OrderEvent.action == "refunded")).all())
    assert len(refunded) == 3
    timeline = _get(app, store, lambda: [(e.from_status, e.to_status) for e in db.session.scalars(
        select(PaymentEvent).order_by(PaymentEvent.id))])
    assert timeline == [(None, "pending"), ("pending", "succeeded"), ("succeeded", "partially_refunded"),
                        ("partially_refunded", "refunded")]       # the middle refund changed no state
    # the sandbox's refund notifications arrived after the answers and changed nothing
    wait_for(lambda: _get(app, store, lambda: db.session.scalars(select(PaymentNotification.outcome).where(
        PaymentNotification.body.like("%refund_status_sync%"))).all()) == ["duplicate"] * 3)


def test_staff_refund_from_the_payment_page(app, client, owner, store):
    _paid(app, client, store, price=500, quantity=2)
    payment_id = _get(app, store, lambda: db.session.scalar(select(Payment.id)))
    page = owner.get(f"/store/{store.slug}/payments/{payment_id}").get_data(as_text=True)
    assert "up to ¥10.00" in page
    owner.form(f"/store/{store.slug}/payments/{payment_id}/refund", {"amount": "4.00", "request_id": "r1", "reason": "破损"})
    owner.form(f"/store/{store.slug}/payments/{payment_id}/refund", {"amount": "4.00", "request_id": "r1", "reason": "破损"})
    assert _get(app, store, lambda: db.session.scalar(select(db.func.sum(Refund.amount)))) == 400

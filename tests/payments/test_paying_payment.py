"""The payment that paid an order is the one its timeline names: a second attempt that also went
through later (flagged as not needed) never becomes the payment refunds go to or the one finance
and members read, however much newer it is."""
from app.blueprints.orders import services as orders
from app.blueprints.orders.models import Order
from app.blueprints.payments import queries, refunds, services
from app.blueprints.payments.models import Payment
from tests import factories as f


def _paid_twice(store):
    """An order paid by its first attempt, then a second (newer) attempt the shopper also paid."""
    order = f.order(store, "pending_payment", price=4_000)
    with f.bound(store, request=True) as session:
        row = session.get(Order, order.id)
        first, second = services.start_payment(row, "sandbox"), services.start_payment(row, "sandbox")
        session.flush()
        services.move(first, "succeeded", "test")
        orders.record_payment(row, first.number, first.amount)
        services.move(second, "succeeded", "test")
        second.flagged = "not needed"
        session.flush()
        assert second.id > first.id
        return order.id, first.id, second.id


def test_refunds_and_money_read_the_payment_that_paid_the_order_not_a_newer_one(app, store):
    order_id, first_id, second_id = _paid_twice(store)
    f.refund(store, f.get(store, Payment, first_id), amount=1_500)
    assert f.read(store, lambda: refunds.order_payment(order_id).id) == first_id
    assert f.read(store, lambda: queries.order_money(order_id)) == {"gateway": "sandbox", "paid": 4_000,
                                                                   "refunded": 1_500}
    assert f.read(store, lambda: refunds.order_refundable(order_id)) == 2_500
    assert f.read(store, lambda: queries.paid_payments([order_id])[order_id]["number"]) == \
        f.get(store, Payment, first_id).number
    with f.bound(store, request=True):
        item = refunds.refund_order(None, order_id, "paid-by-1", amount=1_000, reason="少发")
        assert item.payment_id == first_id


def test_an_order_paid_offline_has_no_gateway_payment_even_if_one_went_through_later(app, store):
    order = f.order(store, "paid")                       # marked paid offline by staff
    with f.bound(store, request=True) as session:
        late = Payment(number=f.unique("P"), order_id=order.id, amount=order.payable, currency=order.currency,
                       gateway="sandbox", status="succeeded", flagged="not needed")
        session.add(late)
    assert f.read(store, lambda: refunds.order_payment(order.id)) is None
    assert f.read(store, lambda: queries.order_money(order.id)) is None
    assert f.read(store, lambda: refunds.order_refundable(order.id)) is None

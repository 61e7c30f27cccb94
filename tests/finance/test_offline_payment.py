"""An order staff mark paid outside the payment center (a bank transfer, cash) posts the money
into the bank against the order's advance, Dr 1002 银行存款 / Cr 2203 预收账款—订单, once;
an order paid through a gateway is posted from its payment alone."""
from app.blueprints.finance import queries, services
from app.blueprints.orders import services as orders
from app.blueprints.orders.models import Order
from tests import factories as f
from tests.finance.conftest import entries, legs, settle


def test_an_order_paid_offline_puts_its_money_in_the_bank_as_an_advance_once(store):
    order = f.order(store, "pending_payment", price=8_800)
    with f.bound(store, request=True) as session:
        orders.mark_paid(None, session.get(Order, order.id), "ICBC-20261202-31", offline=True)
    settle(store)
    settle(store)                                   # a redelivered event posts nothing more
    (entry,) = entries(store, rule="offline_payment")
    assert legs(entry) == sorted([("1002", order.payable, 0), ("2203", 0, order.payable)])
    assert (entry.source_number, entry.memo, entry.currency) == ("ICBC-20261202-31", order.number, "CNY")
    assert f.read(store, lambda: queries.order_balance(order.id, services.ADVANCES)) == order.payable


def test_an_order_paid_through_a_gateway_is_not_posted_as_offline_too(store):
    order = f.order(store, "pending_payment", price=8_800)
    f.payment(store, order)
    settle(store)
    assert entries(store, rule="offline_payment") == []
    assert len(entries(store, rule="payment")) == 1

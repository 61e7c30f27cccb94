"""Refunds through the payment center: the paid share of each unit (discounts allocated, the
last unit takes the remainder), shipping as the rules say, once per request; the order follows."""
from hypothesis import given, settings, strategies as st
from sqlalchemy import select

from app.blueprints.aftersales import services
from app.blueprints.dispatch.models import DeliveryNotice
from app.blueprints.inventory.models import Reservation
from app.blueprints.orders.models import Order
from tests import factories as f
from tests.aftersales.conftest import ask, bought, refunds_of, request_row, rules
from tests.conftest import wait_for


@settings(max_examples=300, deadline=None)
@given(total=st.integers(0, 10 ** 7), quantity=st.integers(1, 50), data=st.data())
def test_unit_shares_of_any_sequence_never_exceed_the_paid_share_and_add_up_to_it(total, quantity, data):
    done, refunded = 0, 0
    while done < quantity:
        count = data.draw(st.integers(1, quantity - done))
        part = services._share(total, quantity, done, count)
        assert part >= 0
        done, refunded = done + count, refunded + part
        assert refunded <= total
    assert refunded == total


def _closed(store, request_id):
    req = request_row(store, request_id)
    return req if req.status == "closed" else None


def test_refund_only_before_shipment_is_approved_intercepted_released_and_refunded(store):
    member = f.member(store)
    sku = f.sku(store, price=2500, stock=4)
    order = bought(store, member, [(sku, 2)], state="paid")
    req = ask(store, member, order, "refund_only")
    done = wait_for(lambda: _closed(store, req.id), timeout=120)
    assert (done.outcome, done.refunded) == ("refunded", 5000)
    assert refunds_of(store, order.id) == [(f"{req.number}-goods", 5000, "succeeded")]
    with f.bound(store) as session:
        assert session.get(Order, order.id).status == "closed"
        reservation = session.scalar(select(Reservation).where(Reservation.reference == f"order:{order.number}"))
        assert reservation.status == "released"
        assert all(n.status == "cancelled" for n in session.scalars(
            select(DeliveryNotice).where(DeliveryNotice.order_id == order.id)))
    from app.blueprints.inventory import services as inventory

    with f.bound(store):
        assert inventory.sellable([sku.id])[sku.id] == 4


def test_discounted_lines_refund_unit_by_unit_to_exactly_the_payable(store):
    """Three requests over two discounted lines (one unit, two units, the last unit) and the
    shipping fee with the request that completes the order: the refunds add up to the payable."""
    member = f.member(store)
    rules(store, auto_approve_under=10 ** 9, refund_shipping="whole_order")
    a, b = f.sku(store, price=999, stock=5), f.sku(store, price=1000, stock=5)
    order = bought(store, member, [(a, 3), (b, 1)], state="delivered", discounts={0: 100, 1: 33}, shipping_fee=800)
    assert order.payable == 999 * 3 - 100 + 1000 - 33 + 800
    la, lb = order.lines
    first = ask(store, member, order, "refund_only", {la.id: 1})
    second = ask(store, member, order, "refund_only", {la.id: 2})
    third = ask(store, member, order, "refund_only", {lb.id: 1})
    assert (first.amount, second.amount, third.amount) == (2897 // 3, 2897 - 2897 // 3, 967)
    assert (first.shipping_refund, second.shipping_refund, third.shipping_refund) == (0, 0, 800)
    for req in (first, second, third):
        wait_for(lambda: _closed(store, req.id), timeout=120)
    assert sum(amount for _ref, amount, status in refunds_of(store, order.id) if status == "succeeded") == order.payable
    with f.bound(store) as session:
        assert session.get(Order, order.id).status == "closed"


def test_a_partly_refunded_order_keeps_its_state(store):
    member = f.member(store)
    rules(store, auto_approve_under=10 ** 9)
    order = bought(store, member, [(f.sku(store, price=1000, stock=5), 2)], state="delivered")
    req = ask(store, member, order, "refund_only", {order.lines[0].id: 1})
    wait_for(lambda: _closed(store, req.id), timeout=120)
    with f.bound(store) as session:
        assert session.get(Order, order.id).status == "delivered"


def test_approving_twice_refunds_once(store):
    member = f.member(store)
    rules(store, auto_approve_unshipped=False)
    order = bought(store, member, state="delivered")
    req = ask(store, member, order, "refund_only")
    with f.bound(store, request=True) as session:
        row = session.get(type(req), req.id)
        services.approve(None, row)
        services.start_refund(None, row)       # a retry asks with the same request id
    wait_for(lambda: _closed(store, req.id), timeout=120)
    assert len(refunds_of(store, order.id)) == 1


def test_a_refund_the_gateway_refused_is_sent_again_from_the_request_page(app, store, owner, fake_gateways):
    from tests.payments.test_alipay import _alipay_store

    alipay, _stripe = fake_gateways
    _alipay_store(app, store, alipay)
    member = f.member(store)
    order = f.order(store, lines=[(f.sku(store, price=3000, stock=3), 1)], member_obj=member)
    f.payment(store, order, gateway="alipay")
    order = f.read(store, lambda: _detached(f.db_session().get(Order, order.id)))
    alipay.refuse_refund = "ACQ.TRADE_HAS_FINISHED"
    try:
        req = ask(store, member, order, "refund_only")         # before shipment: approved at once
        wait_for(lambda: "refund_failed" in _actions(store, req.id), timeout=120)
    finally:
        alipay.refuse_refund = None
    page = owner.get(f"/store/{store.slug}/aftersales/requests/{req.id}").get_data(as_text=True)
    assert "data-refund-failed" in page and 'data-action="retry-refund"' in page
    assert request_row(store, req.id).status == "approved"

    assert owner.form(f"/store/{store.slug}/aftersales/requests/{req.id}/retry-refund").status_code == 303
    done = wait_for(lambda: _closed(store, req.id), timeout=120)
    assert (done.outcome, done.refunded) == ("refunded", 3000)
    assert refunds_of(store, order.id) == [(f"{req.number}-goods", 3000, "failed"),
                                           (f"{req.number}-goods-r2", 3000, "succeeded")]
    owner.form(f"/store/{store.slug}/aftersales/requests/{req.id}/retry-refund")     # nothing failed now
    assert len(refunds_of(store, order.id)) == 2
    assert 'data-action="retry-refund"' not in owner.get(
        f"/store/{store.slug}/aftersales/requests/{req.id}").get_data(as_text=True)


def _detached(row):
    list(row.lines)
    f.db_session().expunge(row)
    return row


def _actions(store, request_id):
    return f.read(store, lambda: [e.action for e in services.REQUEST_STATES.history(request_id)])

"""The order center's read side (queries.py): what other centers read of orders."""
from datetime import datetime, timedelta, timezone

from app.blueprints.orders import queries
from tests import factories as f


def test_an_order_refunded_in_full_is_not_among_the_paid_orders_customs_hears_of(store):
    standing = f.order(store, state="paid")
    closed = f.order(store, state="closed")
    now = datetime.now(timezone.utc)
    with f.bound(store):
        numbers = [o.number for o in queries.paid_between(now - timedelta(hours=1), now + timedelta(hours=1))]
    assert standing.number in numbers
    assert closed.number not in numbers


def test_the_snapshots_of_one_order_carry_its_lines(store):
    sku = f.sku(store, price=1500, stock=10)
    order = f.order(store, state="paid", lines=[(sku, 2)])
    with f.bound(store):
        by_id, by_number = queries.for_aftersales(order_id=order.id), queries.for_aftersales(number=order.number)
        fulfilment, posting = queries.for_fulfilment(order.id), queries.for_posting(order.id)
        units = queries.units_sold([sku.code])
    assert by_id == by_number and [l.quantity for l in by_id.lines] == [2]
    assert [l.sku_code for l in fulfilment.lines] == [sku.code]
    assert sum(l.unit_price * l.quantity for l in posting.lines) == 3000
    assert units == {sku.code: 2}

"""A refund only before shipment stops exactly the refunded units: they come off the delivery
notice and its outbound, their stock is released, the rest ships and the order is shipped."""
import itertools

from sqlalchemy import select

from app.blueprints.dispatch.models import DeliveryNotice
from app.blueprints.inventory.models import Reservation, StockDocument, StockLevel
from app.blueprints.orders.models import Order
from tests import factories as f
from tests.aftersales.conftest import ask, bought, refunds_of, request_row
from tests.conftest import wait_for

_waybills = itertools.count(1)


def _closed(store, request_id):
    req = request_row(store, request_id)
    return req if req.status == "closed" else None


def _routed(store, order):
    from app.blueprints.dispatch import services as dispatch

    with f.bound(store, request=True):
        dispatch.create_notices(order.id)     # the order.paid handler may have run already: once either way


def _parcels(store, order_id):
    """(status, {sku code: quantity}, {sku id: outbound quantity}) per delivery notice."""
    with f.bound(store) as session:
        out = []
        for notice in session.scalars(select(DeliveryNotice).where(DeliveryNotice.order_id == order_id)
                                      .order_by(DeliveryNotice.part)):
            outbound = session.scalar(select(StockDocument).where(StockDocument.number == notice.outbound_number))
            out.append((notice.status, {l.sku_code: l.quantity for l in notice.lines},
                        {l.sku_id: l.quantity for l in outbound.lines}, outbound.status))
        return out


def _level(store, sku):
    with f.bound(store) as session:
        row = session.scalar(select(StockLevel).where(StockLevel.sku_id == sku.id))
        return row.on_hand, row.reserved


def test_a_partial_refund_before_shipment_takes_the_units_off_the_notice_and_releases_their_stock(store, owner):
    member = f.member(store)
    site = f.warehouse(store)            # one warehouse: one parcel
    a, b = f.sku(store, price=2500, stock=5, warehouse=site), f.sku(store, price=1000, stock=3, warehouse=site)
    order = bought(store, member, [(a, 2), (b, 1)], state="paid")
    _routed(store, order)
    la, _lb = order.lines
    assert _level(store, a) == (5, 2)

    req = ask(store, member, order, "refund_only", {la.id: 1})       # approved at once by the default rule
    done = wait_for(lambda: _closed(store, req.id), timeout=120)
    assert (done.outcome, done.refunded) == ("refunded", 2500)
    assert refunds_of(store, order.id) == [(f"{req.number}-goods", 2500, "succeeded")]
    assert _parcels(store, order.id) == [("pending", {a.code: 1, b.code: 1}, {a.id: 1, b.id: 1}, "draft")]
    assert _level(store, a) == (5, 1) and _level(store, b) == (3, 1)
    with f.bound(store) as session:
        row = session.get(Order, order.id)
        assert row.status == "paid"
        assert [(l.quantity, l.cancelled_quantity) for l in row.lines] == [(2, 1), (1, 0)]
    page = owner.get(f"/store/{store.slug}/orders/{order.id}").get_data(as_text=True)   # what staff see
    assert f'data-request="{req.number}"' in page and 'data-refunded="2500"' in page
    assert "Refunded through after-sales: ¥25.00" in page       # the requests' total, from aftersales.queries
    assert 'data-cancelled="1"' in page

    from app.blueprints.dispatch import services as dispatch

    with f.bound(store, request=True):
        dispatch.ship_order(None, order.id, "zhongtong", f"7320{next(_waybills):010d}")
    with f.bound(store) as session:
        row = session.get(Order, order.id)
        assert row.status == "shipped"                 # the rest left: nothing is waiting
        assert [l.shipped_quantity for l in row.lines] == [1, 1]
        reservation = session.scalar(select(Reservation).where(Reservation.reference == f"order:{order.number}"))
        assert reservation.status == "committed"
    assert _level(store, a) == (4, 0) and _level(store, b) == (2, 0)


def test_refunding_the_rest_before_shipment_closes_the_order_and_intercepts_its_notice(store):
    member = f.member(store)
    site = f.warehouse(store)            # one warehouse: one parcel
    a, b = f.sku(store, price=2500, stock=5, warehouse=site), f.sku(store, price=1000, stock=3, warehouse=site)
    order = bought(store, member, [(a, 2), (b, 1)], state="paid")
    _routed(store, order)
    la, lb = order.lines
    first = ask(store, member, order, "refund_only", {lb.id: 1})
    wait_for(lambda: _closed(store, first.id), timeout=120)
    assert _parcels(store, order.id) == [("pending", {a.code: 2}, {a.id: 2}, "draft")]
    assert _level(store, b) == (3, 0)
    second = ask(store, member, order, "refund_only", {la.id: 2})
    wait_for(lambda: _closed(store, second.id), timeout=120)
    assert [status for status, *_rest in _parcels(store, order.id)] == ["cancelled"]
    assert _level(store, a) == (5, 0)
    with f.bound(store) as session:
        assert session.get(Order, order.id).status == "closed"
    assert sum(amount for _ref, amount, status in refunds_of(store, order.id) if status == "succeeded") == 6000

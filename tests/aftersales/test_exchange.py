"""Exchange: the replacement SKU is reserved at approval (out of stock refuses the approval),
the returned unit is inspected, dispatch ships the replacement from that reservation, and the
request closes as exchanged; the order's own shipped counts stay as they were."""
import pytest
from sqlalchemy import select

from app.blueprints.aftersales import services
from app.blueprints.aftersales.models import AfterSalesRequest
from app.blueprints.dispatch import services as dispatch
from app.blueprints.dispatch.models import DeliveryNotice
from app.blueprints.inventory import services as inventory
from app.blueprints.orders.models import Order
from tests import factories as f
from tests.aftersales.conftest import ask, bought, request_row
from tests.conftest import wait_for


def _sizes(store, warehouse, m_stock=3, l_stock=1):
    product = f.product(store, options={"尺码": ["M", "L"]})
    m, l_ = sorted(product.skus, key=lambda s: s.options.get("尺码") != "M")
    if m_stock:
        f.stock(store, m, warehouse, m_stock)
    if l_stock:
        f.stock(store, l_, warehouse, l_stock)
    return m, l_


def test_an_exchange_reserves_the_replacement_and_dispatch_ships_it(store):
    member = f.member(store)
    warehouse = f.warehouse(store)
    bin_ = f.location(store, warehouse)
    m, l_ = _sizes(store, warehouse)
    order = bought(store, member, [(m, 1)], state="delivered")
    with pytest.raises(Exception, match="same product"):
        ask(store, member, order, "exchange", exchange={order.lines[0].id: m.id})
    req = ask(store, member, order, "exchange", exchange={order.lines[0].id: l_.id})
    assert req.amount == 0 and req.lines[0].exchange_sku_code == l_.code
    with f.bound(store, request=True) as session:
        services.approve(None, session.get(AfterSalesRequest, req.id))
    with f.bound(store):
        assert inventory.sellable([l_.id])[l_.id] == 0          # held for the shopper
    with f.bound(store, request=True) as session:
        row = session.get(AfterSalesRequest, req.id)
        services.receive(None, row)
        services.inspect_units(None, row, [services.UnitResult(row.lines[0].id, 1, "good", bin_.code)])
    row = request_row(store, req.id)
    assert row.status == "inspected" and row.exchange_notice
    with f.bound(store, request=True) as session:
        notice = session.scalar(select(DeliveryNotice).where(DeliveryNotice.number == row.exchange_notice))
        assert [(l.sku_id, l.quantity) for l in notice.lines] == [(l_.id, 1)]
        dispatch.ship(None, notice, "zhongtong", "73108888000001", 500)
    done = wait_for(lambda: (r := request_row(store, req.id)).status == "closed" and r, timeout=120)
    assert done.outcome == "exchanged"
    with f.bound(store) as session:
        assert session.get(Order, order.id).status == "delivered"
        assert inventory.sellable([l_.id])[l_.id] == 0 and inventory.sellable([m.id])[m.id] == 2 + 1


def test_an_exchange_whose_replacement_is_out_of_stock_cannot_be_approved(store):
    member = f.member(store)
    warehouse = f.warehouse(store)
    m, l_ = _sizes(store, warehouse, l_stock=0)
    order = bought(store, member, [(m, 1)], state="delivered")
    req = ask(store, member, order, "exchange", exchange={order.lines[0].id: l_.id})
    with pytest.raises(inventory.OutOfStock):
        with f.bound(store, request=True) as session:
            services.approve(None, session.get(AfterSalesRequest, req.id))
    assert request_row(store, req.id).status == "requested"

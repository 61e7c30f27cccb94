"""Delivery notices from paid orders: once per order, routed by the store's strategy,
re-routed and held by staff, each a sales outbound holding its part of the reservation."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.blueprints.dispatch import handlers, services
from app.blueprints.dispatch.models import DeliveryNotice
from app.blueprints.inventory import services as inventory
from app.blueprints.inventory.models import Reservation, StockDocument, StockLevel
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import Event
from app.extensions import db
from tests import factories as f
from tests.conftest import wait_for


def _levels(store, *skus):
    with f.bound(store) as session:
        rows = session.execute(select(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand,
                                      StockLevel.reserved).where(StockLevel.sku_id.in_([s.id for s in skus]))).all()
        return {(s, w): (o, r) for s, w, o, r in rows}


def _two_warehouses(store, stock_a=(5, 0), stock_b=(0, 5), regions=("", "")):
    """Two SKUs, two warehouses (W1 first by priority): stock_a = (W1, W2) of SKU a, stock_b of SKU b."""
    w1 = f.warehouse(store, priority=10)
    w2 = f.warehouse(store, priority=20)
    with f.bound(store, request=True):
        for w, region in zip((w1, w2), regions):
            inventory.save_warehouse(None, db.session.get(type(w), w.id), w.code, w.name, "own", "", w.priority, True,
                                     region)
    a, b = f.sku(store), f.sku(store)
    for sku, (in_1, in_2) in ((a, stock_a), (b, stock_b)):
        if in_1:
            f.stock(store, sku, w1, in_1)
        if in_2:
            f.stock(store, sku, w2, in_2)
    return a, b, w1, w2


def _strategy(store, strategy):
    with f.bound(store, request=True):
        services.save_settings(None, strategy)


def _notices(store, order_id):
    with f.bound(store) as session:
        rows = session.scalars(select(DeliveryNotice).where(DeliveryNotice.order_id == order_id)
                               .order_by(DeliveryNotice.part)).all()
        return [(n.number, n.warehouse_id, n.status, sorted((l.sku_id, l.quantity) for l in n.lines),
                 n.outbound_number) for n in rows]


def _route(store, order):
    with f.bound(store, request=True):
        services.create_notices(order.id)
    return _notices(store, order.id)


def test_a_paid_order_gets_its_delivery_notice_from_the_order_paid_event(store):
    order = f.order(store, state="paid")
    notices = wait_for(lambda: _notices(store, order.id), timeout=90)
    ((number, _wh, status, lines, outbound),) = notices
    assert number == f"{order.number}-1" and status == "pending" and lines == [(order.lines[0].sku_id, 1)]
    with f.bound(store) as session:
        document = session.scalar(select(StockDocument).where(StockDocument.number == outbound))
        assert (document.kind, document.status, document.reference) == ("sales", "draft", number)
        assert document.reservation_ref == f"order:{order.number}"


def test_a_redelivered_order_paid_creates_the_notice_once(app, store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 0), stock_b=(0, 5))
    order = f.order(store, state="paid", lines=[(a, 1), (b, 2)])
    first = wait_for(lambda: _notices(store, order.id), timeout=90)
    before = _levels(store, a, b)
    event = Event(10**9, "order.paid", {"order_id": order.id, "number": order.number, "from": "pending_payment"},
                  utcnow())

    def deliver_again(_i):
        with f.bound(store, request=True):
            handlers.route_paid_order(event)

    with ThreadPoolExecutor(max_workers=3) as pool:      # the same event, three times at once
        list(pool.map(deliver_again, range(3)))
    deliver_again(0)
    assert _notices(store, order.id) == first and len(first) == 2
    assert _levels(store, a, b) == before
    assert f.count(store, StockDocument, StockDocument.reservation_ref == f"order:{order.number}") == 2


def test_priority_routing_splits_two_skus_of_two_warehouses_into_two_notices(store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 0), stock_b=(0, 5))
    order = f.order(store, state="paid", lines=[(a, 2), (b, 1)])
    notices = _route(store, order)
    assert [(n[1], n[3]) for n in notices] == [(w1.id, [(a.id, 2)]), (w2.id, [(b.id, 1)])]
    levels = _levels(store, a, b)
    assert levels[(a.id, w1.id)] == (5, 2) and levels[(b.id, w2.id)] == (5, 1)


def test_single_warehouse_fill_moves_the_reservation_to_the_warehouse_holding_everything(store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 5), stock_b=(0, 5))
    _strategy(store, "single")
    order = f.order(store, state="paid", lines=[(a, 2), (b, 1)])      # reserved: a in W1, b in W2
    notices = _route(store, order)
    assert [(n[1], n[3]) for n in notices] == [(w2.id, sorted([(a.id, 2), (b.id, 1)]))]
    levels = _levels(store, a, b)
    assert levels[(a.id, w1.id)] == (5, 0) and levels[(a.id, w2.id)] == (5, 2) and levels[(b.id, w2.id)] == (5, 1)
    with f.bound(store):
        assert inventory.verify_ledger().drift == []


def test_nearest_routing_ships_from_the_warehouse_in_the_delivery_province(store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 5), stock_b=(5, 5), regions=("110105", "440305"))
    _strategy(store, "nearest")
    order = f.order(store, state="paid", lines=[(a, 1), (b, 1)],
                    address_values={**f.ADDRESS, "province": "广东省", "city": "深圳市", "region_code": "440304"})
    notices = _route(store, order)
    assert [n[1] for n in notices] == [w2.id]


def test_split_routing_sends_each_line_to_the_warehouse_holding_most(store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(2, 9), stock_b=(8, 1))
    _strategy(store, "split")
    order = f.order(store, state="paid", lines=[(a, 1), (b, 1)])
    notices = _route(store, order)
    assert sorted((n[1], n[3]) for n in notices) == sorted([(w2.id, [(a.id, 1)]), (w1.id, [(b.id, 1)])])


def test_reroute_moves_the_notice_and_its_reserved_stock_to_another_warehouse(store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 1), stock_b=(0, 5))
    order = f.order(store, state="paid", lines=[(a, 2)])
    ((number, wh, *_rest, outbound),) = _route(store, order)
    assert wh == w1.id
    with f.bound(store, request=True):
        notice = db.session.scalar(select(DeliveryNotice).where(DeliveryNotice.number == number))
        with pytest.raises(inventory.OutOfStock):                  # W2 holds only one
            services.reroute(None, notice, w2.id)
    f.stock(store, a, w2, 4)
    with f.bound(store, request=True):
        notice = db.session.scalar(select(DeliveryNotice).where(DeliveryNotice.number == number))
        services.reroute(None, notice, w2.id)
    ((_n, wh, status, _lines, new_outbound),) = _notices(store, order.id)
    assert (wh, status) == (w2.id, "pending") and new_outbound != outbound
    levels = _levels(store, a)
    assert levels[(a.id, w1.id)] == (5, 0) and levels[(a.id, w2.id)] == (5, 2)
    with f.bound(store):
        old = db.session.scalar(select(StockDocument).where(StockDocument.number == outbound))
        assert old.status == "cancelled"
        assert inventory.verify_ledger().drift == []


def test_a_held_notice_cannot_be_picked_or_shipped_until_released(store):
    order = f.order(store, state="paid")
    ((number, *_rest),) = _route(store, order)
    with f.bound(store, request=True):
        notice = db.session.scalar(select(DeliveryNotice).where(DeliveryNotice.number == number))
        with pytest.raises(DomainError):
            services.hold(None, notice, " ")
        services.hold(None, notice, "address check")
        with pytest.raises(IllegalTransition):
            services.create_wave(None, [notice.id])
        services.release_hold(None, notice)
        assert notice.status == "pending" and notice.hold_reason == ""


def test_notice_list_and_detail_pages(store, owner):
    order = f.order(store, state="paid")
    ((number, *_rest),) = wait_for(lambda: _notices(store, order.id), timeout=90)
    page = owner.get(f"/store/{store.slug}/dispatch/notices?order={order.number}").get_data(as_text=True)
    assert number in page and "Waiting to pick" in page
    with f.bound(store):
        notice_id = db.session.scalar(select(DeliveryNotice.id).where(DeliveryNotice.number == number))
    detail = owner.get(f"/store/{store.slug}/dispatch/notices/{notice_id}")
    assert detail.status_code == 200 and order.lines[0].sku_code in detail.get_data(as_text=True)
    export = owner.get(f"/store/{store.slug}/dispatch/notices?export=csv").get_data(as_text=True)
    assert number in export
    chinese = f.store(default_locale="zh_CN")
    client = f.client(store=chinese)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    for path in ("dispatch/notices", "dispatch/waves", "dispatch/settings"):
        html = client.get(f"/store/{chinese.slug}/{path}").get_data(as_text=True)
        assert 'lang="zh-CN"' in html and ("发货通知单" in html or "波次" in html or "分仓策略" in html), path

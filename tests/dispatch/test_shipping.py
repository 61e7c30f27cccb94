"""Shipping parcels: each notice commits its part of the order's stock exactly once, the
order counts shipped quantities per line, cancelling before shipment stops everything."""
import pytest
from sqlalchemy import select

from app.blueprints.dispatch import handlers, services
from app.blueprints.catalog.models import Sku
from app.blueprints.dispatch.models import DeliveryNotice, Wave
from app.blueprints.inventory import documents, services as inventory
from app.blueprints.inventory.models import Reservation, StockDocument
from app.blueprints.orders import services as orders
from app.blueprints.orders.models import Order, OrderLine
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import Event, OutboxEvent
from app.extensions import db
from tests import factories as f
from tests.conftest import wait_for
from tests.dispatch.test_notices import _levels, _notices, _route, _two_warehouses

SF = ("shunfeng", "SF1234567890123")


def _notice(number):
    return db.session.scalar(select(DeliveryNotice).where(DeliveryNotice.number == number))


def _ship(store, number, waybill=SF[1]):
    with f.bound(store, request=True):
        services.ship(None, _notice(number), SF[0], waybill, 800)


def _order_state(store, order_id):
    with f.bound(store) as session:
        order = session.get(Order, order_id)
        shipped = {l.sku_id: l.shipped_quantity for l in session.scalars(select(OrderLine)
                                                                         .where(OrderLine.order_id == order_id))}
        return order.status, shipped


@pytest.mark.parametrize("first", [0, 1])
def test_each_parcel_commits_its_stock_once_whatever_the_order_of_events(store, first):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 0), stock_b=(0, 5))
    order = f.order(store, state="paid", lines=[(a, 2), (b, 1)])
    notices = _route(store, order)
    numbers = [n[0] for n in notices]
    _ship(store, numbers[first])
    assert _order_state(store, order.id)[0] == "partially_shipped"
    with pytest.raises(IllegalTransition):                       # the same parcel again: refused
        _ship(store, numbers[first], "SF1234567890124")
    with f.bound(store, request=True):                           # order.paid redelivered after a shipment
        handlers.route_paid_order(Event(10**9, "order.paid", {"order_id": order.id}, utcnow()))
        outbound = db.session.scalar(select(StockDocument).where(StockDocument.number == notices[first][4]))
        with pytest.raises(IllegalTransition):                   # its outbound shipped again: refused
            documents.ship_sales(None, outbound)
    _ship(store, numbers[1 - first], "SF1234567890125")
    levels = _levels(store, a, b)
    assert levels[(a.id, w1.id)] == (3, 0) and levels[(b.id, w2.id)] == (4, 0)
    status, shipped = _order_state(store, order.id)
    assert status == "shipped" and shipped == {a.id: 2, b.id: 1}
    with f.bound(store) as session:
        reservation = session.scalar(select(Reservation).where(Reservation.reference == f"order:{order.number}"))
        assert reservation.status == "committed"
        assert inventory.verify_ledger().drift == []
        payloads = [e.payload for e in session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "parcel.shipped"))
                    if e.payload["order_id"] == order.id]
    assert sorted(p["notice_number"] for p in payloads) == sorted(numbers)
    assert {p["carrier_code"] for p in payloads} == {"shunfeng"}
    assert all(p["lines"] and p["outbound_number"] and p["weight_grams"] == 800 for p in payloads)
    assert _notices(store, order.id) == [(n[0], n[1], "shipped", n[3], n[4]) for n in notices]


def test_a_malformed_waybill_or_unknown_carrier_ships_nothing(store):
    order = f.order(store, state="paid")
    ((number, *_rest),) = _route(store, order)
    sku = f.get(store, Sku, order.lines[0].sku_id)
    before = _levels(store, sku)
    with f.bound(store, request=True):
        for carrier, waybill, field in (("nobody", "SF1234567890123", "carrier"), ("shunfeng", "12", "waybill_no")):
            with pytest.raises(DomainError) as refused:
                services.ship(None, _notice(number), carrier, waybill)
            assert refused.value.field == field
            db.session.rollback()
    assert _notices(store, order.id)[0][2] == "pending"
    assert _levels(store, sku) == before


def test_closing_an_unshipped_order_intercepts_its_notices_and_releases_the_stock(store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 0), stock_b=(0, 5))
    order = f.order(store, state="paid", lines=[(a, 2), (b, 1)])
    notices = _route(store, order)
    with f.bound(store, request=True):
        wave = services.create_wave(None, [_notice(notices[0][0]).id])
        services.pack(None, _notice(notices[0][0]), 500)        # one parcel packed, one waiting
        wave_id = wave.id
    with f.bound(store, request=True):
        orders.close_order(None, db.session.get(Order, order.id), "shopper cancelled")
    levels = _levels(store, a, b)
    assert levels[(a.id, w1.id)] == (5, 0) and levels[(b.id, w2.id)] == (5, 0)
    wait_for(lambda: all(n[2] == "cancelled" for n in _notices(store, order.id)), timeout=90)
    with f.bound(store) as session:
        statuses = session.scalars(select(StockDocument.status).where(
            StockDocument.reservation_ref == f"order:{order.number}")).all()
        assert sorted(statuses) == ["cancelled", "cancelled"]
        assert session.get(Wave, wave_id).status == "done"         # nothing left to pick in it
    with f.bound(store, request=True), pytest.raises(IllegalTransition):
        services.ship(None, _notice(notices[1][0]), *SF)
    assert _levels(store, a, b) == levels


def test_a_partially_shipped_order_cannot_be_closed(store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 0), stock_b=(0, 5))
    order = f.order(store, state="paid", lines=[(a, 1), (b, 1)])
    notices = _route(store, order)
    _ship(store, notices[0][0])
    with f.bound(store, request=True), pytest.raises(IllegalTransition):
        orders.close_order(None, db.session.get(Order, order.id), "too late")


def test_ship_order_routes_first_when_the_paid_event_has_not_arrived_yet(store):
    order = f.order(store, state="paid")
    with f.bound(store, request=True):
        services.ship_order(None, order.id, *SF)
    assert _order_state(store, order.id)[0] == "shipped"
    with f.bound(store, request=True):                           # the event arrives late: nothing more
        handlers.route_paid_order(Event(10**9, "order.paid", {"order_id": order.id}, utcnow()))
    assert len(_notices(store, order.id)) == 1

"""Tracking through Kuaidi100's real protocol, against the fake Kuaidi100 server: subscription
after a parcel ships, pushes in and out of order and duplicated, bad signatures refused without
change, the query fallback, and the order delivered once every parcel is signed for."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.blueprints.logistics.models import Shipment, ShipmentEvent, TrackingEvent, TrackingPush
from app.blueprints.orders.models import Order
from app.core.outbox import OutboxEvent
from tests import factories
from tests.conftest import wait_for
from tests.logistics.conftest import parcel_payload, run_logistics_handler, ship_parcel, ensure_parcel_topic

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


def _shipment(store, shipment_id) -> Shipment:
    return factories.get(store, Shipment, shipment_id)


def _events(store, shipment_id) -> list[tuple]:
    return factories.read(store, lambda: [(e.at, e.status) for e in factories.db_session().scalars(
        select(TrackingEvent).where(TrackingEvent.shipment_id == shipment_id).order_by(TrackingEvent.at))])


def _subscribed(store, fake, shipment):
    try:
        wait_for(lambda: _shipment(store, shipment.id).subscription == "subscribed")
    except AssertionError:
        got = _shipment(store, shipment.id)
        raise AssertionError(f"subscription {got.subscription}: {got.subscription_error}") from None
    return fake.subscriptions[(shipment.carrier_code, shipment.waybill_no)]


def test_a_shipped_parcel_becomes_one_shipment_and_subscribes_its_waybill(app, client, tracked_store, fake_kuaidi100):
    order = factories.order(tracked_store, "shipped")
    shipment = ship_parcel(tracked_store, order, carrier="zhongtong")
    assert shipment.status == "awaiting_pickup" and shipment.order_number == order.number
    sub = _subscribed(tracked_store, fake_kuaidi100, shipment)
    # subscribed with the store's key, a salt of its own and the store's push endpoint
    assert sub["key"] == tracked_store.kuaidi100["key"] and len(sub["salt"]) >= 16
    assert sub["callbackurl"].endswith(f"/carrier/{tracked_store.slug}/kuaidi100/push")
    assert sub["resultv2"] == "1"


def test_the_same_notice_shipped_again_makes_no_second_shipment(app, tracked_store, fake_kuaidi100):
    ensure_parcel_topic()
    order = factories.order(tracked_store, "shipped")
    first = ship_parcel(tracked_store, order, notice_id=777001)
    # the event redelivered, and the same notice announced again in a new event
    from app.core import outbox

    with factories.bound(tracked_store, request=True):
        again = outbox.emit("parcel.shipped", parcel_payload(order, notice_id=777001)).id
    run_logistics_handler(tracked_store, again)
    assert factories.count(tracked_store, Shipment, Shipment.order_id == order.id) == 1
    assert factories.count(tracked_store, ShipmentEvent, ShipmentEvent.shipment_id == first.id,
                           ShipmentEvent.action == "created") == 1


def test_pushes_in_any_order_and_repeated_store_each_scan_once(app, client, tracked_store, fake_kuaidi100):
    fake = fake_kuaidi100
    order = factories.order(tracked_store, "shipped")
    s = ship_parcel(tracked_store, order)
    _subscribed(tracked_store, fake, s)
    com, no = s.carrier_code, s.waybill_no
    collected = fake.scan(com, no, "1", "【上海市】快件已揽收", at=T0)
    early = fake.push(com, no)                                    # Kuaidi100 sends the whole record each time
    fake.scan(com, no, "0", "【上海市】已发往 北京分拨中心", at=T0 + timedelta(hours=5))
    fake.scan(com, no, "5", "【北京市】快递员 李四 正在派件", at=T0 + timedelta(hours=20), area="北京市")
    late = fake.push(com, no)

    path, form = late                                             # the later push arrives first
    answer = client.post(path, data=form)
    assert answer.status_code == 200 and answer.get_json() == {"result": True, "returnCode": "200", "message": "成功"}
    assert _shipment(tracked_store, s.id).status == "out_for_delivery"
    path, form = early                                            # then the earlier one, then the later again
    assert client.post(path, data=form).get_json()["result"] is True
    assert post_push(client, late).get_json()["result"] is True
    assert _events(tracked_store, s.id) == [(T0, "in_transit"), (T0 + timedelta(hours=5), "in_transit"),
                                            (T0 + timedelta(hours=20), "out_for_delivery")]
    got = _shipment(tracked_store, s.id)
    assert got.status == "out_for_delivery" and got.last_event_at == T0 + timedelta(hours=20)
    outcomes = factories.read(tracked_store, lambda: [p.outcome for p in factories.db_session().scalars(
        select(TrackingPush).where(TrackingPush.shipment_id == s.id).order_by(TrackingPush.id))])
    assert outcomes == ["applied", "duplicate", "duplicate"]
    raw = factories.read(tracked_store, lambda: factories.db_session().scalar(
        select(TrackingEvent.raw).where(TrackingEvent.shipment_id == s.id, TrackingEvent.at == T0)))
    assert raw["context"] == collected["context"] and raw["statusCode"] == "1"    # the carrier's record kept


def test_a_push_with_a_bad_signature_is_refused_and_changes_nothing(app, client, tracked_store, fake_kuaidi100):
    fake = fake_kuaidi100
    order = factories.order(tracked_store, "shipped")
    s = ship_parcel(tracked_store, order)
    _subscribed(tracked_store, fake, s)
    fake.scan(s.carrier_code, s.waybill_no, "3", "已签收，签收人：本人", at=T0)
    path, form = fake.push(s.carrier_code, s.waybill_no, salt="not-the-salt")
    answer = client.post(path, data=form)
    assert answer.status_code == 200 and answer.get_json()["result"] is False
    tampered = dict(fake.push(s.carrier_code, s.waybill_no)[1])
    tampered["param"] = tampered["param"].replace("已签收", "已签收 ")        # signed, then altered
    assert client.post(path, data=tampered).get_json()["result"] is False
    assert client.post(path, data={"param": "{}"}).get_json()["result"] is False   # no signature at all
    assert _events(tracked_store, s.id) == []
    assert _shipment(tracked_store, s.id).status == "awaiting_pickup"
    assert factories.count(tracked_store, TrackingPush, TrackingPush.outcome == "bad_signature") == 3


def test_signed_for_delivers_the_order_once_every_parcel_is_signed(app, client, tracked_store, fake_kuaidi100):
    fake = fake_kuaidi100
    order = factories.order(tracked_store, "shipped")
    first = ship_parcel(tracked_store, order, carrier="zhongtong", lines=[])
    second = ship_parcel(tracked_store, order, carrier="shunfeng", waybill="SF1000000000001", lines=[])
    for s in (first, second):
        _subscribed(tracked_store, fake, s)
        fake.scan(s.carrier_code, s.waybill_no, "1", "快件已揽收", at=T0)
    fake.scan(first.carrier_code, first.waybill_no, "301", "已签收，签收人：本人", at=T0 + timedelta(days=1))
    post_push(client, fake.push(first.carrier_code, first.waybill_no))
    got = _shipment(tracked_store, first.id)
    assert got.status == "signed" and got.signed_at == T0 + timedelta(days=1)
    signed = factories.read(tracked_store, lambda: [e.payload for e in factories.db_session().scalars(
        select(OutboxEvent).where(OutboxEvent.topic == "shipment.signed"))])
    assert [p["all_signed"] for p in signed if p["order_id"] == order.id] == [False]
    wait_for(lambda: _no_pending(tracked_store))
    assert factories.get(tracked_store, Order, order.id).status == "shipped"       # one parcel still on its way

    fake.scan(second.carrier_code, second.waybill_no, "3", "已签收", at=T0 + timedelta(days=2))
    post_push(client, fake.push(second.carrier_code, second.waybill_no))
    wait_for(lambda: factories.get(tracked_store, Order, order.id).status == "delivered")
    # a push of the signed parcel again changes nothing and emits nothing
    post_push(client, fake.push(second.carrier_code, second.waybill_no))
    assert factories.count(tracked_store, OutboxEvent, OutboxEvent.topic == "shipment.signed") == 2


def post_push(client, pair):
    path, form = pair
    return client.post(path, data=form)


def _no_pending(store) -> bool:
    """Every shipment.signed event handled (other centers' events may be retrying meanwhile)."""
    return factories.count(store, OutboxEvent, OutboxEvent.status == "pending",
                           OutboxEvent.topic == "shipment.signed") == 0


def test_parcels_signed_before_the_order_counted_as_shipped_still_deliver_it(app, client, tracked_store, fake_kuaidi100):
    """A fast carrier and a slow event: the signature arrives while the order is not shipped yet."""
    from app.blueprints.orders import services as order_services

    fake = fake_kuaidi100
    order = factories.order(tracked_store, "allocated")
    s = ship_parcel(tracked_store, order)
    _subscribed(tracked_store, fake, s)
    fake.scan(s.carrier_code, s.waybill_no, "3", "已签收", at=T0)
    post_push(client, fake.push(s.carrier_code, s.waybill_no))
    wait_for(lambda: _no_pending(tracked_store))
    assert factories.get(tracked_store, Order, order.id).status == "allocated"
    with factories.bound(tracked_store, request=True) as session:
        order_services.ship(None, session.get(Order, order.id), "")
    wait_for(lambda: factories.get(tracked_store, Order, order.id).status == "delivered")

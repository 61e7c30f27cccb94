"""Time is an input: a shipment whose tracking has not moved for the store's N hours is flagged
for staff by the periodic job, the query fallback asks the carrier when pushes stop, refused
subscriptions are tried again, and a delivered order confirms itself after its days."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.blueprints.logistics import accounts, jobs as logistics_jobs
from app.blueprints.logistics.models import Shipment, TrackingPush
from app.blueprints.orders import jobs as order_jobs
from app.blueprints.orders.models import Order
from app.core import jobs
from app.core.db import utcnow
from app.core.outbox import OutboxEvent
from tests import factories
from tests.conftest import wait_for
from tests.logistics.conftest import ship_parcel
from tests.logistics.test_tracking import _shipment, _subscribed, post_push


def _run(app, store, fn):
    """A periodic store job, run the way the worker runs it (store bound, one commit)."""
    with app.app_context():
        return jobs.run_job(fn.job_name, store.id, [], {})


def _exception_events(store, shipment_id):
    return [e["flag"] for e in factories.read(store, lambda: [ev.payload for ev in factories.db_session().scalars(
        select(OutboxEvent).where(OutboxEvent.topic == "shipment.exception").order_by(OutboxEvent.id))])
        if e["shipment_id"] == shipment_id]


def test_no_movement_for_the_stores_hours_flags_the_shipment_once(app, client, tracked_store, fake_kuaidi100):
    with factories.bound(tracked_store, request=True):
        accounts.save_settings(None, 24, None)
    order = factories.order(tracked_store, "shipped")
    s = ship_parcel(tracked_store, order)
    _subscribed(tracked_store, fake_kuaidi100, s)
    start = utcnow()
    fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "1", "快件已揽收", at=start)
    post_push(client, fake_kuaidi100.push(s.carrier_code, s.waybill_no))
    with time_machine.travel(start + timedelta(hours=23), tick=True):
        assert _run(app, tracked_store, logistics_jobs.flag_stuck_shipments) == 0
    with time_machine.travel(start + timedelta(hours=25), tick=True):
        assert _run(app, tracked_store, logistics_jobs.flag_stuck_shipments) == 1
        assert _run(app, tracked_store, logistics_jobs.flag_stuck_shipments) == 0     # flagged once
        got = _shipment(tracked_store, s.id)
        assert got.flag == "stale" and got.status == "in_transit"
        assert _exception_events(tracked_store, s.id) == ["stale"]
        # the parcel moves again: the flag goes by itself
        fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "0", "已到达 北京分拨中心", at=start + timedelta(hours=24, minutes=30))
        post_push(client, fake_kuaidi100.push(s.carrier_code, s.waybill_no))
        assert _shipment(tracked_store, s.id).flag is None


def test_a_return_to_sender_or_a_problem_flags_the_shipment(app, client, tracked_store, fake_kuaidi100):
    order = factories.order(tracked_store, "shipped")
    returned, troubled = ship_parcel(tracked_store, order), ship_parcel(tracked_store, order)
    for s in (returned, troubled):
        _subscribed(tracked_store, fake_kuaidi100, s)
        fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "1", "快件已揽收", at=utcnow() - timedelta(hours=3))
    fake_kuaidi100.scan(returned.carrier_code, returned.waybill_no, "6", "收件人拒收，快件退回中",
                        at=utcnow() - timedelta(hours=1))
    fake_kuaidi100.scan(troubled.carrier_code, troubled.waybill_no, "2", "地址不详，联系不上收件人",
                        at=utcnow() - timedelta(hours=1))
    for s in (returned, troubled):
        post_push(client, fake_kuaidi100.push(s.carrier_code, s.waybill_no))
    assert (_shipment(tracked_store, returned.id).status, _shipment(tracked_store, returned.id).flag) == ("returned", "returned")
    assert (_shipment(tracked_store, troubled.id).status, _shipment(tracked_store, troubled.id).flag) == ("exception", "exception")
    assert _exception_events(tracked_store, returned.id) == ["returned"]


def test_when_pushes_stop_the_follow_up_asks_the_carrier(app, tracked_store, fake_kuaidi100):
    order = factories.order(tracked_store, "shipped")
    s = ship_parcel(tracked_store, order)
    _subscribed(tracked_store, fake_kuaidi100, s)
    start = utcnow()
    fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "1", "快件已揽收", at=start + timedelta(hours=1))
    fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "3", "已签收", at=start + timedelta(hours=10))
    asked = len([r for r in fake_kuaidi100.requests if r[0] == "/poll/query.do"])
    with time_machine.travel(start + timedelta(hours=6), tick=True):
        _run(app, tracked_store, logistics_jobs.follow_up_tracking)        # not quiet for long enough yet
    assert len([r for r in fake_kuaidi100.requests if r[0] == "/poll/query.do"]) == asked
    with time_machine.travel(start + timedelta(hours=13), tick=True):
        assert _run(app, tracked_store, logistics_jobs.follow_up_tracking)["queried"] >= 1
    got = _shipment(tracked_store, s.id)
    assert got.status == "signed" and got.last_queried_at is not None
    assert factories.count(tracked_store, TrackingPush, TrackingPush.shipment_id == s.id,
                           TrackingPush.source == "query", TrackingPush.new_events == 2) == 1
    wait_for(lambda: factories.get(tracked_store, Order, order.id).status == "delivered")


def test_a_refused_subscription_is_tried_again_by_the_follow_up(app, tracked_store, fake_kuaidi100):
    fake_kuaidi100.refuse_subscription = "500"
    try:
        order = factories.order(tracked_store, "shipped")
        s = ship_parcel(tracked_store, order)
        wait_for(lambda: _shipment(tracked_store, s.id).subscription == "failed")
        assert "500" in _shipment(tracked_store, s.id).subscription_error
    finally:
        fake_kuaidi100.refuse_subscription = None
    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=True):
        _run(app, tracked_store, logistics_jobs.follow_up_tracking)
    assert _shipment(tracked_store, s.id).subscription == "subscribed"


def test_a_delivered_order_completes_by_itself_after_its_confirmation_days(app, client, tracked_store, fake_kuaidi100):
    order = factories.order(tracked_store, "shipped")
    s = ship_parcel(tracked_store, order)
    _subscribed(tracked_store, fake_kuaidi100, s)
    fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "3", "已签收", at=utcnow())
    post_push(client, fake_kuaidi100.push(s.carrier_code, s.waybill_no))
    wait_for(lambda: factories.get(tracked_store, Order, order.id).status == "delivered")
    delivered_at = factories.get(tracked_store, Order, order.id).delivered_at
    days = 10                                                   # the normal order type's default
    with time_machine.travel(delivered_at + timedelta(days=days) - timedelta(hours=1), tick=True):
        _run(app, tracked_store, order_jobs.confirm_delivered_orders)
        assert factories.get(tracked_store, Order, order.id).status == "delivered"
    with time_machine.travel(delivered_at + timedelta(days=days, hours=1), tick=True):
        _run(app, tracked_store, order_jobs.confirm_delivered_orders)
    assert factories.get(tracked_store, Order, order.id).status == "completed"


def test_orders_still_within_their_days_never_hide_the_ones_that_are_due(app, store):
    from app.blueprints.orders import services as order_services

    recent = [factories.order(store, "delivered") for _ in range(2)]     # read first by a plain scan
    due = factories.order(store, "delivered")
    with factories.bound(store) as session:
        session.get(Order, due.id).delivered_at = utcnow() - timedelta(days=11)
    with factories.bound(store):
        assert order_services.auto_confirm(limit=1) == 1       # one at a time: the due one, not a recent one
    assert factories.get(store, Order, due.id).status == "completed"
    assert {factories.get(store, Order, o.id).status for o in recent} == {"delivered"}

"""Edges found in review: uncertain gateway answers, refunds that change their mind, lines
refunded twice, hostile input, keys that cannot work, currencies a gateway does not take."""
import time

import pytest
from sqlalchemy import select, update

from app.blueprints.orders.models import Order, OrderLine
from app.blueprints.payments import refunds, services
from app.blueprints.payments.gateways import GatewayError
from app.blueprints.payments.models import GatewayAccount, Payment, Refund
from app.blueprints.platform.models import Store
from app.core.errors import DomainError
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.orders.test_orders import _place, _shop
from tests.payments.test_alipay import _alipay_store, alipay_paid
from tests.payments.test_refunds import _paid
from tests.payments.test_stripe import _event, _signed, stripe_paid


def test_an_uncertain_alipay_answer_keeps_the_refund_pending_and_it_is_sent_again(app, client, store, fake_gateways):
    alipay, _stripe = fake_gateways
    _app_id, _order_id, number = alipay_paid(app, client, store, alipay, 1000)
    alipay.refuse_refund = "busy"
    try:
        with app.test_request_context(), store_context(db.session.get(Store, store.id)):
            item_id = refunds.refund(None, db.session.scalar(select(Payment)), f"u-{number}", 400).id
            db.session.commit()
            with pytest.raises(GatewayError, match="20000|unknow"):
                refunds.send(item_id)
            db.session.rollback()
        time.sleep(0.5)
        assert _get(app, store, lambda: db.session.get(Refund, item_id).status) == "pending"
        assert _get(app, store, lambda: refunds.refundable(db.session.scalar(select(Payment)))) == 600
    finally:
        alipay.refuse_refund = None
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        refunds.send(item_id)                   # the job's retry, same out_request_no
        db.session.commit()
    assert _get(app, store, lambda: db.session.get(Refund, item_id).status) == "succeeded"
    assert len([r for r in alipay.refunds if r["out_request_no"] == f"u-{number}"]) == 1


def test_a_stripe_refund_that_fails_after_succeeding_reopens_the_payment(app, client, store, fake_gateways):
    _alipay, fake = fake_gateways
    secret, _intent = stripe_paid(app, client, store, fake, 2000)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        refunds.refund(None, db.session.scalar(select(Payment)), "sf-1", 2000)
        db.session.commit()
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.gateway_refund_no))))
    sent = next(r for r in fake.refunds.values() if r["metadata"].get("request_id") == "sf-1")
    for status in ("succeeded", "failed"):
        sent["status"] = status
        event = _event("refund.updated", sent)
        assert client.post(f"/pay/{store.slug}/notify/stripe", data=event, headers=_signed(event, secret)).status_code == 200
        if status == "succeeded":
            assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "refunded"
    status, flagged = _get(app, store, lambda: db.session.execute(select(Payment.status, Payment.flagged)).one())
    assert status == "succeeded" and "sf-1" in flagged
    assert _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "failed"
    assert _get(app, store, lambda: refunds.refundable(db.session.scalar(select(Payment)))) == 2000


def test_a_line_is_not_refunded_twice(app, client, store):
    order_id = _paid(app, client, store, price=999, quantity=3)
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        payment = db.session.scalar(select(Payment))
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        amounts = [refunds.refund(None, payment, "l-1", lines={line.id: 2}).amount]
        with pytest.raises(DomainError, match="between 0 and 1"):
            refunds.refund(None, payment, "l-2", lines={line.id: 2})
        with pytest.raises(DomainError, match="not part of this order"):
            refunds.refund(None, payment, "l-3", lines={line.id + 1000: 1})
        amounts.append(refunds.refund(None, payment, "l-4", lines={line.id: 1}).amount)
        assert sum(amounts) == line.total == 2997
        db.session.commit()


def test_hostile_input_gets_an_answer_not_a_crash(app, client, owner, store):
    _paid(app, client, store, price=500, quantity=1)
    payment_id = _get(app, store, lambda: db.session.scalar(select(Payment.id)))
    page = f"/store/{store.slug}/payments/{payment_id}/refund"
    for data in ({"amount": "Infinity"}, {"amount": "sNaN"}, {"amount": "1e400"},
                 {"by": "lines", "qty_²": "1"}, {"by": "lines", "qty_1": "½"}):
        assert owner.form(page, data).status_code in (200, 302, 303, 422), data   # a field error or a flash, never a crash
    assert _get(app, store, lambda: db.session.scalar(select(Refund.id))) is None
    answer = client.post(f"/pay/{store.slug}/notify/sandbox", data={"out_trade_no": "x", "sign": "签名"})
    assert answer.status_code == 400


def test_keys_that_cannot_work_are_refused_when_saved(app, owner, store):
    owner.form(f"/store/{store.slug}/payments/gateways/alipay", {
        "app_id": "2021", "environment": "sandbox", "app_private_key": "not a key", "alipay_public_key": "MIIB"})
    owner.form(f"/store/{store.slug}/payments/gateways/stripe", {
        "publishable_key": "pk_test_1", "secret_key": "pk_oops", "webhook_secret": "whsec_1"})
    assert _get(app, store, lambda: db.session.scalars(select(GatewayAccount)).all()) == []


def test_alipay_takes_only_yuan(app, store, fake_gateways):
    alipay, _stripe = fake_gateways
    _alipay_store(app, store, alipay)
    (sku,), _wh = _shop(app, store, price=1000)
    order_id = _place(app, store, [(sku, 1)])
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        db.session.execute(update(Order).values(currency="USD"))
        with pytest.raises(DomainError, match="does not take USD"):
            services.start_payment(db.session.get(Order, order_id), "alipay")
        assert services.start_payment(db.session.get(Order, order_id), "sandbox").currency == "USD"
        db.session.rollback()


def test_a_refund_stuck_pending_flags_its_payment(app, client, store, fake_gateways):
    from datetime import timedelta

    from app.core.db import utcnow

    alipay, _stripe = fake_gateways
    _app_id, _order_id, number = alipay_paid(app, client, store, alipay, 1000)
    alipay.refuse_refund = "busy"
    try:
        with app.test_request_context(headers={"Accept-Language": "en"}), \
                store_context(db.session.get(Store, store.id)):
            refunds.refund(None, db.session.scalar(select(Payment)), f"stuck-{number}", 100)
            db.session.commit()
            assert refunds.flag_stuck() == 0                      # young: the job's retries are still going
            db.session.execute(update(Refund).values(created_at=utcnow() - timedelta(hours=2)))
            assert refunds.flag_stuck() == 1 and refunds.flag_stuck() == 0
            assert f"stuck-{number}" in db.session.scalar(select(Payment.flagged))
            db.session.rollback()
    finally:
        alipay.refuse_refund = None


def test_pending_refunds_are_settled_by_asking_the_gateway(app, client, store, fake_gateways):
    from datetime import timedelta

    from app.core.db import utcnow

    alipay, fake = fake_gateways
    _app_id, _order_id, number = alipay_paid(app, client, store, alipay, 3000)
    alipay.refuse_refund = "busy"                # every refund answer is "busy" for now
    try:
        with app.test_request_context(), store_context(db.session.get(Store, store.id)):
            first = refunds.refund(None, db.session.scalar(select(Payment)), f"q1-{number}", 1000).id
            second = refunds.refund(None, db.session.scalar(select(Payment)), f"q2-{number}", 500).id
            db.session.commit()
        # Alipay did refund the first one; its answer was lost
        alipay.refunds.append({"out_trade_no": number, "out_request_no": f"q1-{number}", "refund_amount": "10.00"})
        with app.test_request_context(), store_context(db.session.get(Store, store.id)):
            db.session.execute(update(Refund).values(created_at=utcnow() - timedelta(minutes=30)))
            assert refunds.query_pending(after_each=db.session.commit) == 1
            db.session.commit()
        statuses = _get(app, store, lambda: {r.id: r.status for r in db.session.scalars(select(Refund))})
        assert statuses == {first: "succeeded", second: "pending"}
    finally:
        alipay.refuse_refund = None
    # the one Alipay never saw is sent again with its request id (by the worker) and goes through
    wait_for(lambda: _get(app, store, lambda: db.session.get(Refund, second).status) == "succeeded")
    assert len([r for r in alipay.refunds if r["out_request_no"] == f"q2-{number}"]) == 1


def test_a_stripe_refund_whose_webhook_never_came_is_settled_by_asking(app, client, make_store, fake_gateways):
    from datetime import timedelta

    from app.core.db import utcnow

    store = make_store()
    _alipay, fake = fake_gateways
    stripe_paid(app, client, store, fake, 2500)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        refunds.refund(None, db.session.scalar(select(Payment)), "sq-1", 2500)
        db.session.commit()
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.gateway_refund_no))))
    next(r for r in fake.refunds.values() if r["metadata"].get("request_id") == "sq-1")["status"] = "succeeded"
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        db.session.execute(update(Refund).values(created_at=utcnow() - timedelta(minutes=30)))
        assert refunds.query_pending(after_each=db.session.commit) == 1
        db.session.commit()
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "refunded"



def test_the_payment_an_order_was_paid_by_is_not_flagged_when_its_event_is_handled(app, store):
    """The factory's payments once came back flagged 'Not needed (the order was already paid)'
    whenever the worker handled their payment.succeeded: the handler took the order's own
    payment for a second one. A second payment of the paid order is still flagged."""
    from types import SimpleNamespace

    from app.blueprints.payments.handlers import order_paid
    from app.extensions import db
    from tests import factories as f

    order = f.order(store)
    first, second = f.payment(store, order, status="pending"), f.payment(store, order, status="pending")
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        rows = [db.session.get(Payment, first.id), db.session.get(Payment, second.id)]
        for row in rows:
            services.move(row, "succeeded", "test")
        for row in rows:       # the first pays the order; its event comes (again), then the second's
            order_paid(SimpleNamespace(payload={"order_id": row.order_id, "payment_id": row.id,
                                                "number": row.number, "amount": row.amount}))
            order_paid(SimpleNamespace(payload={"order_id": row.order_id, "payment_id": row.id,
                                                "number": row.number, "amount": row.amount}))
        flags = (rows[0].flagged, rows[1].flagged)
        db.session.rollback()
    assert flags[0] is None
    assert "already paid" in (flags[1] or "")

"""Alipay (RSA2) offline: keys generated here, a fake gateway.do that checks our signatures and
signs its answers, notifications shaped and signed as Alipay sends them."""
import json
import urllib.parse
from datetime import timedelta

from sqlalchemy import select, update

from app.blueprints.orders.models import Order
from app.blueprints.payments import accounts, refunds, services
from app.blueprints.payments.gateways.alipay import rsa2_verify, signing_string
from app.blueprints.payments.models import Payment, PaymentNotification, Refund
from app.blueprints.platform.models import Store
from app.core.db import utcnow
from app.core.money import to_decimal_text
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.orders.test_orders import _place, _shop
from tests.payments.test_sandbox import shopper_order
from tests.support.fake_gateways import new_rsa_keys


def _alipay_store(app, store, fake) -> tuple[str, str]:
    """Configure Alipay for the store with a fresh app key pair; returns (app_id, app public key)."""
    private, public = new_rsa_keys()
    app_id = f"2021{store.id:012d}"
    fake.apps[app_id] = public
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        accounts.save_account(None, "alipay", True, {"app_id": app_id, "environment": "sandbox",
                                                      "app_private_key": private,
                                                      "alipay_public_key": fake.public_key})
        db.session.commit()
    return app_id, public


def _alipay_payment(app, store, price=8888) -> tuple[int, str, int]:
    (sku,), _wh = _shop(app, store, price=price)
    order_id = _place(app, store, [(sku, 1)])
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        payment = services.start_payment(db.session.get(Order, order_id), "alipay")
        db.session.commit()
        return order_id, payment.number, payment.amount


def alipay_paid(app, client, store, fake, price: int) -> tuple[str, int, str]:
    """A store with Alipay and one order paid through it (notified): (app_id, order id, payment number)."""
    app_id, _public = _alipay_store(app, store, fake)
    order_id, number, _amount = _alipay_payment(app, store, price=price)
    answer = client.post(f"/pay/{store.slug}/notify/alipay", data=fake.notification(
        app_id, out_trade_no=number, trade_no=f"2026{number}", trade_status="TRADE_SUCCESS",
        total_amount=to_decimal_text(price)))
    assert answer.get_data(as_text=True) == "success"
    return app_id, order_id, number


def test_credentials_are_sealed_and_never_shown(app, owner, store, fake_gateways):
    alipay, _stripe = fake_gateways
    _alipay_store(app, store, alipay)
    sealed = _get(app, store, lambda: accounts.account("alipay").sealed)
    assert "PRIVATE KEY" not in sealed and alipay.public_key[30:60] not in sealed
    page = owner.get(f"/store/{store.slug}/payments/gateways").get_data(as_text=True)
    assert "PRIVATE KEY" not in page and "••••" in page
    assert f"/pay/{store.slug}/notify/alipay" in page
    # saving with the key fields empty keeps the stored keys; enabling without them is refused
    owner.form(f"/store/{store.slug}/payments/gateways/alipay", {"app_id": "2021x", "environment": "sandbox",
                                                                 "enabled": "1"})
    assert _get(app, store, lambda: accounts.gateway("alipay").secrets["alipay_public_key"]) == alipay.public_key.strip()
    owner.form(f"/store/{store.slug}/payments/gateways/stripe", {"publishable_key": "pk_test_1", "enabled": "1"})
    assert _get(app, store, lambda: accounts.account("stripe")) is None


def test_page_pay_redirects_with_a_signed_request(app, store, fake_gateways):
    alipay, _stripe = fake_gateways
    app_id, public = _alipay_store(app, store, alipay)
    shopper, order_url = shopper_order(app, store, 1234, f"ali@{store.slug}.cn")
    assert "Pay with Alipay" in shopper.get(order_url).get_data(as_text=True)
    location = shopper.form(order_url, {"action": "pay", "gateway": "alipay"}).headers["Location"]
    assert location.startswith(alipay.url + "?")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert params["method"] == "alipay.trade.page.pay" and params["app_id"] == app_id and params["sign_type"] == "RSA2"
    assert rsa2_verify(signing_string(params), params["sign"], public)
    biz = json.loads(params["biz_content"])
    assert biz["total_amount"] == "12.34" and biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert params["notify_url"].endswith(f"/pay/{store.slug}/notify/alipay")


def test_notifications_verified_applied_once_and_answered_success(app, client, store, fake_gateways):
    alipay, _stripe = fake_gateways
    app_id, _public = _alipay_store(app, store, alipay)
    order_id, number, _amount = _alipay_payment(app, store, price=8888)
    url = f"/pay/{store.slug}/notify/alipay"
    good = alipay.notification(app_id, out_trade_no=number, trade_no="2026112522001400000001",
                               trade_status="TRADE_SUCCESS", total_amount="88.88", receipt_amount="88.88")
    forged = dict(good, total_amount="0.01")          # changed after signing
    other_app = alipay.notification("2021000000000000", out_trade_no=number, trade_no="1",
                                    trade_status="TRADE_SUCCESS", total_amount="88.88")
    assert client.post(url, data=forged).get_data(as_text=True) == "fail"
    assert client.post(url, data=other_app).get_data(as_text=True) == "fail"
    for _ in range(3):
        answer = client.post(url, data=good)
        assert answer.get_data(as_text=True) == "success" and answer.mimetype == "text/plain"
    wait_for(lambda: _get(app, store, lambda: db.session.get(Order, order_id).status) == "paid")
    outcomes = _get(app, store, lambda: db.session.scalars(select(PaymentNotification.outcome)
                                                           .order_by(PaymentNotification.id)).all())
    assert outcomes == ["bad_signature", "bad_signature", "applied", "duplicate", "duplicate"]
    trade_no = _get(app, store, lambda: db.session.scalar(select(Payment.gateway_trade_no)))
    assert trade_no == "2026112522001400000001"


def test_wrong_amount_is_rejected_and_flagged(app, client, store, fake_gateways):
    alipay, _stripe = fake_gateways
    app_id, _public = _alipay_store(app, store, alipay)
    order_id, number, _amount = _alipay_payment(app, store, price=5000)
    notice = alipay.notification(app_id, out_trade_no=number, trade_no="T1", trade_status="TRADE_SUCCESS",
                                 total_amount="0.50")
    assert client.post(f"/pay/{store.slug}/notify/alipay", data=notice).get_data(as_text=True) == "fail"
    status, flagged = _get(app, store, lambda: db.session.execute(select(Payment.status, Payment.flagged)).one())
    assert status == "pending" and "50" in flagged
    assert _get(app, store, lambda: db.session.get(Order, order_id).status) == "pending_payment"


def test_active_query_settles_a_payment_whose_notification_never_came(app, store, fake_gateways):
    alipay, _stripe = fake_gateways
    _alipay_store(app, store, alipay)
    order_id, number, _amount = _alipay_payment(app, store, price=3000)
    _second_order, unknown, _a = _alipay_payment(app, store, price=100)
    alipay.trades[number] = {"out_trade_no": number, "trade_no": "2026Q1", "trade_status": "TRADE_SUCCESS",
                             "total_amount": "30.00"}
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        assert services.query_stale() == 0          # not stale yet: nobody is asked
        db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(hours=1)))
        assert services.query_stale() == 1
        db.session.commit()
        assert db.session.scalar(select(Payment.status).where(Payment.number == number)) == "succeeded"
        assert db.session.scalar(select(Payment.status).where(Payment.number == unknown)) == "pending"
        assert services.query_stale() == 0          # asked recently: not again at once
    wait_for(lambda: _get(app, store, lambda: db.session.get(Order, order_id).status) == "paid")
    assert any(r["method"] == "alipay.trade.query" for r in alipay.requests)


def test_refund_through_the_gateway_and_a_refused_one(app, client, store, fake_gateways):
    alipay, _stripe = fake_gateways
    _app_id, _order_id, number = alipay_paid(app, client, store, alipay, 2000)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        payment = db.session.scalar(select(Payment))
        item = refunds.refund(None, payment, f"rf-{number}", 500, reason="size")
        db.session.commit()
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "succeeded")
    sent = next(r for r in alipay.refunds if r["out_request_no"] == f"rf-{number}")
    assert sent["refund_amount"] == "5.00" and sent["out_trade_no"] == number
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "partially_refunded"
    alipay.refuse_refund = "ACQ.TRADE_HAS_FINISHED"
    try:
        with app.test_request_context(), store_context(db.session.get(Store, store.id)):
            item = refunds.refund(None, db.session.scalar(select(Payment)), f"rf2-{number}", 500)
            db.session.commit()
            item_id = item.id
        wait_for(lambda: _get(app, store, lambda: db.session.get(Refund, item_id).status) == "failed")
    finally:
        alipay.refuse_refund = None
    assert "ACQ.TRADE_HAS_FINISHED" in _get(app, store, lambda: db.session.get(Refund, item_id).failure)
    assert _get(app, store, lambda: refunds.refundable(db.session.scalar(select(Payment)))) == 1500


def test_refund_notice_with_milliseconds_in_gmt_refund_keeps_the_gateway_time(fake_gateways):
    """Alipay documents gmt_refund as 'yyyy-MM-dd HH:mm:ss.SSS' (2015-04-28 15:45:57.320)."""
    from datetime import datetime, timezone

    from app.blueprints.payments.gateways.alipay import Alipay

    alipay, _stripe = fake_gateways
    notice = alipay.refund_notification("2021000000000099", out_trade_no="P1", out_biz_no="rf-P1", refund_fee="5.00",
                                        gmt_refund="2015-04-28 15:45:57.320")
    gateway = Alipay(None, {"app_id": "2021000000000099"}, {"alipay_public_key": alipay.public_key})
    (parsed,) = gateway.parse_notification(b"", notice, {})
    assert parsed.kind == "refund" and parsed.reference == "rf-P1"
    assert parsed.at == datetime(2015, 4, 28, 7, 45, 57, 320000, tzinfo=timezone.utc)
    fresh = alipay.refund_notification("2021000000000099", out_trade_no="P1", out_biz_no="rf-P2", refund_fee="1.00")
    assert "." in fresh["gmt_refund"]            # the fake sends milliseconds as Alipay does
    assert gateway.parse_notification(b"", fresh, {})[0].at is not None

"""Stripe offline: the official library against a fake API, webhooks signed as Stripe signs
them (t=..,v1=HMAC-SHA256 of "t.payload") with the endpoint secret made here."""
import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta

from sqlalchemy import select, update

from app.blueprints.orders.models import Order
from app.blueprints.payments import accounts, refunds, services
from app.blueprints.payments.models import Payment, PaymentNotification, Refund
from app.blueprints.platform.models import Store
from app.core.db import utcnow
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.payments.test_sandbox import shopper_order


def _stripe_store(app, store, fake) -> str:
    """Configure Stripe for the store with fresh keys; returns the webhook secret."""
    secret_key, webhook_secret = f"sk_test_{secrets.token_hex(12)}", f"whsec_{secrets.token_hex(16)}"
    fake.keys.add(secret_key)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        accounts.save_account(None, "stripe", True, {"publishable_key": "pk_test_123", "secret_key": secret_key,
                                                      "webhook_secret": webhook_secret})
        db.session.commit()
    return webhook_secret


def _event(kind: str, obj: dict) -> bytes:
    return json.dumps({"id": f"evt_{secrets.token_hex(8)}", "object": "event", "type": kind, "api_version": "2024-06-20",
                       "created": int(time.time()), "livemode": False, "data": {"object": obj}}).encode()


def _signed(payload: bytes, secret: str, at: int | None = None) -> dict:
    at = at or int(time.time())
    v1 = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={v1}", "Content-Type": "application/json"}


def _paying_shopper(app, store, fake, price=4200):
    """A shopper who reached Stripe's card form: (order number, PaymentIntent)."""
    shopper, order_url = shopper_order(app, store, price, f"card-{secrets.token_hex(3)}@{store.slug}.cn")
    page = shopper.form(order_url, {"action": "pay", "gateway": "stripe"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    intent = next(i for i in fake.intents.values() if i["client_secret"] in html)
    assert 'data-key="pk_test_123"' in html and "js.stripe.com/v3" in html
    return order_url.rsplit("/", 1)[1], intent


def stripe_paid(app, client, store, fake, price) -> tuple[str, dict]:
    """A store with Stripe and one order paid through it: (webhook secret, PaymentIntent)."""
    secret = _stripe_store(app, store, fake)
    _number, intent = _paying_shopper(app, store, fake, price=price)
    body = _event("payment_intent.succeeded", fake.succeed(intent["id"]))
    assert client.post(f"/pay/{store.slug}/notify/stripe", data=body, headers=_signed(body, secret)).status_code == 200
    return secret, intent


def test_payment_intent_and_webhook_applied_once(app, client, store, fake_gateways):
    _alipay, fake = fake_gateways
    secret = _stripe_store(app, store, fake)
    number, intent = _paying_shopper(app, store, fake, price=4200)
    assert intent["amount"] == 4200 and intent["currency"] == "cny"
    payment_number = intent["metadata"]["payment_number"]
    assert _get(app, store, lambda: db.session.scalar(select(Payment.gateway_trade_no).where(
        Payment.number == payment_number))) == intent["id"]
    url = f"/pay/{store.slug}/notify/stripe"
    body = _event("payment_intent.succeeded", fake.succeed(intent["id"]))
    stale = client.post(url, data=body, headers=_signed(body, secret, at=int(time.time()) - 600))
    forged = client.post(url, data=body, headers=_signed(body, "whsec_not_the_secret"))
    assert stale.status_code == 400 and forged.status_code == 400
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "pending"
    answers = [client.post(url, data=body, headers=_signed(body, secret)) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200] and answers[0].json == {"received": True}
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Order.status).where(Order.number == number)))
             == "paid")
    outcomes = _get(app, store, lambda: db.session.scalars(select(PaymentNotification.outcome)
                                                           .order_by(PaymentNotification.id)).all())
    assert outcomes == ["bad_signature", "bad_signature", "applied", "duplicate"]


def test_refund_pending_then_settled_by_its_webhook(app, client, store, fake_gateways):
    _alipay, fake = fake_gateways
    secret, _intent = stripe_paid(app, client, store, fake, 3000)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        refunds.refund(None, db.session.scalar(select(Payment)), "stripe-r1", 1000, reason="late delivery")
        refunds.refund(None, db.session.scalar(select(Payment)), "stripe-r1", 1000)   # same request: nothing new
        db.session.commit()
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.gateway_refund_no))))
    sent = [r for r in fake.refunds.values() if r["metadata"].get("request_id") == "stripe-r1"]
    assert len(sent) == 1 and sent[0]["amount"] == 1000
    assert _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "pending"
    sent[0]["status"] = "succeeded"
    update_body = _event("refund.updated", sent[0])
    for _ in range(2):
        assert client.post(f"/pay/{store.slug}/notify/stripe", data=update_body,
                           headers=_signed(update_body, secret)).status_code == 200
    assert _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "succeeded"
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "partially_refunded"


def test_active_query_asks_stripe(app, store, fake_gateways):
    _alipay, fake = fake_gateways
    _stripe_store(app, store, fake)
    _number, intent = _paying_shopper(app, store, fake, price=1500)
    fake.succeed(intent["id"])
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(hours=1)))
        assert services.query_stale() == 1
        db.session.commit()
        assert db.session.scalar(select(Payment.status)) == "succeeded"


def test_another_store_cannot_use_this_stores_webhook_secret(app, client, make_store, fake_gateways):
    _alipay, fake = fake_gateways
    first, second = make_store(), make_store()
    secret = _stripe_store(app, first, fake)
    _stripe_store(app, second, fake)
    _number, intent = _paying_shopper(app, first, fake, price=900)
    body = _event("payment_intent.succeeded", fake.succeed(intent["id"]))
    # signed with the first store's secret but sent to the second store's endpoint
    assert client.post(f"/pay/{second.slug}/notify/stripe", data=body, headers=_signed(body, secret)).status_code == 400
    assert _get(app, first, lambda: db.session.scalar(select(Payment.status))) == "pending"

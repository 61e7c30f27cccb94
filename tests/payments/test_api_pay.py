"""Paying through the storefront JSON API: the methods a shop takes, a payment started for the
shopper's own order only, the redirect or Stripe's client secret, JSON errors."""
from sqlalchemy import select

from app.blueprints.payments.models import Payment
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.orders.test_orders import _shop
from tests.payments.test_stripe import _stripe_store
from tests.storefront.test_api import _token


def _api_order(client, store, sku, email):
    base = f"/api/v1/shop/{store.slug}"
    auth = _token(client, store.slug, email)
    client.put(f"{base}/cart/items", json={"sku_id": sku, "quantity": 1}, headers=auth)
    address = client.post(f"{base}/addresses", json={"name": "赵六", "phone": "13600000000", "region_code": "510104", "street": "春熙路"},
                          headers=auth).get_json()
    order = client.post(f"{base}/checkout", json={"address_id": address["id"]}, headers=auth).get_json()
    return base, auth, order["number"]


def test_pay_through_the_api(app, client, store, fake_gateways):
    _alipay, fake = fake_gateways
    (sku,), _wh = _shop(app, store, price=3300)
    base, auth, number = _api_order(client, store, sku, f"payapi@{store.slug}.cn")
    assert [m["code"] for m in client.get(f"{base}/payment-methods").get_json()["items"]] == ["sandbox"]
    unknown = client.post(f"{base}/orders/{number}/pay", json={"gateway": "stripe"}, headers=auth)
    assert unknown.status_code == 422 and "not available" in unknown.get_json()["error"]["message"]
    other = _token(client, store.slug, f"payapi2@{store.slug}.cn")
    assert client.post(f"{base}/orders/{number}/pay", json={"gateway": "sandbox"}, headers=other).status_code == 404
    started = client.post(f"{base}/orders/{number}/pay", json={"gateway": "sandbox"}, headers=auth)
    assert started.status_code == 201
    body = started.get_json()
    assert body["amount"] == 3300 and body["redirect_url"].endswith(f"/sandbox/{store.slug}/pay/{body['payment']}")
    assert body["client_secret"] is None
    # the payer completes it on the sandbox page; the order turns paid
    page_client = app.test_client()
    page_client.form(body["redirect_url"].split("localhost", 1)[-1], {"choice": "success"})
    wait_for(lambda: client.get(f"{base}/orders/{number}", headers=auth).get_json()["status"] == "paid")

    _stripe_store(app, store, fake)
    (sku2,), _wh = _shop(app, store, price=1200)
    _base, auth2, number2 = _api_order(client, store, sku2, f"payapi3@{store.slug}.cn")
    stripe_start = client.post(f"{base}/orders/{number2}/pay", json={"gateway": "stripe"}, headers=auth2).get_json()
    intent = fake.intents[_get(app, store, lambda: db.session.scalar(
        select(Payment.gateway_trade_no).where(Payment.number == stripe_start["payment"])))]
    assert stripe_start["client_secret"] == intent["client_secret"] and stripe_start["publishable_key"] == "pk_test_123"
    assert stripe_start["redirect_url"] is None

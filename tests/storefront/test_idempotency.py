"""Checkout retries with an Idempotency-Key answer with the first order, on the API and the
page, also when ten arrive at once; a key belongs to its shopper."""
import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.blueprints.orders.models import Order
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.inventory.test_stock import _level
from tests.orders.test_orders import _shop
from tests.storefront.test_api import _token
from tests.storefront.test_shop import _add_address, _register


def _api_shopper(app, client, store, sku, email, quantity=2):
    base = f"/api/v1/shop/{store.slug}"
    auth = _token(client, store.slug, email)
    assert client.put(f"{base}/cart/items", json={"sku_id": sku, "quantity": quantity}, headers=auth).status_code == 200
    address = client.post(f"{base}/addresses", json={"name": "王五", "phone": "13700000000", "region_code": "110101", "street": "长安街"},
                          headers=auth).get_json()
    return base, auth, address["id"]


def _orders(app, store) -> int:
    return _get(app, store, lambda: db.session.scalar(select(func.count()).select_from(Order)))


def test_api_checkout_retried_with_its_key_answers_with_the_first_order(app, client, store):
    (sku,), wh = _shop(app, store, stock=5)
    base, auth, address_id = _api_shopper(app, client, store, sku, f"retry@{store.slug}.cn")
    headers = {**auth, "Idempotency-Key": "retry-1"}
    first = client.post(f"{base}/checkout", json={"address_id": address_id}, headers=headers)
    assert first.status_code == 201
    again = client.post(f"{base}/checkout", json={"address_id": address_id}, headers=headers)   # the cart is empty now
    assert again.status_code in (200, 201), again.get_json()
    assert again.get_json()["number"] == first.get_json()["number"]
    different = client.post(f"{base}/checkout", json={"address_id": address_id, "note": "another"}, headers=headers)
    assert different.status_code == 409 and different.get_json()["error"]["code"] == "idempotency_conflict"
    assert _orders(app, store) == 1 and _level(app, store, sku, wh) == (5, 2)


def test_ten_concurrent_checkouts_with_one_key_all_answer_with_the_one_order(app, store):
    (sku,), wh = _shop(app, store, stock=50)
    base, auth, address_id = _api_shopper(app, app.test_client(), store, sku, f"burst@{store.slug}.cn")
    headers = {**auth, "Idempotency-Key": "burst-1"}

    def checkout(_i):
        response = app.test_client().post(f"{base}/checkout", json={"address_id": address_id}, headers=headers)
        return response.status_code, (response.get_json() or {}).get("number")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(checkout, range(10)))
    assert {status for status, _n in answers} <= {200, 201}, answers
    assert len({number for _s, number in answers}) == 1
    assert _orders(app, store) == 1 and _level(app, store, sku, wh) == (50, 2)


def test_another_shoppers_key_never_conflicts_nor_reveals_their_order(app, store):
    (sku,), wh = _shop(app, store, stock=10)
    one, two = app.test_client(), app.test_client()
    base, auth_one, address_one = _api_shopper(app, one, store, sku, f"one@{store.slug}.cn")
    _base, auth_two, address_two = _api_shopper(app, two, store, sku, f"two@{store.slug}.cn", quantity=3)
    first = one.post(f"{base}/checkout", json={"address_id": address_one}, headers={**auth_one, "Idempotency-Key": "k"})
    second = two.post(f"{base}/checkout", json={"address_id": address_two}, headers={**auth_two, "Idempotency-Key": "k"})
    assert first.status_code == 201 and second.status_code == 201
    assert second.get_json()["number"] != first.get_json()["number"] and second.get_json()["payable"] != 0
    assert _orders(app, store) == 2 and _level(app, store, sku, wh) == (10, 5)


def test_checkout_page_resubmitted_shows_the_first_order(app, client, store):
    (sku,), wh = _shop(app, store, stock=10)
    slug = store.slug
    _register(client, slug, f"page@{slug}.cn")
    _add_address(client, slug)
    client.form(f"/shop/{slug}/cart", {"sku_id": sku, "quantity": 2, "mode": "add"})
    page = client.get(f"/shop/{slug}/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    address_id = re.search(r'name="address_id" value="(\d+)"', page).group(1)
    form = {"address_id": address_id, "delivery": "express", "idempotency_key": key, "note": ""}
    first = client.form(f"/shop/{slug}/checkout", form)
    assert first.status_code == 303
    again = client.form(f"/shop/{slug}/checkout", form)      # the double click, after the cart emptied
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert _orders(app, store) == 1 and _level(app, store, sku, wh) == (10, 2)

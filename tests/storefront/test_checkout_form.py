"""The checkout page is a form like any other: bad input re-renders it with the message under
the field it concerns, everything typed kept, and no order placed."""
import re

from sqlalchemy import func, select

from app.blueprints.orders.models import Order
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.orders.test_orders import _shop
from tests.storefront.test_shop import _add_address, _register


def _orders(app, store) -> int:
    return _get(app, store, lambda: db.session.scalar(select(func.count()).select_from(Order)))


def _field_errors(html: str, field: str) -> list[str]:
    block = html.split(f'id="field-{field}"', 1)[1].split("</fieldset>" if field == "address_id" else "</div>", 1)[0]
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', block)


def _shopper(app, store, email):
    (sku,), _ = _shop(app, store, stock=10, price=3000)
    client = app.test_client()
    _register(client, store.slug, email)
    _add_address(client, store.slug)
    client.form(f"/shop/{store.slug}/cart", {"sku_id": sku, "quantity": 1, "mode": "add"})
    page = client.get(f"/shop/{store.slug}/checkout").get_data(as_text=True)
    return client, re.search(r'name="address_id" value="(\d+)"', page).group(1)


def test_a_note_too_long_is_said_under_the_note_and_keeps_the_choices(app, store):
    client, address_id = _shopper(app, store, f"long-note@{store.slug}.cn")
    note = "快" * 501
    response = client.form(f"/shop/{store.slug}/checkout", {"address_id": address_id, "delivery": "pickup",
                                                            "note": note, "idempotency_key": "n1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _field_errors(html, "note") == ["Field cannot be longer than 500 characters."]
    assert f'value="{note}"' in html                                         # the note typed is kept
    assert re.search(rf'name="address_id" value="{address_id}" checked', html)
    assert re.search(r'<option selected value="pickup">|<option value="pickup" selected', html)
    assert _orders(app, store) == 0


def test_an_address_not_in_the_shoppers_book_is_refused_under_the_choice(app, store):
    client, _address_id = _shopper(app, store, f"foreign@{store.slug}.cn")
    other, other_address = _shopper(app, store, f"owner@{store.slug}.cn")
    response = client.form(f"/shop/{store.slug}/checkout", {"address_id": other_address, "delivery": "express",
                                                            "note": "门口", "idempotency_key": "f1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _field_errors(html, "address_id") == ["Choose a delivery address (or enter a new one)."]
    assert 'value="门口"' in html
    assert _orders(app, store) == 0


def test_an_unknown_delivery_method_is_said_under_delivery(app, store):
    client, address_id = _shopper(app, store, f"drone@{store.slug}.cn")
    response = client.form(f"/shop/{store.slug}/checkout", {"address_id": address_id, "delivery": "drone",
                                                            "idempotency_key": "d1"})
    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "delivery") == ["Choose express delivery or pickup."]
    assert _orders(app, store) == 0


def test_a_new_address_with_a_bad_phone_keeps_what_was_typed(app, store):
    client, _address_id = _shopper(app, store, f"newaddr@{store.slug}.cn")
    response = client.form(f"/shop/{store.slug}/checkout", {
        "address_id": "new", "name": "新收件人", "phone": "123", "province": "310000", "city": "310100",
        "district": "310101", "street": "南京东路 9 号", "delivery": "express", "idempotency_key": "p1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _field_errors(html, "phone") and not _field_errors(html, "street")
    assert 'value="新收件人"' in html and 'value="南京东路 9 号"' in html
    assert 'name="address_id" value="new" checked' in html
    assert _orders(app, store) == 0

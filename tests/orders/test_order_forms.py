"""The action forms on a staff order page (note, address, cancel, close, offline payment):
a refused one re-renders the page with the error under its field and the input kept, and
changes nothing; a good one goes through."""
import re

import pytest

from app.blueprints.orders.models import Order, OrderEvent
from tests import factories as f


def _error_under(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{field_id}-error">([^<]+)</p>', html)
    assert found, f"no error under #{field_id}"
    return found.group(1)


@pytest.fixture()
def order_url(module_store):
    order = f.order(module_store)
    return order, f"/store/{module_store.slug}/orders/{order.id}"


def _events(store, order_id):
    from sqlalchemy import select

    return f.read(store, lambda: f.db_session().scalars(
        select(OrderEvent.action).where(OrderEvent.order_id == order_id)).all())


def test_an_empty_note_is_a_field_error_and_writes_nothing(module_owner, module_store, order_url):
    order, url = order_url
    before = _events(module_store, order.id)
    response = module_owner.form(f"{url}/note", {"note": "   "})
    assert response.status_code == 422
    assert _error_under(response.get_data(as_text=True), "order-note")
    assert _events(module_store, order.id) == before
    assert module_owner.form(f"{url}/note", {"note": "顾客要求周末送"}).status_code == 303
    assert "顾客要求周末送" in module_owner.get(url).get_data(as_text=True)


def test_an_address_missing_its_city_keeps_the_input_and_the_old_address(module_owner, module_store, order_url):
    order, url = order_url
    posted = {"address_name": "王五", "address_phone": "13912345678", "address_city": "",
              "address_street": "南京路 100 号"}
    response = module_owner.form(f"{url}/address", posted)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_under(html, "address_city")
    assert 'value="南京路 100 号"' in html and 'value="王五"' in html      # what was typed stays
    assert '<details open>' in html
    assert f.get(module_store, Order, order.id).address["name"] == order.address["name"]
    response = module_owner.form(f"{url}/address", {**posted, "address_city": "上海"})
    assert response.status_code == 303
    assert f.get(module_store, Order, order.id).address["street"] == "南京路 100 号"


def test_the_address_form_has_labels_not_field_codes(module_owner, order_url):
    _order, url = order_url
    html = module_owner.get(url).get_data(as_text=True)
    assert '<label for="address_street">Street address</label>' in html
    assert "<label>street</label>" not in html


@pytest.mark.parametrize("action, field_id", [("cancel", "cancel-reason")])
def test_cancelling_without_a_reason_is_a_field_error(module_owner, module_store, order_url, action, field_id):
    order, url = order_url
    response = module_owner.form(f"{url}/{action}", {"reason": ""})
    assert response.status_code == 422
    assert _error_under(response.get_data(as_text=True), field_id)
    assert f.get(module_store, Order, order.id).status == "pending_payment"


def test_closing_without_a_reason_is_a_field_error(module_owner, module_store):
    order = f.order(module_store, state="paid")
    url = f"/store/{module_store.slug}/orders/{order.id}"
    response = module_owner.form(f"{url}/close", {"reason": " "})
    assert response.status_code == 422
    assert _error_under(response.get_data(as_text=True), "close-reason")
    assert f.get(module_store, Order, order.id).status == "paid"
    assert module_owner.form(f"{url}/close", {"reason": "缺货"}).status_code == 303
    assert f.get(module_store, Order, order.id).status == "closed"


def test_an_offline_payment_needs_its_reference(module_owner, module_store, order_url):
    order, url = order_url
    response = module_owner.form(f"{url}/paid", {"reference": ""})
    assert response.status_code == 422
    assert _error_under(response.get_data(as_text=True), "reference")
    assert f.get(module_store, Order, order.id).status == "pending_payment"
    assert module_owner.form(f"{url}/paid", {"reference": "BANK-20261201"}).status_code == 303
    assert f.get(module_store, Order, order.id).status == "paid"

"""Addresses abroad, where the store ships to other countries (a logistics setting): a country
select above the region cascade; another country's address is free-form (city, state) with a
phone valid there (kept as +E.164); mainland addresses keep the cascade; bad input is a field
error and nothing is saved; a store that does not ship abroad refuses another country."""
import re

from sqlalchemy import select

from app.blueprints.members.models import Address
from app.blueprints.orders.models import Order
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.orders.test_orders import _shop
from tests.storefront.test_api import _token
from tests.storefront.test_checkout_form import _field_errors
from tests.storefront.test_shop import _register

ABROAD = {"name": "Jane Doe", "country": "US", "phone": "(415) 555-2671", "town": "San Francisco", "state": "CA",
          "street": "1 Market St", "postcode": "94105"}


def _ships_abroad(owner, store, on=True):
    answer = owner.form(f"/store/{store.slug}/logistics/settings", {
        "stale_hours": 72, "default_carrier": "", **({"ships_abroad": "y"} if on else {})})
    assert answer.status_code in (200, 303), answer.get_data(as_text=True)[:500]


def _addresses(app, store):
    return _get(app, store, lambda: [(a.country, a.phone, a.region_code, a.province, a.city, a.street)
                                     for a in db.session.scalars(select(Address).order_by(Address.id))])


def test_a_store_that_does_not_ship_abroad_keeps_the_cascade_and_refuses_another_country(app, client, store):
    slug = store.slug
    _register(client, slug, f"home@{slug}.cn")
    page = client.get(f"/shop/{slug}/account").get_data(as_text=True)
    assert 'name="country"' not in page and 'name="province"' in page
    # a forged country is the mainland's: the cascade is asked for, nothing saved
    forged = client.form(f"/shop/{slug}/account", {**ABROAD})
    assert forged.status_code == 422 and _field_errors(forged.get_data(as_text=True), "province")
    api = _token(client, slug, f"api-home@{slug}.cn")
    refused = client.post(f"/api/v1/shop/{slug}/addresses", headers=api, json={
        "name": "Jane", "phone": "+1 415 555 2671", "country": "US", "city": "San Francisco", "street": "1 Market St"})
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "country"
    assert _addresses(app, store) == []


def test_an_address_abroad_is_free_form_with_field_errors_and_mainland_keeps_the_cascade(app, client, store, owner):
    (sku,), _wh = _shop(app, store, stock=5, price=3000)
    slug = store.slug
    _ships_abroad(owner, store)
    _register(client, slug, f"abroad@{slug}.cn")
    page = client.get(f"/shop/{slug}/account").get_data(as_text=True)
    assert 'name="country"' in page and re.search(r'<option selected value="CN">|<option value="CN" selected', page)
    # choosing another country re-renders the picker with free-form fields instead of the cascade
    picker = client.get(f"/shop/{slug}/regions?country=US").get_data(as_text=True)
    assert 'name="town"' in picker and 'name="state"' in picker and 'name="province"' not in picker
    assert 'name="province"' in client.get(f"/shop/{slug}/regions?country=CN").get_data(as_text=True)

    for wrong, field, words in (({"phone": "13900000000"}, "phone", "Enter a phone number of"),   # a mainland mobile, not a US one
                                ({"town": ""}, "town", "This field is required."),
                                ({"country": "XX"}, "country", "Choose a country from the list."),
                                ({"town": "x" * 61}, "town", "60")):
        bad = client.form(f"/shop/{slug}/account", {**ABROAD, **wrong})
        html = bad.get_data(as_text=True)
        assert bad.status_code == 422 and any(words in e for e in _field_errors(html, field)), (field, html[:300])
        assert 'value="1 Market St"' in html                       # what was typed is kept
    assert _addresses(app, store) == []

    saved = client.form(f"/shop/{slug}/account", ABROAD)
    assert saved.status_code == 303
    assert _addresses(app, store) == [("US", "+14155552671", "", "CA", "San Francisco", "1 Market St")]
    assert "San Francisco, CA, United States" in client.get(f"/shop/{slug}/account").get_data(as_text=True)
    # the mainland keeps its cascade and its mobile numbers
    home = client.form(f"/shop/{slug}/account", {"name": "顾客", "country": "CN", "phone": "13900000000",
                                                 "province": "310000", "city": "310100", "district": "310101",
                                                 "street": "南京路 1 号"})
    assert home.status_code == 303
    assert _addresses(app, store)[1] == ("CN", "13900000000", "310101", "上海市", "上海市", "南京路 1 号")

    # checkout to the address abroad: the order's address names its country
    client.form(f"/shop/{slug}/cart", {"sku_id": sku, "quantity": 1, "mode": "add"})
    abroad_id = _get(app, store, lambda: db.session.scalar(select(Address.id).where(Address.country == "US")))
    placed = client.form(f"/shop/{slug}/checkout", {"address_id": abroad_id, "delivery": "express",
                                                    "idempotency_key": "abroad-1"})
    assert placed.status_code == 303, placed.get_data(as_text=True)[:800]
    number = placed.headers["Location"].rsplit("/", 1)[1]
    address = _get(app, store, lambda: db.session.scalar(select(Order.address).where(Order.number == number)))
    assert (address["country"], address["city"], address["phone"]) == ("US", "San Francisco", "+14155552671")
    # the shopper's and the staff's order pages say the country
    assert "1 Market St United States" in client.get(placed.headers["Location"]).get_data(as_text=True)
    order_id = _get(app, store, lambda: db.session.scalar(select(Order.id).where(Order.number == number)))
    staff = owner.get(f"/store/{slug}/orders/{order_id}").get_data(as_text=True)
    assert "1 Market St 94105 United States" in staff


def test_the_api_takes_an_address_abroad_with_its_field_errors(app, client, store, owner):
    slug = store.slug
    _ships_abroad(owner, store)
    api = _token(client, slug, f"api-abroad@{slug}.cn")
    body = {"name": "John Smith", "phone": "020 7946 0018", "country": "GB", "city": "London", "street": "10 Downing St",
            "postcode": "SW1A 2AA"}
    for wrong, field in (({"phone": "12345"}, "phone"), ({"city": ""}, "city"), ({"country": "ZZ"}, "country")):
        bad = client.post(f"/api/v1/shop/{slug}/addresses", headers=api, json={**body, **wrong})
        assert bad.status_code == 422 and bad.get_json()["error"]["field"] == field, bad.get_json()
    made = client.post(f"/api/v1/shop/{slug}/addresses", headers=api, json=body)
    assert made.status_code == 201, made.get_json()
    assert (made.get_json()["country"], made.get_json()["phone"], made.get_json()["city"]) == ("GB", "+442079460018",
                                                                                                "London")


def test_a_guest_abroad_finds_the_order_by_its_number_and_the_phone_with_its_country_code(app, client, store, owner):
    from tests.storefront.test_guest_api import ADDRESS
    from tests.storefront.test_guest_checkout import _allow_guests

    (sku,), _wh = _shop(app, store, stock=5, price=3000)
    _ships_abroad(owner, store)
    _allow_guests(owner, store)
    base = f"/api/v1/shop/{store.slug}/guest"
    quote = client.post(f"{base}/checkout/quote", json={"items": [{"sku_id": sku, "quantity": 2}], "country": "US"})
    assert quote.status_code == 200 and quote.get_json()["goods_total"] == 6000, quote.get_json()
    bad = client.post(f"{base}/checkout/quote", json={"items": [{"sku_id": sku, "quantity": 2}], "country": "ZZ"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "country"
    abroad = {"name": "Jane Doe", "phone": "(415) 555-2671", "country": "US", "city": "San Francisco",
              "province": "CA", "street": "1 Market St"}
    placed = client.post(f"{base}/checkout", json={"items": [{"sku_id": sku, "quantity": 1}], "address": abroad})
    assert placed.status_code == 201, placed.get_json()
    number = placed.get_json()["number"]
    assert placed.get_json()["address"]["phone"] == "+14155552671"
    for typed in ("+1 415 555 2671", "+1-415-555-2671", "0014155552671"):
        assert client.post(f"{base}/orders/lookup", json={"number": number, "phone": typed}).status_code == 200, typed
    assert client.post(f"{base}/orders/lookup", json={"number": number, "phone": "+1 415 555 2672"}).status_code == 404
    # a mainland guest's number is still found with or without +86 and spaces
    home = client.post(f"{base}/checkout", json={"items": [{"sku_id": sku, "quantity": 1}], "address": ADDRESS})
    assert client.post(f"{base}/orders/lookup", json={"number": home.get_json()["number"],
                                                      "phone": "+86 137 0000 0001"}).status_code == 200

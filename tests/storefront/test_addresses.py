"""Shopper addresses with China's regions: the province -> city -> district cascade (htmx and
without JavaScript), the six-digit code kept, mainland mobile numbers, field errors; the API."""
import re

from app.blueprints.members.models import Address
from tests import factories as f
from tests.conftest import PASSWORD
from tests.orders.test_orders import _shop
from tests.storefront.test_api import _token

NANSHAN = {"province": "440000", "city": "440300", "district": "440305"}


def _shopper(app, store):
    client = app.test_client()
    email = f"addr{f.unique('')}@{store.slug}.cn"
    assert client.form(f"/shop/{store.slug}/register", {"email": email, "password": PASSWORD}).status_code == 303
    return client


def _rows(store):
    return f.read(store, lambda: [(a.region_code, a.province, a.city, a.district, a.phone)
                                  for a in f.db_session().query(Address).order_by(Address.id)])


def test_the_address_book_keeps_the_district_code_and_its_names(app, store):
    client = _shopper(app, store)
    response = client.form(f"/shop/{store.slug}/account", {"name": "李四", "phone": "+86 139-0000-0001",
                                                           **NANSHAN, "street": "科技园 1 号"})
    assert response.status_code == 303
    assert _rows(store) == [("440305", "广东省", "深圳市", "南山区", "13900000001")]
    assert "Guangdong Shenzhen 南山区" in client.get(f"/shop/{store.slug}/account").get_data(as_text=True)
    client.form(f"/shop/{store.slug}/locale", {"locale": "zh_CN"})
    assert "广东省 深圳市 南山区" in client.get(f"/shop/{store.slug}/account").get_data(as_text=True)


def test_a_municipality_and_a_city_without_districts_are_addresses_too(app, store):
    client = _shopper(app, store)
    assert client.form(f"/shop/{store.slug}/account", {"name": "甲", "phone": "13900000002", "province": "110000",
                                                       "city": "110100", "district": "110105",
                                                       "street": "建国路"}).status_code == 303
    assert client.form(f"/shop/{store.slug}/account", {"name": "乙", "phone": "13900000003", "province": "440000",
                                                       "city": "441900", "street": "东城大道"}).status_code == 303
    assert [r[:4] for r in _rows(store)] == [("110105", "北京市", "北京市", "朝阳区"), ("441900", "广东省", "东莞市", "")]


def test_the_cascade_offers_the_next_level_through_htmx(app, store):
    client = app.test_client()
    html = client.get(f"/shop/{store.slug}/regions?province=440000", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'value="440300"' in html and "Shenzhen" in html and 'value="440305"' not in html
    html = client.get(f"/shop/{store.slug}/regions?province=440000&city=440300").get_data(as_text=True)
    assert re.search(r'<option[^>]*value="440305"[^>]*>南山区', html)
    assert 'hx-get="/shop/' in html and "region-picker" in html
    # a city of another province is dropped, so is a district of another city
    html = client.get(f"/shop/{store.slug}/regions?province=450000&city=440300&district=440305").get_data(as_text=True)
    assert 'value="450100"' in html and '<option selected value="">' in html.split('name="city"')[1]
    en = client.get(f"/shop/{store.slug}/regions?province=440000").get_data(as_text=True)   # the store's language
    assert "Shenzhen" in en and "Guangdong" in en


def test_without_javascript_the_update_button_shows_the_cities_and_saves_nothing(app, store):
    client = _shopper(app, store)
    response = client.form(f"/shop/{store.slug}/account", {"name": "李四", "phone": "13900000001",
                                                           "province": "440000", "street": "科技园",
                                                           "refresh": "regions"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Shenzhen" in html and 'value="李四"' in html
    assert "<noscript>" in html and 'name="refresh"' in html
    assert _rows(store) == []


def test_bad_phones_and_incomplete_regions_are_field_errors_and_change_nothing(app, store):
    client = _shopper(app, store)
    cases = [({"phone": "12345678901"}, "phone", "mainland China mobile number"),
             ({"phone": "010-62345678"}, "phone", "mainland China mobile number"),     # a landline
             ({"phone": "+1 415 555 0100"}, "phone", "mainland China mobile number"),
             ({"province": ""}, "province", "Choose the province."),
             ({"city": ""}, "city", "Choose the city."),
             ({"district": ""}, "district", "Choose the district."),
             ({"district": "110105"}, "district", "Choose the district."),   # not a district of 深圳
             ({"province": "990000"}, "province", "Choose the province.")]
    for change, field, message in cases:
        data = {"name": "李四", "phone": "13900000001", **NANSHAN, "street": "科技园", **change}
        response = client.form(f"/shop/{store.slug}/account", data, headers={"Accept-Language": "en"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, change
        block = html.split(f'id="field-{field}"')[1].split('<div class="field')[0]
        assert message in block, (change, block[:300])
    assert _rows(store) == []


def test_the_api_takes_and_returns_region_codes(app, client, store):
    base = f"/api/v1/shop/{store.slug}"
    provinces = client.get(f"{base}/regions").get_json()["items"]
    assert len(provinces) == 34 and {"code": "440000", "name": "Guangdong", "leaf": False} in provinces
    cities = client.get(f"{base}/regions?parent=440000").get_json()["items"]
    assert {"code": "441900", "name": "Dongguan", "leaf": True} in cities
    assert client.get(f"{base}/regions?parent=12").get_json()["error"]["field"] == "parent"
    auth = _token(client, store.slug, f"regions@{store.slug}.cn")
    body = {"name": "王五", "phone": "137 0000 0000", "region_code": "440305", "street": "科技园"}
    created = client.post(f"{base}/addresses", json=body, headers=auth)
    assert created.status_code == 201
    assert {k: created.get_json()[k] for k in ("region_code", "province", "city", "district", "phone")} == {
        "region_code": "440305", "province": "广东省", "city": "深圳市", "district": "南山区", "phone": "13700000000"}
    for change, field in (({"region_code": "440300"}, "region_code"), ({"region_code": "999999"}, "region_code"),
                          ({"region_code": ""}, "region_code"), ({"phone": "1370000000"}, "phone")):
        response = client.post(f"{base}/addresses", json={**body, **change}, headers=auth)
        assert response.status_code == 422 and response.get_json()["error"]["field"] == field, change
    assert len(client.get(f"{base}/addresses", headers=auth).get_json()["items"]) == 1


def test_the_order_keeps_the_region_code_of_its_address(app, client, store):
    (sku,), _ = _shop(app, store, stock=5, price=1000)
    base = f"/api/v1/shop/{store.slug}"
    auth = _token(client, store.slug, f"ordregion@{store.slug}.cn")
    client.put(f"{base}/cart/items", json={"sku_id": sku, "quantity": 1}, headers=auth)
    address = client.post(f"{base}/addresses", json={"name": "王五", "phone": "13700000000", "region_code": "330106",
                                                     "street": "文三路"}, headers=auth).get_json()
    order = client.post(f"{base}/checkout", json={"address_id": address["id"]}, headers=auth).get_json()
    assert order["address"]["region_code"] == "330106" and order["address"]["district"] == "西湖区"

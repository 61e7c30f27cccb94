"""The shopper sees the cross-border tax before placing the order, on the checkout page and in
the API, gives the payer's identity, and pays the tax with the order."""
import html
import re

from app.blueprints.orders.models import Order
from tests import factories as f
from tests.crossborder.conftest import PAYER, customs_sku, sell_cross_border
from tests.storefront.test_api import _token


def test_the_checkout_page_shows_the_tax_asks_for_the_payer_and_charges_the_tax(store):
    sell_cross_border(store)
    cream = customs_sku(store, 10000, consumption_bp=1500)
    member = f.member(store)
    address = f.address(store, member)
    shop = f.shopper_client(store, member)
    slug = store.slug
    shop.form(f"/shop/{slug}/cart", {"sku_id": cream.id, "quantity": 1, "mode": "add"})
    page = shop.get(f"/shop/{slug}/checkout").get_data(as_text=True)
    assert 'id="payer"' in page and 'name="payer_id_number"' in page
    assert re.search(r'id="tax">[^<]*<strong>¥23\.06</strong>', page) and "¥123.06" in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"address_id": address.id, "delivery": "express", "idempotency_key": key}
    refused = shop.form(f"/shop/{slug}/checkout", {**form, "payer_name": "李四", "payer_id_number": "123"})
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and 'id="payer_id_number-error"' in text and "18-character" in text
    assert f.count(store, Order) == 0
    summary = shop.get(f"/shop/{slug}/checkout/summary?address_id={address.id}&payer_name=李四"
                       f"&payer_id_number={PAYER['id_number']}").get_data(as_text=True)
    assert "¥23.06" in summary and "yearly limit is checked" not in summary
    placed = shop.form(f"/shop/{slug}/checkout", {**form, "payer_name": PAYER["name"],
                                                  "payer_id_number": PAYER["id_number"]})
    assert placed.status_code == 303, placed.get_data(as_text=True)[:2000]
    with f.bound(store) as session:
        order = session.query(Order).one()
        assert (order.tax_total, order.payable) == (2306, 12306)


def test_the_api_quotes_the_tax_and_places_the_order_with_the_payer(client, store):
    sell_cross_border(store)
    cream = customs_sku(store, 10000, consumption_bp=1500)
    base = f"/api/v1/shop/{store.slug}"
    auth = _token(client, store.slug, f"api@{store.slug}.cn")
    client.put(f"{base}/cart/items", json={"sku_id": cream.id, "quantity": 2}, headers=auth)
    address = client.post(f"{base}/addresses", json={"name": "王五", "phone": "13700000000", "region_code": "110101",
                                                     "street": "长安街"}, headers=auth).get_json()
    quote = client.post(f"{base}/checkout/quote", json={"address_id": address["id"], "payer": PAYER}, headers=auth)
    body = quote.get_json()
    assert quote.status_code == 200, body
    assert body["tax_total"] == 4612 and body["payable"] == 24612
    assert body["tax"] == {"regime": "cross_border", "reason": None, "dutiable": 20000, "duty": 0,
                           "consumption_tax": 2471, "vat": 2141, "total": 4612, "year_limit_checked": True}
    for payer, field in ((None, "payer.id_number"), ({"name": "李四", "id_number": "44030519851120456X"},
                                                    "payer.id_number"), ("李四", "payer")):
        answer = client.post(f"{base}/checkout", json={"address_id": address["id"], "payer": payer}, headers=auth)
        assert answer.status_code == 422 and answer.get_json()["error"]["field"] == field, answer.get_json()
    assert client.post(f"{base}/checkout/quote", json={"address_id": address["id"], "payer": {"name": "",
                       "id_number": PAYER["id_number"]}}, headers=auth).get_json()["error"]["field"] == "payer.name"
    placed = client.post(f"{base}/checkout", json={"address_id": address["id"], "payer": PAYER}, headers=auth)
    assert placed.status_code == 201 and placed.get_json()["tax_total"] == 4612 and placed.get_json()["payable"] == 24612
    again = client.get(f"{base}/orders/{placed.get_json()['number']}", headers=auth).get_json()
    assert again["tax_total"] == 4612

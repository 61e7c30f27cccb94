"""The cart never holds more than can be bought: asking for more clamps the line to what is
available and says so (the shop page and the API alike)."""
from tests import factories as f


def _cart_quantity(client, slug, sku) -> str:
    import re

    html = client.get(f"/shop/{slug}/cart").get_data(as_text=True)
    found = re.search(rf'<tr data-sku="{sku.code}">.*?name="quantity" value="(\d+)"', html, re.S)
    return found.group(1) if found else None


def test_a_guest_asking_for_more_than_is_in_stock_gets_what_is_available_and_is_told(client, module_store):
    sku = f.sku(module_store, title="限量杯", stock=3)
    slug = module_store.slug
    response = client.form(f"/shop/{slug}/cart", {"sku_id": sku.id, "quantity": "5", "mode": "add"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Only 3 of 限量杯 can be bought now, so your cart holds 3." in html
    assert _cart_quantity(client, slug, sku) == "3"
    client.form(f"/shop/{slug}/cart", {"sku_id": sku.id, "quantity": "1", "mode": "add"})   # 3 + 1 is still 3
    assert _cart_quantity(client, slug, sku) == "3"
    ok = client.form(f"/shop/{slug}/cart", {"sku_id": sku.id, "quantity": "2", "mode": "set"}, follow_redirects=True)
    assert "Cart updated." in ok.get_data(as_text=True) and _cart_quantity(client, slug, sku) == "2"


def test_a_signed_in_shopper_cannot_put_a_sold_out_item_in_the_cart(module_store):
    sku = f.sku(module_store, title="售罄款", stock=0)
    shopper = f.shopper_client(module_store)
    response = shopper.form(f"/shop/{module_store.slug}/cart", {"sku_id": sku.id, "quantity": "1", "mode": "add"},
                            follow_redirects=True)
    assert "售罄款 is sold out, so it is not in your cart." in response.get_data(as_text=True)
    assert _cart_quantity(shopper, module_store.slug, sku) is None


def test_the_api_clamps_a_cart_line_to_what_is_available(app, module_store):
    from tests.core.test_routes import shopper_headers

    sku = f.sku(module_store, stock=4)
    headers = shopper_headers(app, module_store, f.member(module_store))
    response = app.test_client().put(f"/api/v1/shop/{module_store.slug}/cart/items",
                                     json={"sku_id": sku.id, "quantity": 9}, headers=headers)
    body = response.get_json()
    assert response.status_code == 200
    assert [i["quantity"] for i in body["items"] if i["sku_id"] == sku.id] == [4]
    assert "Only 4" in body["notice"]

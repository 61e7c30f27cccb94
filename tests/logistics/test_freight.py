"""Freight templates in the store: the template pages and simulator, the product's template,
and checkout (pages and API) showing freight and total before the order is placed."""
import re

from app.blueprints.catalog.models import Product, Sku
from app.blueprints.logistics.freight_models import FreightTemplate
from app.blueprints.orders.models import Order
from tests import factories as f
from tests.conftest import PASSWORD
from tests.orders.test_orders import _shop
from tests.storefront.test_api import _token

NANSHAN, URUMQI = "440305", "650102"


def _template_form(**changes):
    data = {"name": "普通快递", "basis": "weight", "first_units": "1", "first_fee": "12.00", "extra_units": "0.5",
            "extra_fee": "3.00", "rules-0-regions": ["440000", "310100"], "rules-0-first_units": "1",
            "rules-0-first_fee": "6.00", "rules-0-extra_units": "1", "rules-0-extra_fee": "2.00",
            "free_rules-0-kind": "amount", "free_rules-0-threshold": "99.00", "free_rules-0-regions": ["440000"],
            "undeliverable": ["650000", "540000"]}
    data.update(changes)
    return data


def test_staff_build_a_template_by_weight_with_region_rules_free_shipping_and_no_delivery(app, owner, store):
    base = f"/store/{store.slug}/logistics/freight"
    response = owner.form(f"{base}/new", _template_form())
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    t = f.read(store, lambda: f.db_session().query(FreightTemplate).one())
    assert (t.basis, t.first_units, t.first_fee, t.extra_units, t.extra_fee, t.is_default) == \
        ("weight", 1000, 1200, 500, 300, True)
    assert [(r.regions, r.first_fee, r.extra_units) for r in t.rules] == [(["440000", "310100"], 600, 1000)]
    assert [(r.regions, r.kind, r.threshold) for r in t.free_rules] == [(["440000"], "amount", 9900)]
    assert t.undeliverable == ["650000", "540000"]
    page = owner.get(f"{base}/{t.id}").get_data(as_text=True)
    assert 'value="440000" checked' in page and "Quote simulator" in page
    listing = owner.get(f"{base}/").get_data(as_text=True)
    assert "普通快递" in listing and "By weight" in listing
    # the simulator: 3 x 0.8 kg = 2.4 kg to 深圳 (广东 rule): 6.00 + 2 x 2.00; to 北京 (default): 12.00 + 3 x 3.00
    sim = f"{base}/{t.id}/simulate?simulate=1&quantity=3&amount=50.00&measure=0.8"
    assert "¥10.00" in owner.get(f"{sim}&province=440000&city=440300&district=440305").get_data(as_text=True)
    assert "¥21.00" in owner.get(f"{sim}&province=110000&city=110100&district=110105").get_data(as_text=True)
    free = owner.get(f"{base}/{t.id}/simulate?simulate=1&quantity=1&amount=99.00&measure=1&province=440000"
                     f"&city=440300&district=440305").get_data(as_text=True)
    assert "Free shipping" in free
    refused = owner.get(f"{sim}&province=650000&city=650100&district=650102").get_data(as_text=True)
    assert "Not delivered to" in refused
    # without JavaScript the simulator is the page's own GET form
    full = owner.get(f"/store/{store.slug}/logistics/freight/{t.id}?simulate=1&quantity=3&measure=0.8"
                     "&province=440000&city=440300&district=440305").get_data(as_text=True)
    assert "¥10.00" in full


def test_bad_rules_are_field_errors_and_change_nothing(app, owner, store):
    base = f"/store/{store.slug}/logistics/freight"
    cases = [({"rules-0-regions": ["440305"]}, "Pick provinces or cities"),       # a district is too fine
             ({"rules-0-regions": ["999900"]}, "Pick provinces or cities"),
             ({"extra_units": "0"}, "Enter a whole number"),
             ({"first_units": "0.0001"}, "Enter a whole number"),
             ({"first_fee": "-1"}, "Cannot be negative"),
             ({"free_rules-0-threshold": "lots"}, "Enter a whole number"),
             ({"rules-1-regions": ["440000"], "rules-1-first_units": "1", "rules-1-first_fee": "1",
               "rules-1-extra_units": "1", "rules-1-extra_fee": "1"}, "in one rule only"),
             ({"name": ""}, "This field is required")]
    for change, message in cases:
        response = owner.form(f"{base}/new", _template_form(**change))
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    assert f.count(store, FreightTemplate) == 0


def test_a_row_is_added_without_javascript_and_nothing_is_saved(app, owner, store):
    response = owner.form(f"/store/{store.slug}/logistics/freight/new", _template_form(add="rule"))
    assert response.status_code == 200 and 'name="rules-1-regions"' in response.get_data(as_text=True)
    assert f.count(store, FreightTemplate) == 0


def test_only_freight_editors_change_templates_and_other_stores_never_see_them(app, store, make_store):
    t = f.freight_template(store, name="私有模板")
    viewer = f.staff_client(store, permissions=["logistics.view"])
    assert viewer.get(f"/store/{store.slug}/logistics/freight/{t.id}").status_code == 200
    assert viewer.form(f"/store/{store.slug}/logistics/freight/{t.id}", _template_form()).status_code == 403
    assert viewer.form(f"/store/{store.slug}/logistics/freight/{t.id}/delete").status_code == 403
    other = make_store()
    stranger = f.staff_client(other, permissions=["logistics.view", "logistics.freight"])
    assert stranger.get(f"/store/{store.slug}/logistics/freight/{t.id}").status_code in (302, 403, 404)
    assert stranger.get(f"/store/{other.slug}/logistics/freight/{t.id}").status_code == 404


def test_the_default_moves_when_the_default_template_is_deleted_and_products_fall_back(app, owner, store):
    (sku,), _ = _shop(app, store)
    product_id = f.read(store, lambda: f.db_session().get(Sku, sku).product_id)
    first = f.freight_template(store, name="A")
    second = f.freight_template(store, name="B", products=[product_id])
    assert f.get(store, FreightTemplate, first.id).is_default and not f.get(store, FreightTemplate, second.id).is_default
    owner.form(f"/store/{store.slug}/logistics/freight/{second.id}/default")
    assert f.get(store, FreightTemplate, second.id).is_default and not f.get(store, FreightTemplate, first.id).is_default
    owner.form(f"/store/{store.slug}/logistics/freight/{second.id}/delete")
    assert f.get(store, FreightTemplate, first.id).is_default
    assert f.get(store, Product, product_id).freight_template_id is None


def test_the_product_form_picks_the_products_template(app, owner, store):
    (sku,), _ = _shop(app, store)
    product = f.read(store, lambda: f.db_session().get(Product, f.db_session().get(Sku, sku).product_id))
    t = f.freight_template(store, name="大件物流")
    page = owner.get(f"/store/{store.slug}/catalog/products/{product.id}").get_data(as_text=True)
    assert "大件物流" in page and 'name="freight_template_id"' in page
    data = {"title": product.title, "category_id": product.category_id, "brand_id": 0, "freight_template_id": t.id}
    assert owner.form(f"/store/{store.slug}/catalog/products/{product.id}", data).status_code == 303
    assert f.get(store, Product, product.id).freight_template_id == t.id
    bad = owner.form(f"/store/{store.slug}/catalog/products/{product.id}", {**data, "freight_template_id": 99999})
    assert bad.status_code == 422 and f.get(store, Product, product.id).freight_template_id == t.id


# --- checkout --------------------------------------------------------------------------------

def _shopper_with_cart(app, store, sku, quantity=2):
    client = app.test_client()
    email = f"fr{f.unique('')}@{store.slug}.cn"
    assert client.form(f"/shop/{store.slug}/register", {"email": email, "password": PASSWORD}).status_code == 303
    client.form(f"/shop/{store.slug}/cart", {"sku_id": sku, "quantity": quantity})
    for region in (("440000", "440300", NANSHAN), ("650000", "650100", URUMQI)):
        assert client.form(f"/shop/{store.slug}/account", {
            "name": "顾客", "phone": "13900000000", "province": region[0], "city": region[1], "district": region[2],
            "street": "一号路"}).status_code == 303
    page = client.get(f"/shop/{store.slug}/checkout").get_data(as_text=True)
    ids = re.findall(r'name="address_id" value="(\d+)"', page)
    return client, {"nanshan": ids[0], "urumqi": ids[1]}, page


def _orders(store):
    return f.read(store, lambda: [(o.shipping_fee, o.goods_total, o.payable)
                                  for o in f.db_session().query(Order).order_by(Order.id)])


def test_checkout_shows_freight_and_total_before_the_order_and_charges_the_same(app, store):
    (sku,), _ = _shop(app, store, price=3000)
    f.freight_template(store, rate=(1, 1000, 1, 500), undeliverable=["650000"])
    client, ids, page = _shopper_with_cart(app, store, sku)
    summary = page.split('id="checkout-summary"')[1]
    assert "¥15.00" in summary and "¥75.00" in summary          # 10.00 + 5.00, and 60.00 + 15.00
    # htmx: another address, or pickup, changes the summary before anything is submitted
    far = client.get(f"/shop/{store.slug}/checkout/summary?address_id={ids['urumqi']}", headers={"HX-Request": "true"})
    assert "cannot be delivered to" in far.get_data(as_text=True) and "disabled" in far.get_data(as_text=True)
    pickup = client.get(f"/shop/{store.slug}/checkout/summary?address_id={ids['urumqi']}&delivery=pickup")
    assert "¥60.00" in pickup.get_data(as_text=True) and "pick up" in pickup.get_data(as_text=True)
    refused = client.form(f"/shop/{store.slug}/checkout", {"address_id": ids["urumqi"], "idempotency_key": "k1"})
    assert refused.status_code == 422 and "cannot be delivered to" in refused.get_data(as_text=True)
    assert _orders(store) == []
    placed = client.form(f"/shop/{store.slug}/checkout", {"address_id": ids["nanshan"], "idempotency_key": "k2"})
    assert placed.status_code == 303
    assert _orders(store) == [(1500, 6000, 7500)]


def test_checkout_with_a_new_address_uses_the_cascade_and_saves_it(app, store):
    (sku,), _ = _shop(app, store, price=3000)
    f.freight_template(store, rate=(1, 1000, 1, 500), rules=[(["310000"], (1, 800, 1, 0))])
    client, _ids, _page = _shopper_with_cart(app, store, sku)
    summary = client.get(f"/shop/{store.slug}/checkout/summary?address_id=new&province=310000&city=310100"
                         "&district=310101").get_data(as_text=True)
    assert "¥8.00" in summary
    response = client.form(f"/shop/{store.slug}/checkout", {
        "address_id": "new", "name": "新地址", "phone": "13600000000", "province": "310000", "city": "310100",
        "district": "310101", "street": "南京东路", "idempotency_key": "k3"})
    assert response.status_code == 303
    assert _orders(store) == [(800, 6000, 6800)]
    bad = client.form(f"/shop/{store.slug}/checkout", {"address_id": "new", "name": "x", "phone": "123",
                                                       "province": "310000", "street": "y", "idempotency_key": "k4"})
    assert bad.status_code == 422 and "mainland China mobile number" in bad.get_data(as_text=True)
    assert len(_orders(store)) == 1


def test_a_store_without_templates_charges_the_order_settings_fee_shown_before_submitting(app, store):
    (sku,), _ = _shop(app, store, price=3000)
    with f.bound(store, request=True) as session:
        from app.blueprints.orders import services
        services.save_settings(None, "normal", {"payment_timeout_minutes": 30, "auto_confirm_days": 10,
                                                "after_sales_days": 7, "shipping_fee": 800,
                                                "max_quantity_per_line": 99, "free_shipping_over": 10000})
        session.commit()
    client, ids, page = _shopper_with_cart(app, store, sku)
    assert "¥8.00" in page.split('id="checkout-summary"')[1] and "¥68.00" in page
    client.form(f"/shop/{store.slug}/checkout", {"address_id": ids["urumqi"], "idempotency_key": "s1"})
    assert _orders(store) == [(800, 6000, 6800)]
    client.form(f"/shop/{store.slug}/cart", {"sku_id": sku, "quantity": 4})
    client.form(f"/shop/{store.slug}/checkout", {"address_id": ids["nanshan"], "idempotency_key": "s2"})
    assert _orders(store)[1] == (0, 12000, 12000)      # over the free-shipping amount


def test_the_api_quotes_freight_before_checkout_and_refuses_undeliverable_addresses(app, client, store):
    (a, b), _ = _shop(app, store, price=2000, skus=2)
    heavy = f.read(store, lambda: f.db_session().get(Sku, b).product_id)
    f.freight_template(store, name="普通", rate=(1, 600, 1, 200))
    f.freight_template(store, name="大件", rate=(1, 2000, 1, 1000), undeliverable=["650000"], products=[heavy])
    base = f"/api/v1/shop/{store.slug}"
    auth = _token(client, store.slug, f"fq@{store.slug}.cn")
    client.put(f"{base}/cart/items", json={"sku_id": a, "quantity": 2}, headers=auth)
    client.put(f"{base}/cart/items", json={"sku_id": b, "quantity": 1}, headers=auth)
    quote = client.post(f"{base}/checkout/quote", json={"region_code": NANSHAN}, headers=auth)
    body = quote.get_json()
    # 大件 leads with its first fee 20.00; 普通's 2 pieces add 2 x 2.00
    assert quote.status_code == 200 and body["shipping_fee"] == 2400 and body["payable"] == 6000 + 2400
    assert sorted((p["template"], p["fee"]) for p in body["freight"]) == [("大件", 2000), ("普通", 400)]
    far = client.post(f"{base}/checkout/quote", json={"region_code": URUMQI}, headers=auth).get_json()["error"]
    assert far["code"] == "undeliverable" and far["field"] == "region_code"
    assert client.post(f"{base}/checkout/quote", json={"region_code": "650100"},
                       headers=auth).get_json()["error"]["field"] == "region_code"      # not a leaf
    address = client.post(f"{base}/addresses", json={"name": "王五", "phone": "13700000000", "region_code": URUMQI,
                                                     "street": "人民路"}, headers=auth).get_json()
    refused = client.post(f"{base}/checkout", json={"address_id": address["id"]}, headers=auth)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "undeliverable"
    assert _orders(store) == []
    near = client.post(f"{base}/addresses", json={"name": "王五", "phone": "13700000000", "region_code": NANSHAN,
                                                  "street": "科技园"}, headers=auth).get_json()
    order = client.post(f"{base}/checkout", json={"address_id": near["id"]}, headers=auth).get_json()
    assert order["shipping_fee"] == 2400 and order["payable"] == 8400


def test_a_quote_reads_the_templates_in_three_statements_whatever_the_cart(app, store):
    from sqlalchemy import event

    from app.blueprints.logistics import freight
    from app.extensions import db

    templates = [f.freight_template(store, rules=[(["440000"], (1, 1, 1, 1))], free_rules=[([], "amount", 10 ** 6)])
                 for _ in range(3)]
    lines = [freight.FreightLine(templates[i % 3].id, 1, 100, 500, 1000, f"L{i}") for i in range(20)]
    statements = []
    with f.bound(store, request=True):
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            quote = freight.quote(lines, NANSHAN)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert quote.fee == (1 + 6) + 7 + 6 and len(statements) <= 3   # leader in full, the others per piece

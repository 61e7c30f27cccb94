"""The cross-border pages: the store setting with its customs registration, and a SKU's
customs data on the product page; bad input is refused under its field and changes nothing."""
import html

from app.blueprints.catalog.models import Sku
from app.blueprints.crossborder import services
from tests import factories as f
from tests.conftest import add_staff
from tests.crossborder.conftest import REGISTRATION


def _enabled(store) -> bool:
    with f.bound(store):
        return services.settings().enabled


def test_the_settings_page_turns_cross_border_on_only_with_the_registration(app, store, owner, client):
    url = f"/store/{store.slug}/crossborder/settings"
    assert owner.get(url).status_code == 200
    refused = owner.form(url, {"enabled": "y", "ebp_code": "3301964J31"})
    assert refused.status_code == 422 and "needs the e-commerce platform and enterprise" in refused.get_data(as_text=True)
    bad_code = owner.form(url, {**REGISTRATION, "enabled": "y", "pay_code": "12-34"})
    assert bad_code.status_code == 422 and "10 or 18 letters and digits" in bad_code.get_data(as_text=True)
    assert not _enabled(store)
    assert owner.form(url, {**REGISTRATION, "enabled": "y"}).status_code == 303
    assert _enabled(store)
    assert 'value="3301964J31"' in owner.get(url).get_data(as_text=True)

    email = add_staff(app, store, permissions=["orders.view"])
    client.login("store", email, slug=store.slug)
    assert client.get(url).status_code == 403
    assert client.form(url, {"ebp_code": ""}).status_code == 403 and _enabled(store)


def test_a_skus_customs_data_is_set_on_the_product_page_and_bad_values_are_refused(store, owner):
    product = f.product(store, price=9900)
    sku = product.skus[0]
    url = f"/store/{store.slug}/catalog/products/{product.id}/customs"
    base = {"sku_id": sku.id, "hs_code": "3304.9900.00", "origin_country": "304", "declared_value": "129.00",
            "consumption_tax_rate": "15", "duty_rate": "5.5"}
    for field, value, message in (("hs_code", "33049", "8 or 10 digits"),
                                  ("origin_country", "999", "Not a valid choice"),
                                  ("declared_value", "12,9.x", "Check the amount"),
                                  ("consumption_tax_rate", "80", "56")):
        response = owner.form(url, {**base, field: value})
        assert response.status_code == 422, (field, response.status_code)
        assert message in html.unescape(response.get_data(as_text=True)), field
        assert f.get(store, Sku, sku.id).hs_code == ""
    assert owner.form(url, base).status_code == 303
    saved = f.get(store, Sku, sku.id)
    assert (saved.hs_code, saved.origin_country, saved.declared_value, saved.consumption_tax_bp, saved.duty_bp) == \
        ("3304990000", "304", 12900, 1500, 550)
    page = owner.get(f"/store/{store.slug}/catalog/products/{product.id}").get_data(as_text=True)
    row = page[page.index(f'data-sku-customs="{sku.code}"'):][:600]
    assert "3304990000" in row and "Germany" in row and "129.00" in row and "15.00" in row and "5.50" in row

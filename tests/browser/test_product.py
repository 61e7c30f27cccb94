"""In Chromium: create a product with 2 colours × 3 sizes, set prices in bulk, upload an
image, publish it, find it by a Chinese keyword."""
import re
from urllib.parse import unquote

import pytest

from app.blueprints.catalog import services
from tests.browser.conftest import sign_in_owner
from tests.catalog.test_more import png
from tests.catalog.test_pages import _get

pytestmark = pytest.mark.browser


def test_product_from_grid_to_search(app, live_server, page, store, tmp_path):
    def setup():
        template = services.save_template(None, None, "服装", "")
        services.add_attribute(None, template, "颜色", "sales", "choice", options=["红色", "蓝色", "白色"])
        services.add_attribute(None, template, "尺码", "sales", "choice", options=["S", "M", "L"])
        services.create_category(None, "连衣裙", template_id=template.id)
    _get(app, store, setup)
    image = tmp_path / "dress.png"
    image.write_bytes(png(8, 8))
    base = sign_in_owner(page, live_server, store)

    page.goto(f"{base}/catalog/products/new")
    page.fill("input[name=title]", "法式碎花连衣裙")
    page.select_option("select[name=category_id]", label="连衣裙")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/catalog/products/\d+$"))

    for value in ("红色", "蓝色", "S", "M", "L"):
        page.check(f"#sales-form input[value='{value}']")
    page.click("#sales-form button[type=submit]")
    page.wait_for_selector("tr[data-sku]")
    assert page.locator("tr[data-sku]").count() == 6

    page.fill("#all-prices-form input[name=list_price]", "399")
    page.fill("#all-prices-form input[name=sale_price]", "259.90")
    page.click("#all-prices-form button[type=submit]")
    page.wait_for_selector("text=Prices set on every SKU")
    assert page.input_value("tr[data-sku] >> nth=5 >> input[name$=_sale_price]") == "259.90"

    page.set_input_files("#image-form input[type=file]", str(image))
    page.click("#image-form button[type=submit]")
    page.wait_for_selector(".thumb.main img")

    page.click("button[name=status][value=on_sale]")
    page.wait_for_selector("[data-status=on_sale]")

    page.goto(f"{base}/catalog/products")
    page.fill("input[name=q]", "碎花")
    page.wait_for_url(lambda url: "q=碎花" in unquote(url))  # hx-push-url (a page-side string would need eval, which the CSP forbids)
    assert "法式碎花连衣裙" in page.inner_text("#list-results")
    assert "¥259.90" in page.inner_text("#list-results")

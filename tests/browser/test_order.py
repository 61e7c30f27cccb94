"""In Chromium: a shopper buys two SKUs; the staff member sees the order with its snapshot
and cancels it; the stock returns."""
import re

import pytest
from playwright.sync_api import expect

from app.blueprints.catalog.models import Sku
from app.extensions import db
from tests.browser.conftest import sign_in_owner
from tests.catalog.test_pages import _get
from tests.conftest import PASSWORD
from tests.inventory.test_stock import _level
from tests.orders.test_orders import _shop
from tests.browser.conftest import fill_address

pytestmark = pytest.mark.browser


def test_shopper_buys_and_staff_cancels(app, live_server, browser, store):
    (a, b), wh = _shop(app, store, stock=6, price=4500, skus=2)
    product_a, product_b = _get(app, store, lambda: [db.session.get(Sku, s).product_id for s in (a, b)])
    shop = f"{live_server}/shop/{store.slug}"
    page = browser.new_context(locale="zh-CN").new_page()
    for product in (product_a, product_b):
        page.goto(f"{shop}/p/{product}")
        page.click("#buy-form button[type=submit]")
        page.wait_for_url(f"{shop}/cart")
    assert page.locator("#cart tr[data-sku]").count() == 2
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", f"e2e@{store.slug}.cn")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=name]", "浏览器顾客")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{shop}/account")
    fill_address(page, "浏览器顾客", "13900000000", "深南大道 1 号", ("440000", "440300", "440304"))
    page.goto(f"{shop}/checkout")
    page.click("#checkout-form button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    number = page.url.rsplit("/", 1)[1]
    assert _level(app, store, a, wh) == (6, 1) and _level(app, store, b, wh) == (6, 1)

    staff = browser.new_context(locale="en-US").new_page()
    base = sign_in_owner(staff, live_server, store)
    staff.goto(f"{base}/orders/?q={number}")
    staff.click(f"text={number}")
    # the click only starts the navigation: wait for the order page, not the list still shown
    expect(staff.locator("#lines tr[data-sku]")).to_have_count(2)
    assert "商品0" in staff.inner_text("#lines") and "¥90.00" in staff.inner_text("[data-payable]")
    staff.fill("input[name=reason]", "out of stock at the supplier")
    staff.click("button[data-action=cancel]")
    staff.wait_for_selector("[data-status=cancelled]")
    assert _level(app, store, a, wh) == (6, 0) and _level(app, store, b, wh) == (6, 0)

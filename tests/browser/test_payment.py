"""In Chromium: a shopper pays through the sandbox gateway's page; the gateway notifies the
shop asynchronously and the order turns paid in the admin, with the notification logged."""
import re

import pytest

from tests.browser.conftest import sign_in_owner
from tests.conftest import PASSWORD, wait_for
from tests.orders.test_orders import _shop
from tests.browser.conftest import fill_address

pytestmark = pytest.mark.browser


def _signed_in_shopper(page, shop, slug):
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", f"pay@{slug}.cn")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=name]", "付款顾客")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{shop}/account")
    fill_address(page, "付款顾客", "13900000001", "文三路 90 号", ("330000", "330100", "330106"))


def test_shopper_pays_on_the_sandbox_page_and_staff_sees_it_paid(app, live_server, browser, store):
    from app.blueprints.catalog.models import Sku
    from app.extensions import db
    from tests.catalog.test_pages import _get

    (sku,), _wh = _shop(app, store, stock=3, price=6600)
    product = _get(app, store, lambda: db.session.get(Sku, sku).product_id)
    shop = f"{live_server}/shop/{store.slug}"
    page = browser.new_context(locale="zh-CN").new_page()
    _signed_in_shopper(page, shop, store.slug)
    page.goto(f"{shop}/p/{product}")
    page.click("#buy-form button[type=submit]")
    page.wait_for_url(f"{shop}/cart")
    page.goto(f"{shop}/checkout")
    page.click("#checkout-form button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    number = page.url.rsplit("/", 1)[1]

    page.click("button[name=gateway][value=sandbox]")
    page.wait_for_url(re.compile(r"/sandbox/.+/pay/"))
    assert "¥66.00" in page.inner_text("[data-amount]")
    page.click("button[name=choice][value=success]")
    page.wait_for_url(re.compile(rf"/orders/{number}\?paying=1$"))
    assert page.locator("[data-paying]").count() == 1

    def paid_for_shopper():
        page.reload()
        return page.locator("[data-status=paid]").count() == 1

    wait_for(paid_for_shopper)

    staff = browser.new_context(locale="en-US").new_page()
    base = sign_in_owner(staff, live_server, store)
    staff.goto(f"{base}/orders/?q={number}")
    staff.click(f"text={number}")
    staff.wait_for_selector("[data-status=paid]")
    staff.goto(f"{base}/payments/?status=succeeded")
    staff.click("table.list tbody a")
    assert "Applied" in staff.inner_text("#notifications") and "¥66.00" in staff.inner_text("main")

"""In Chromium: receive an inbound order into a bin and see the stock card update."""
import re

import pytest
from sqlalchemy import select

from app.blueprints.catalog.models import Sku
from app.blueprints.inventory import services
from app.blueprints.inventory.models import Warehouse
from app.extensions import db
from tests.browser.conftest import sign_in_owner
from tests.catalog.test_pages import _get
from tests.inventory.test_stock import _setup

pytestmark = pytest.mark.browser


def test_receive_into_a_bin_and_see_the_stock_card(app, live_server, page, store):
    (sku,), (wh,) = _setup(app, store, stock=(0,))
    code = _get(app, store, lambda: db.session.get(Sku, sku).code)
    _get(app, store, lambda: services.add_location(None, db.session.get(Warehouse, wh), "A", "01", "02", "03"))
    base = sign_in_owner(page, live_server, store)

    page.goto(f"{base}/inventory/inbound")
    page.click("text=New")
    page.fill("input[name=reference]", "送货单-0001")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/inventory/documents/\d+$"))
    page.fill("#line-form input[name=sku_code]", code)
    page.fill("#line-form input[name=quantity]", "24")
    page.click("#line-form button[type=submit]")
    page.wait_for_selector(f"tr[data-sku='{code}']")
    row = page.locator(f"tr[data-sku='{code}']")
    row.locator("input[name=location]").fill("A-01-02-03")
    row.locator("button").click()
    page.wait_for_selector("[data-status=receiving]")
    page.click("button[data-action=complete]")
    page.wait_for_selector("[data-status=completed]")

    page.goto(f"{base}/inventory/skus/{sku}")
    assert page.inner_text("#levels [data-on-hand]") == "24"
    assert "A-01-02-03" in page.inner_text("#ledger")

"""In Chromium, the purchasing chain end to end: a SKU falls below its reorder point → a
suggestion → a purchase order approved and sent → the supplier signs in, confirms and announces
the shipment → the warehouse receives it → stock rises → the scorecard counts an on-time delivery."""
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.blueprints.inventory import services as inventory
from app.blueprints.purchasing import jobs
from app.blueprints.purchasing.models import Suggestion
from app.core import jobs as core_jobs
from app.core.db import utcnow
from tests import factories as f
from tests.browser.conftest import sign_in_owner
from tests.conftest import PASSWORD, wait_for

pytestmark = pytest.mark.browser


def test_low_stock_to_suggestion_to_po_to_portal_to_receipt_to_scorecard(app, live_server, browser, page, store):
    account = f.supplier(company="好货供应链")
    with f.bound(store, request=True):
        warehouse = f.warehouse(store)
        supplier = f.supplier_record(store, account, code="HH")
        sku = f.sku(store, title="桂花乌龙茶")
        f.stock(store, sku, warehouse, 30)
        f.supplier_sku(store, supplier, sku, price=1200, moq=24, pack_size=12, lead_time_days=3)
        inventory.set_thresholds(None, sku.id, warehouse.id, safety_stock=5, reorder_point=10)
    with f.bound(store, request=True):
        inventory.move(sku.id, warehouse.id, "shipment", "outbound", "order:E2E", on_hand=-22)    # 8 left: low
    wait_for(lambda: f.count(store, Suggestion, Suggestion.sku_id == sku.id, Suggestion.status == "open"))

    base = sign_in_owner(page, live_server, store)
    page.goto(f"{base}/purchasing/suggestions")
    row = page.locator("#list-results tbody tr").first
    assert "safety" in row.inner_text()
    row.locator("input[name=ids]").check()
    page.select_option("select[name=bulk_action]", "order")
    page.click(".bulk-bar button[type=submit]")
    page.wait_for_selector(".flash-success")
    number = re.search(r"PO-\d+", page.inner_text(".flash-success")).group(0)
    page.goto(f"{base}/purchasing/purchase-orders?q={number}")
    page.click(f"text={number}")
    page.wait_for_selector("[data-status=draft]")
    page.click("button[data-action=submit]")
    page.wait_for_selector("[data-status=approved]")
    page.click("button[data-action=send]")
    page.wait_for_selector("[data-status=sent]")

    portal = browser.new_context(locale="en-US").new_page()
    portal.goto(f"{live_server}/supplier/login")
    portal.fill("input[name=email]", account.email)
    portal.fill("input[name=password]", PASSWORD)
    portal.click("#main-form button[type=submit]")
    portal.wait_for_url(f"{live_server}/supplier/")
    portal.click(f"#stores a:has-text('{store.name}')")
    portal.click("[data-menu='portal_store.orders']")
    portal.click(f"text={number}")
    portal.click("#confirm-form button[type=submit]")
    portal.wait_for_selector("[data-status=confirmed]")
    portal.click("[data-menu='portal_store.asns']")
    portal.click("text=Announce a shipment")
    line = portal.locator(f"#lines tr[data-po='{number}']")
    line.locator("input[type=number]").fill(line.locator("td").nth(3).inner_text())
    portal.fill("input[name=carrier]", "顺丰")
    portal.fill("input[name=waybill]", "SF1234567890")
    portal.fill("input[name=boxes]", "2")
    portal.click("#asn-form button[type=submit]")
    portal.wait_for_selector("[data-status=shipped]")
    asn_number = re.search(r"ASN-\d+", portal.inner_text("h1")).group(0)
    labels = portal.context.new_page()
    labels.goto(portal.url + "/labels")
    assert labels.locator(".box-label svg").count() == 2

    page.goto(f"{base}/purchasing/asns?q={asn_number}")
    page.click(f"text={asn_number}")
    page.click("button[data-action=receive]")
    page.wait_for_selector("[data-status=received]")
    figures = f.read(store, lambda: inventory.level_figures([sku.id], warehouse.id)[(sku.id, warehouse.id)])
    assert figures.on_hand > 8

    with time_machine.travel(utcnow() + timedelta(hours=1), tick=True):
        core_jobs.run_job(jobs.nightly_scorecards.job_name, store.id, [], {})
    portal.click("[data-menu='portal_store.scorecard_page']")
    assert portal.inner_text("#scores [data-score=on_time]") == "100.0 %"

"""In Chromium: an order of two SKUs stocked in two warehouses splits into two delivery
notices; each goes into a wave, the pick list is read, the parcel packed and shipped with
its carrier and waybill; the order ends shipped with both lines counted."""
import re

import pytest
from sqlalchemy import select

from app.blueprints.dispatch.models import DeliveryNotice
from tests import factories as f
from tests.browser.conftest import sign_in_owner
from tests.conftest import wait_for
from tests.dispatch.test_notices import _levels, _notices, _two_warehouses

pytestmark = pytest.mark.browser


def test_split_order_goes_through_waves_pick_pack_and_ship(app, live_server, browser, store):
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 0), stock_b=(0, 5))
    f.location(store, w1, zone="A", aisle="01", shelf="02", bin_="03")
    order = f.order(store, state="paid", lines=[(a, 2), (b, 1)])
    notices = wait_for(lambda: len(_notices(store, order.id)) == 2 and _notices(store, order.id), timeout=90)
    with f.bound(store) as session:
        ids = {n.number: n.id for n in session.scalars(select(DeliveryNotice).where(DeliveryNotice.order_id == order.id))}

    page = browser.new_context(locale="en-US").new_page()
    base = sign_in_owner(page, live_server, store)
    page.goto(f"{base}/orders/?q={order.number}")
    page.click(f"text={order.number}")
    page.click("a[data-action=notices]")
    page.wait_for_url(re.compile(r"/dispatch/notices"))
    assert page.locator("#list-results tbody tr").count() == 2
    for waybill, (number, *_rest) in zip(("SF1234567890201", "SF1234567890202"), notices):
        page.goto(f"{base}/dispatch/notices?order={order.number}")
        page.check(f"input[name=ids][value='{ids[number]}']")
        page.select_option("select[name=bulk_action]", "wave")
        page.click(".bulk-bar button[type=submit]")
        page.wait_for_selector(".flash-success")
        assert "Wave WV" in page.inner_text(".flash-success")
        page.goto(f"{base}/dispatch/waves")
        page.click("#list-results tbody tr:first-child a")
        page.wait_for_url(re.compile(r"/dispatch/waves/\d+$"))
        rows = page.locator("#pick-rows tr[data-sku]")
        assert rows.count() == 1 and number in rows.inner_text()
        with page.context.expect_page() as printed:
            page.click("a[data-pick-list]")
        pick = printed.value
        pick.wait_for_load_state()
        assert pick.locator("tr[data-sku]").count() == 1
        pick.close()
        page.fill(f"tr[data-notice='{number}'] input[name=weight_grams]", "750")
        page.click(f"tr[data-notice='{number}'] button[data-action=pack]")
        page.wait_for_selector(f"tr[data-notice='{number}'] [data-status=packed]")
        page.click(f"tr[data-notice='{number}'] a:has-text('Ship')")
        page.wait_for_url(re.compile(r"/dispatch/notices/\d+$"))
        page.select_option("#ship-form select[name=carrier]", "shunfeng")
        page.fill("#ship-form input[name=waybill_no]", waybill)
        page.click("#ship-form button[type=submit]")
        page.wait_for_selector("h1 [data-status=shipped]")
        assert waybill in page.inner_text("[data-waybill]")

    page.goto(f"{base}/orders/?q={order.number}")
    page.click(f"text={order.number}")
    page.wait_for_selector("h1 [data-status=shipped]")
    assert [c.inner_text() for c in page.locator("#lines td[data-shipped]").all()] in (["2", "1"], ["1", "2"])
    levels = _levels(store, a, b)
    assert levels[(a.id, w1.id)] == (3, 0) and levels[(b.id, w2.id)] == (4, 0)

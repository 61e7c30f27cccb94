"""In Chromium: an order leaves in two parcels; Kuaidi100 (the fake) pushes in-transit and then
signed for each to the running shop; the shopper follows both timelines on the order page, the
order is delivered when both are signed and completes by itself when its days are up."""
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
import time_machine

from app.blueprints.orders import jobs as order_jobs
from app.blueprints.orders.models import Order
from app.core import jobs
from tests import factories
from tests.browser.conftest import sign_in_shopper
from tests.conftest import wait_for
from tests.logistics.conftest import kuaidi100_on, ship_parcel
from tests.logistics.test_tracking import _subscribed

pytestmark = pytest.mark.browser


def _push_live(live_server, fake, carrier, waybill):
    """Kuaidi100 posting its push to the running shop, over HTTP."""
    path, form = fake.push(carrier, waybill)
    with urllib.request.urlopen(urllib.request.Request(
            live_server + path, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"}), timeout=45) as answer:
        assert b'"result":true' in answer.read()


def test_shopper_follows_two_parcels_until_the_order_completes(app, live_server, browser, store, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    member = factories.member(store)
    order = factories.order(store, "shipped", member_obj=member)
    parcels = [ship_parcel(store, order, carrier="zhongtong"),
               ship_parcel(store, order, carrier="yuantong", waybill="YT6186594166532")]
    for s in parcels:
        _subscribed(store, fake_kuaidi100, s)
        fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "0", f"【上海市】{s.waybill_no} 已发往 北京转运中心")
        _push_live(live_server, fake_kuaidi100, s.carrier_code, s.waybill_no)

    page = browser.new_context(locale="zh-CN").new_page()
    shop = f"{live_server}/shop/{store.slug}"
    sign_in_shopper(page, shop, member.email)
    page.goto(f"{shop}/orders/{order.number}")
    for s in parcels:
        card = page.locator(f"#shipment-{s.number}")
        assert s.waybill_no in card.inner_text() and card.get_attribute("data-status") == "in_transit"
        assert "已发往 北京转运中心" in card.inner_text()
    names = page.inner_text("#shipments")
    assert ("中通快递" in names and "圆通速递" in names) or ("ZTO Express" in names and "YTO Express" in names)

    for s in parcels:
        fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "3", "【北京市】已签收，签收人：本人")
        _push_live(live_server, fake_kuaidi100, s.carrier_code, s.waybill_no)
    wait_for(lambda: factories.get(store, Order, order.id).status == "delivered")
    page.reload()
    assert page.locator("#shipments article[data-status=signed]").count() == 2
    assert page.locator("li[data-status=signed]").count() == 2
    assert page.locator("[data-status=delivered]").count() == 1             # the order's badge

    delivered_at = factories.get(store, Order, order.id).delivered_at
    with time_machine.travel(delivered_at + timedelta(days=10, hours=1), tick=True):
        with app.app_context():
            jobs.run_job(order_jobs.confirm_delivered_orders.job_name, store.id, [], {})
    page.reload()
    assert page.locator("[data-status=completed]").count() == 1

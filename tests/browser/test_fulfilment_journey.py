"""In Chromium, fulfilment from the shop to the end (issue 13's journey): a shopper registers,
buys two SKUs stocked in two warehouses through the shop pages and pays on the sandbox
gateway's page; the paid order splits into two delivery notices. Staff select both for one
wave, which is refused (a wave picks in one warehouse: its pick list walks that warehouse's
bins), so each warehouse picks its notice in its own wave: the pick list, the wave's electronic
waybills from the fake Kuaidi100 printed as 100 x 180 mm labels with their Code 128 barcode,
packing with the parcel's weight, shipping with the waybill. Kuaidi100 (the fake) pushes
in-transit and then signed for both parcels to the running shop; the shopper follows both
timelines on the order page, the order is delivered and, once its confirmation days are past
and the periodic job has run, completes by itself."""
import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from app.blueprints.catalog.models import Sku
from app.blueprints.logistics.models import Shipment
from app.blueprints.orders import jobs as order_jobs
from app.blueprints.orders.models import Order
from app.core import jobs
from app.core.db import utcnow
from tests import factories as f
from tests.browser.conftest import fill_address, sign_in_owner
from tests.browser.test_tracking import _push_live
from tests.conftest import PASSWORD, wait_for
from tests.dispatch.test_notices import _levels, _notices, _two_warehouses
from tests.dispatch.test_printing import _waybills_ready
from tests.logistics.test_tracking import _subscribed

pytestmark = pytest.mark.browser

MM = 96 / 25.4          # CSS pixels per millimetre


def _shipments(store, order_id) -> list[Shipment]:
    return f.read(store, lambda: f.db_session().scalars(
        select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)).all())


def test_a_shopper_buys_from_two_warehouses_and_the_order_is_picked_shipped_tracked_and_completes(
        app, live_server, browser, store, fake_kuaidi100):
    _waybills_ready(store, fake_kuaidi100)          # Kuaidi100 and SF accounts, SF by default, a sender
    a, b, w1, w2 = _two_warehouses(store, stock_a=(5, 0), stock_b=(0, 5))
    products = f.read(store, lambda: [f.db_session().get(Sku, s.id).product_id for s in (a, b)])

    # the shopper: registers with an address, puts both products in the cart, checks out, pays
    shop = f"{live_server}/shop/{store.slug}"
    shopper = browser.new_context(locale="zh-CN").new_page()
    shopper.goto(f"{shop}/register")
    shopper.fill("input[name=email]", f"journey@{store.slug}.cn")
    shopper.fill("input[name=password]", PASSWORD)
    shopper.fill("input[name=name]", "两仓顾客")
    shopper.click("#main-form button[type=submit]")
    shopper.wait_for_url(f"{shop}/account")
    fill_address(shopper, "两仓顾客", "13900000005", "文三路 5 号")
    for product in products:
        shopper.goto(f"{shop}/p/{product}")
        shopper.click("#buy-form button[type=submit]")
        shopper.wait_for_url(f"{shop}/cart")
    expect(shopper.locator("#cart tr[data-sku]")).to_have_count(2)
    shopper.goto(f"{shop}/checkout")
    shopper.click("#checkout-form button[type=submit]")
    shopper.wait_for_url(re.compile(r"/orders/\d+$"))
    number = shopper.url.rsplit("/", 1)[1]
    shopper.click("button[name=gateway][value=sandbox]")
    shopper.wait_for_url(re.compile(r"/sandbox/.+/pay/"))
    shopper.click("button[name=choice][value=success]")
    shopper.wait_for_url(re.compile(rf"/orders/{number}\?paying=1$"))
    order_id = f.read(store, lambda: f.db_session().scalar(select(Order.id).where(Order.number == number)))

    # the gateway's notice pays the order; order.paid splits it into one notice per warehouse
    notices = wait_for(lambda: len(_notices(store, order_id)) == 2 and _notices(store, order_id))
    assert {(wh, tuple(lines)) for _n, wh, _s, lines, _o in notices} == {(w1.id, ((a.id, 1),)), (w2.id, ((b.id, 1),))}

    staff = browser.new_context(locale="en-US").new_page()
    base = sign_in_owner(staff, live_server, store)
    staff.goto(f"{base}/orders/?q={number}")
    staff.click(f"text={number}")
    staff.click("a[data-action=notices]")
    staff.wait_for_url(re.compile(r"/dispatch/notices"))
    rows = staff.locator("#list-results tbody tr")
    expect(rows).to_have_count(2)
    ids = {n: staff.locator(f"#list-results tbody tr:has-text('{n}') input[name=ids]").get_attribute("value")
           for n, *_rest in notices}

    # both notices for one wave: refused, nothing changes
    for notice_id in ids.values():
        staff.check(f"input[name=ids][value='{notice_id}']")
    staff.select_option("select[name=bulk_action]", "wave")
    staff.click(".bulk-bar button[type=submit]")
    expect(staff.locator(".flash-error:not(#htmx-error)")).to_contain_text("A wave picks in one warehouse")
    assert [status for _n, _w, status, _l, _o in _notices(store, order_id)] == ["pending", "pending"]

    waybills = {}
    for notice_number, notice_id in ids.items():
        staff.goto(f"{base}/dispatch/notices?order={number}")
        staff.check(f"input[name=ids][value='{notice_id}']")
        staff.select_option("select[name=bulk_action]", "wave")
        staff.click(".bulk-bar button[type=submit]")
        expect(staff.locator(".flash-success")).to_contain_text("Wave WV")
        wave = re.search(r"WV\d+", staff.inner_text(".flash-success")).group(0)
        staff.goto(f"{base}/dispatch/waves?q={wave}")
        staff.click(f"#list-results tbody a:has-text('{wave}')")
        staff.wait_for_url(re.compile(r"/dispatch/waves/\d+$"))
        pick = staff.locator("#pick-rows tr[data-sku]")
        expect(pick).to_have_count(1)
        assert f"{notice_number} × 1" in pick.inner_text()

        # the wave's waybills: issued by the carrier through Kuaidi100, printed in a new tab
        with staff.context.expect_page() as printed:
            staff.click("button[data-action=wave-waybills]")
        labels = printed.value
        label = labels.locator("section.waybill-label")
        expect(label).to_have_count(1)
        waybills[notice_number] = waybill = label.get_attribute("data-waybill")
        assert label.get_attribute("data-notice") == notice_number and waybill.startswith("SF")
        assert label.locator("[data-barcode=code128] svg").count() == 1 and waybill in label.inner_text()
        box = label.bounding_box()
        assert abs(box["width"] - 100 * MM) < 2 and abs(box["height"] - 180 * MM) < 2
        labels.close()

        staff.reload()
        row = staff.locator(f"#wave-notices tr[data-notice='{notice_number}']")
        expect(row).to_contain_text(waybill)
        row.locator("input[name=weight_grams]").fill("750")
        row.locator("button[data-action=pack]").click()
        expect(row.locator("[data-status=packed]")).to_have_count(1)
        row.locator("button[data-action=ship]").click()
        expect(row.locator("[data-status=shipped]")).to_have_count(1)
    assert len(set(waybills.values())) == 2

    staff.goto(f"{base}/orders/?q={number}")
    staff.click(f"text={number}")
    expect(staff.locator("h1 [data-status=shipped]")).to_have_count(1)
    assert [c.inner_text() for c in staff.locator("#lines td[data-shipped]").all()] == ["1", "1"]
    levels = _levels(store, a, b)
    assert levels[(a.id, w1.id)] == (4, 0) and levels[(b.id, w2.id)] == (4, 0)

    # logistics tracks both parcels; Kuaidi100 pushes in-transit for each
    parcels = wait_for(lambda: len(_shipments(store, order_id)) == 2 and _shipments(store, order_id))
    assert {(s.notice_number, s.carrier_code, s.waybill_no) for s in parcels} == \
        {(n, "shunfeng", w) for n, w in waybills.items()}
    for s in parcels:
        _subscribed(store, fake_kuaidi100, s)
        fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "0", f"【杭州市】{s.waybill_no} 已发往 上海转运中心",
                            at=utcnow() - timedelta(hours=1))
        _push_live(live_server, fake_kuaidi100, s.carrier_code, s.waybill_no)
    shopper.goto(f"{shop}/orders/{number}")
    for s in parcels:
        card = shopper.locator(f"#shipment-{s.number}")
        expect(card).to_have_attribute("data-status", "in_transit")
        assert s.waybill_no in card.inner_text() and "已发往 上海转运中心" in card.inner_text()

    # signed for, both: the order is delivered
    for s in parcels:
        fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "3", "【杭州市】已签收，签收人：本人",
                            at=utcnow() - timedelta(minutes=1))
        _push_live(live_server, fake_kuaidi100, s.carrier_code, s.waybill_no)
    wait_for(lambda: f.get(store, Order, order_id).status == "delivered")
    shopper.reload()
    expect(shopper.locator("#shipments article[data-status=signed]")).to_have_count(2)
    for s in parcels:     # each timeline: in transit, then signed (newest first)
        assert shopper.locator(f"#shipment-{s.number} li[data-status]").evaluate_all(
            "items => items.map(i => i.dataset.status)") == ["signed", "in_transit"]
    expect(shopper.locator("h1 [data-status=delivered]")).to_have_count(1)

    # the confirmation days pass and the periodic job runs: the order completes by itself
    delivered_at = f.get(store, Order, order_id).delivered_at
    with time_machine.travel(delivered_at + timedelta(days=10, hours=1), tick=True):
        with app.app_context():
            jobs.run_job(order_jobs.confirm_delivered_orders.job_name, store.id, [], {})
        shopper.reload()
        expect(shopper.locator("h1 [data-status=completed]")).to_have_count(1)

"""In Chromium: a shopper asks to return one of two items with a photo → staff approve → the
shopper enters the return waybill → the fake carrier pushes signed → the warehouse inspects the
unit as good into a bin → the sandbox refund succeeds → the unit is back in stock → the linked
ticket is closed and the shopper rates it."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.blueprints.aftersales.models import AfterSalesRequest
from app.blueprints.inventory import services as inventory
from tests import factories as f
from tests.aftersales.conftest import bought
from tests.browser.conftest import sign_in_owner, sign_in_shopper
from tests.browser.test_tracking import _push_live
from tests.conftest import wait_for
from tests.logistics.conftest import kuaidi100_on
from tests.logistics.test_tracking import _subscribed

pytestmark = pytest.mark.browser


def _request(store):
    return f.read(store, lambda: f.db_session().scalar(select(AfterSalesRequest).order_by(AfterSalesRequest.id.desc())
                                                       .limit(1)))


def test_return_one_of_two_items_with_a_photo_until_refunded_and_restocked(app, live_server, browser, store,
                                                                           fake_kuaidi100, tmp_path):
    kuaidi100_on(store, fake_kuaidi100)
    member = f.member(store)
    warehouse = f.warehouse(store)
    bin_ = f.location(store, warehouse)
    kept, returned = f.sku(store, price=5000, stock=0), f.sku(store, price=3000, stock=0)
    f.stock(store, kept, warehouse, 5)
    f.stock(store, returned, warehouse, 5)
    order = bought(store, member, [(kept, 1), (returned, 1)], state="delivered")
    photo = tmp_path / "damaged.png"
    photo.write_bytes(f.png(8, 8))

    shopper = browser.new_context(locale="zh-CN").new_page()
    shop = f"{live_server}/shop/{store.slug}"
    sign_in_shopper(shopper, shop, member.email)
    shopper.goto(f"{shop}/orders/{order.number}")
    shopper.click("[data-action=aftersales]")
    shopper.select_option("select[name=kind]", "return_refund")
    line = next(l for l in order.lines if l.sku_id == returned.id)
    shopper.fill(f"input[name=qty_{line.id}]", "1")
    shopper.fill("textarea[name=description]", "外壳有裂纹")
    shopper.set_input_files("input[name=images]", str(photo))
    shopper.click("#aftersales-form button[type=submit]")
    shopper.wait_for_selector("[data-status=requested]")
    req = _request(store)
    assert [l.sku_id for l in f.read(store, lambda: list(f.db_session().get(AfterSalesRequest, req.id).lines))] \
        == [returned.id]

    staff = browser.new_context(locale="zh-CN").new_page()
    base = sign_in_owner(staff, live_server, store)
    staff.goto(f"{base}/aftersales/requests")
    staff.click(f"text={req.number}")
    expect(staff.locator("p.photos img")).to_have_count(1)
    staff.click("[data-action=approve]")
    staff.wait_for_selector("[data-status=awaiting_return]")

    shopper.goto(f"{shop}/aftersales/{req.number}")
    shopper.select_option("#waybill-form select[name=carrier]", "zhongtong")
    shopper.fill("#waybill-form input[name=waybill_no]", "73105555000001")
    shopper.click("#waybill-form button[type=submit]")
    shopper.wait_for_selector("[data-status=returned]")

    from app.blueprints.logistics.models import Shipment

    parcel = f.read(store, lambda: f.db_session().scalar(select(Shipment).where(Shipment.return_of == req.number)))
    _subscribed(store, fake_kuaidi100, parcel)
    fake_kuaidi100.scan("zhongtong", "73105555000001", "3", "【杭州市】已签收，签收人：仓库")
    _push_live(live_server, fake_kuaidi100, "zhongtong", "73105555000001")
    wait_for(lambda: f.get(store, AfterSalesRequest, req.id).status == "received", timeout=120)
    with f.bound(store):
        before = inventory.sellable([returned.id])[returned.id]

    staff.reload()
    staff.select_option("#inspect-form select[name^=cond_]", "good")
    staff.select_option("#inspect-form select[name^=bin_]", bin_.code)
    staff.click("#inspect-form button[type=submit]")
    wait_for(lambda: f.get(store, AfterSalesRequest, req.id).status == "closed", timeout=120)
    done = f.get(store, AfterSalesRequest, req.id)
    assert (done.outcome, done.refunded) == ("refunded", 3000)
    with f.bound(store):
        assert inventory.sellable([returned.id])[returned.id] == before + 1
    shopper.goto(f"{shop}/aftersales/{req.number}")
    assert shopper.locator("[data-refunded='3000']").count() == 1

    from app.blueprints.service.models import Ticket

    def ticket():
        return f.read(store, lambda: f.db_session().scalar(select(Ticket).where(
            Ticket.aftersales_request_id == req.id)))

    wait_for(lambda: ticket() is not None and ticket().status == "resolved", timeout=120)
    shopper.goto(f"{shop}/service/")
    row = shopper.locator(f"[data-ticket='{ticket().number}']")
    row.locator("select[name=score]").select_option("5")
    row.locator("input[name=comment]").fill("处理很快")
    row.locator("button[type=submit]").click()
    shopper.wait_for_selector(f"[data-ticket='{ticket().number}'] >> text=★★★★★")
    rated = ticket()
    assert (rated.status, rated.csat_score, rated.csat_comment) == ("closed", 5, "处理很快")
    staff.goto(f"{base}/service/tickets/{rated.id}")
    assert staff.locator("[data-status=closed]").count() >= 1

"""After-sales pages: the shopper asks on the order page with photos and follows the request;
staff list (fixed query count), open, approve and reject; photos only for that store's staff
and that shopper; another shopper's request is not found."""
import io

from sqlalchemy import select

from app.blueprints.aftersales.models import AfterSalesRequest, Reason
from tests import factories as f
from tests.aftersales.conftest import ask, bought, request_row, rules
from tests.support.crud import StorePages


def _reason(store):
    return f.read(store, lambda: f.db_session().scalar(select(Reason.id).order_by(Reason.position).limit(1)))


def test_a_shopper_asks_on_the_order_page_with_a_photo_and_staff_see_it(app, store):
    member = f.member(store)
    order = bought(store, member, [(f.sku(store, price=1500, stock=5), 2)], state="delivered")
    shopper = f.shopper_client(store, member)
    page = shopper.get(f"/shop/{store.slug}/orders/{order.number}").get_data(as_text=True)
    assert f"/shop/{store.slug}/aftersales/new/{order.number}" in page
    form_page = shopper.get(f"/shop/{store.slug}/aftersales/new/{order.number}")
    assert form_page.status_code == 200
    line = order.lines[0]
    response = shopper.form(f"/shop/{store.slug}/aftersales/new/{order.number}", {
        "kind": "return_refund", f"qty_{line.id}": "1", "reason_id": str(_reason(store)),
        "description": "盒子压坏了", "images": (io.BytesIO(f.png()), "photo.png")})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    number = response.headers["Location"].rsplit("/", 1)[1]
    mine = shopper.get(f"/shop/{store.slug}/aftersales/{number}").get_data(as_text=True)
    assert number in mine and "盒子压坏了" in mine
    req = f.read(store, lambda: f.db_session().scalar(select(AfterSalesRequest).where(
        AfterSalesRequest.number == number)))
    photo_id = f.read(store, lambda: f.db_session().get(AfterSalesRequest, req.id).evidence[0].id)
    assert shopper.get(f"/shop/{store.slug}/aftersales/photos/{photo_id}").status_code == 200
    other = f.shopper_client(store, f.member(store))
    assert other.get(f"/shop/{store.slug}/aftersales/photos/{photo_id}").status_code == 404
    assert other.get(f"/shop/{store.slug}/aftersales/{number}").status_code == 404
    assert other.form(f"/shop/{store.slug}/aftersales/{number}/cancel", {}).status_code == 404
    owner = f.client("store", store=store)
    detail = owner.get(f"/store/{store.slug}/aftersales/requests/{req.id}").get_data(as_text=True)
    assert number in detail and "盒子压坏了" in detail
    assert owner.get(f"/store/{store.slug}/aftersales/photos/{photo_id}").status_code == 200
    assert request_row(store, req.id).status == "requested"


def test_a_bad_photo_re_renders_the_form_with_its_error_and_saves_nothing(app, store):
    member = f.member(store)
    order = bought(store, member, state="delivered")
    shopper = f.shopper_client(store, member)
    response = shopper.form(f"/shop/{store.slug}/aftersales/new/{order.number}", {
        "kind": "return_refund", f"qty_{order.lines[0].id}": "1", "reason_id": str(_reason(store)),
        "images": (io.BytesIO(b"MZ not a picture"), "virus.exe")})
    assert response.status_code == 422
    assert "PNG, JPEG, GIF or WebP" in response.get_data(as_text=True)
    assert f.count(store, AfterSalesRequest) == 0


def test_staff_reject_with_a_reason_the_shopper_reads_and_the_shopper_escalates(app, store):
    member = f.member(store)
    order = bought(store, member, state="delivered")
    req = ask(store, member, order, "return_refund")
    owner = f.client("store", store=store)
    assert owner.form(f"/store/{store.slug}/aftersales/requests/{req.id}/reject", {"reason": ""}).status_code == 422
    assert owner.form(f"/store/{store.slug}/aftersales/requests/{req.id}/reject",
                      {"reason": "商品已使用"}).status_code in (302, 303)
    shopper = f.shopper_client(store, member)
    page = shopper.get(f"/shop/{store.slug}/aftersales/{req.number}").get_data(as_text=True)
    assert "商品已使用" in page
    assert shopper.form(f"/shop/{store.slug}/aftersales/{req.number}/escalate",
                        {"reason": "没有使用"}).status_code == 303
    assert request_row(store, req.id).status == "escalated"
    owner.form(f"/store/{store.slug}/aftersales/requests/{req.id}/approve", {})
    row = request_row(store, req.id)
    assert row.status == "awaiting_return" and row.ship_back_due_at is not None


def test_the_shopper_enters_the_return_waybill(app, store):
    member = f.member(store)
    order = bought(store, member, state="delivered")
    req = ask(store, member, order, "return_refund")
    f.client("store", store=store).form(f"/store/{store.slug}/aftersales/requests/{req.id}/approve", {})
    shopper = f.shopper_client(store, member)
    bad = shopper.form(f"/shop/{store.slug}/aftersales/{req.number}/waybill", {"carrier": "zhongtong",
                                                                               "waybill_no": "12"})
    assert bad.status_code == 422
    good = shopper.form(f"/shop/{store.slug}/aftersales/{req.number}/waybill",
                        {"carrier": "zhongtong", "waybill_no": "73100000099999"})
    assert good.status_code == 303
    row = request_row(store, req.id)
    assert (row.status, row.return_waybill) == ("returned", "73100000099999")


class TestRequestPages(StorePages):
    list_path = "aftersales/requests"
    detail_path = "aftersales/requests/{id}"
    permission = "aftersales.view"
    model = AfterSalesRequest
    few, many = 2, 6

    def make(self, store, i):
        member = f.member(store)
        rules(store, auto_approve_unshipped=False)
        order = f.order(store, "delivered", member_obj=member)
        return ask(store, member, order, "return_refund")


class TestReasonPages(StorePages):
    list_path = "aftersales/reasons"
    permission = "aftersales.settings"
    model = Reason
    few, many = 2, 6

    def make(self, store, i):
        from app.blueprints.aftersales import services

        with f.bound(store, request=True) as session:
            row = services.save_reason(None, None, f"原因{i}-{f.unique('r')}", f"Reason {i}", "store", 200 + i, True)
            session.flush()
            return row

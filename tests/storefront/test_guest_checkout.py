"""Guest checkout, where the store allows it: the guest cart becomes an order without an
account; the order is found again by its number and the phone given, and paid from there."""
from sqlalchemy import select

from app.blueprints.orders.models import Order
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.orders.test_orders import _shop
from app.extensions import db

ADDRESS = {"name": "游客", "phone": "13700000001", "province": "310000", "city": "310100", "district": "310101",
           "street": "南京路 2 号", "delivery": "express"}


def _allow_guests(owner, store, on=True):
    answer = owner.form(f"/store/{store.slug}/orders/settings", {
        "order_type": "normal", "payment_timeout_minutes": 30, "auto_confirm_days": 10, "after_sales_days": 7,
        "shipping_fee": "0", "max_quantity_per_line": 99, **({"guest_checkout": "y"} if on else {})})
    assert answer.status_code in (200, 303), answer.get_data(as_text=True)[:500]


def test_guest_buys_finds_the_order_by_number_and_phone_and_pays(app, store, owner):
    (sku,), _wh = _shop(app, store, price=4200)
    slug = store.slug
    guest = app.test_client()
    guest.form(f"/shop/{slug}/cart", {"sku_id": sku, "quantity": 1, "mode": "add"})
    assert guest.get(f"/shop/{slug}/checkout/guest").status_code == 404         # off until the store allows it
    assert "guest-checkout" not in guest.get(f"/shop/{slug}/cart").get_data(as_text=True)
    _allow_guests(owner, store)
    assert "guest-checkout" in guest.get(f"/shop/{slug}/cart").get_data(as_text=True)
    bad = guest.form(f"/shop/{slug}/checkout/guest", {**ADDRESS, "phone": "12345"})
    assert bad.status_code == 422 and "mainland China mobile number" in bad.get_data(as_text=True)
    placed = guest.form(f"/shop/{slug}/checkout/guest", {**ADDRESS, "email": "guest@example.cn"})
    assert placed.status_code == 303, placed.get_data(as_text=True)[:800]
    number = placed.headers["Location"].rsplit("/", 1)[1]
    shopper_id, shopper, payable = _get(app, store, lambda: db.session.execute(
        select(Order.shopper_id, Order.shopper, Order.payable).where(Order.number == number)).one())
    assert shopper_id is None and shopper["phone"] == "13700000001" and payable == 4200
    page = guest.get(placed.headers["Location"])
    assert page.status_code == 200 and "Pay with" in page.get_data(as_text=True)
    assert guest.get(f"/shop/{slug}/cart").get_data(as_text=True).count("data-total") <= 1   # the cart was emptied
    # another browser sees nothing until it gives the number with the right phone
    other = app.test_client()
    assert other.get(f"/shop/{slug}/orders/guest/{number}").status_code == 404
    wrong = other.form(f"/shop/{slug}/orders/find", {"number": number, "phone": "13700000002"})
    assert wrong.status_code == 404 and "No order with this number and phone" in wrong.get_data(as_text=True)
    found = other.form(f"/shop/{slug}/orders/find", {"number": number, "phone": "137 0000 0001"})
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/orders/guest/{number}")
    # pay from the guest page (the sandbox's hosted page), back to the guest page
    pay_page = other.form(f"/shop/{slug}/orders/guest/{number}", {"action": "pay", "gateway": "sandbox"})
    assert pay_page.status_code == 303
    back = other.form(pay_page.headers["Location"], {"choice": "success"})
    assert f"/orders/guest/{number}" in back.headers["Location"]          # the sandbox sends the guest back
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Order.status).where(Order.number == number)))
             == "paid")
    # a signed-in shopper's order is never a guest order, whatever the phone
    from tests.payments.test_sandbox import shopper_order

    _client, order_url = shopper_order(app, store, 100, f"member@{slug}.cn")
    member_number = order_url.rsplit("/", 1)[1]
    assert other.form(f"/shop/{slug}/orders/find", {"number": member_number, "phone": "13900000000"}).status_code == 404

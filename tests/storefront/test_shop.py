"""A shopper browses, fills a guest cart, registers (the cart follows), checks out, and
sees only their own orders."""
import re

from sqlalchemy import select

from app.blueprints.catalog.models import Sku
from app.blueprints.orders.models import Order
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import PASSWORD
from tests.inventory.test_stock import _level
from tests.orders.test_orders import _shop


def _register(client, slug, email):
    response = client.form(f"/shop/{slug}/register", {"email": email, "password": PASSWORD, "name": "顾客", "phone": "13912345678"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def _add_address(client, slug):
    response = client.form(f"/shop/{slug}/account", {"name": "顾客", "phone": "13900000000", "province": "310000", "city": "310100", "district": "310101", "street": "南京路 1 号"})
    assert response.status_code == 303


def test_guest_cart_follows_into_the_account_and_checkout_places_the_order(app, client, store):
    (a, b), wh = _shop(app, store, stock=10, price=3000, skus=2)
    slug = store.slug
    assert "商品0" in client.get(f"/shop/{slug}/").get_data(as_text=True)
    page = client.get(f"/shop/{slug}/p/{_get(app, store, lambda: db.session.get(Sku, a).product_id)}")
    assert "In stock" in page.get_data(as_text=True) and "10 available" not in page.get_data(as_text=True)
    client.form(f"/shop/{slug}/cart", {"sku_id": a, "quantity": 2, "mode": "add"})
    client.form(f"/shop/{slug}/cart", {"sku_id": b, "quantity": 1, "mode": "add"})
    assert client.get_cookie("cart", path=f"/shop/{slug}/") is not None
    assert "¥90.00" in client.get(f"/shop/{slug}/cart").get_data(as_text=True)
    _register(client, slug, f"buyer@{slug}.cn")
    assert "¥90.00" in client.get(f"/shop/{slug}/cart").get_data(as_text=True)   # merged into the account
    _add_address(client, slug)
    checkout = client.get(f"/shop/{slug}/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', checkout).group(1)
    address_id = re.search(r'name="address_id" value="(\d+)"', checkout).group(1)
    response = client.form(f"/shop/{slug}/checkout", {"address_id": address_id, "delivery": "express",
                                                      "idempotency_key": key, "note": "请尽快"})
    assert response.status_code == 303
    order_url = response.headers["Location"]
    assert client.form(f"/shop/{slug}/checkout", {"address_id": address_id, "delivery": "express",
                                                  "idempotency_key": key, "note": "请尽快"}).status_code in (303, 422)
    assert _get(app, store, lambda: len(db.session.scalars(select(Order)).all())) == 1
    assert _level(app, store, a, wh) == (10, 2)
    html = client.get(order_url).get_data(as_text=True)
    assert "¥90.00" in html and 'data-status="pending_payment"' in html
    assert "Your cart is empty" in client.get(f"/shop/{slug}/cart").get_data(as_text=True)
    client.form(order_url, {"action": "cancel"})
    assert _level(app, store, a, wh) == (10, 0)


def test_a_shopper_never_sees_another_shoppers_order(app, store):
    (a,), _ = _shop(app, store)
    first, second = app.test_client(), app.test_client()
    slug = store.slug
    _register(first, slug, f"one@{slug}.cn")
    _register(second, slug, f"two@{slug}.cn")
    _add_address(first, slug)
    first.form(f"/shop/{slug}/cart", {"sku_id": a, "quantity": 1, "mode": "add"})
    checkout = first.get(f"/shop/{slug}/checkout").get_data(as_text=True)
    address_id = re.search(r'name="address_id" value="(\d+)"', checkout).group(1)
    order_url = first.form(f"/shop/{slug}/checkout", {"address_id": address_id}).headers["Location"]
    assert first.get(order_url).status_code == 200
    assert second.get(order_url).status_code == 404
    assert second.form(order_url, {"action": "cancel"}).status_code == 404
    assert order_url.rsplit("/", 1)[1] not in second.get(f"/shop/{slug}/orders").get_data(as_text=True)


def test_shop_sign_in_and_suspended_store(app, store, platform_admin):
    client = app.test_client()
    _register(client, store.slug, f"me@{store.slug}.cn")
    client.form(f"/shop/{store.slug}/logout")
    assert client.get(f"/shop/{store.slug}/orders").status_code == 302
    response = client.form(f"/shop/{store.slug}/login", {"email": f"me@{store.slug}.cn", "password": PASSWORD})
    assert response.status_code == 303
    platform_admin.form(f"/platform/stores/{store.id}/suspend", {"reason": "x"})
    page = app.test_client().get(f"/shop/{store.slug}/")
    assert page.status_code == 403 and "suspended" in page.get_data(as_text=True)


def test_the_first_address_is_the_default(app, store):
    client = app.test_client()
    _register(client, store.slug, f"first@{store.slug}.cn")
    _add_address(client, store.slug)
    checkout = client.get(f"/shop/{store.slug}/checkout").get_data(as_text=True)
    assert re.search(r'name="address_id" value="\d+" checked', checkout)


def test_address_book_default_and_delete_only_own(app, store):
    client, stranger = app.test_client(), app.test_client()
    _register(client, store.slug, f"book@{store.slug}.cn")
    _register(stranger, store.slug, f"other-book@{store.slug}.cn")
    _add_address(client, store.slug)
    _add_address(client, store.slug)
    ids = re.findall(r"/account/addresses/(\d+)/delete", client.get(f"/shop/{store.slug}/account").get_data(as_text=True))
    assert stranger.form(f"/shop/{store.slug}/account/addresses/{ids[0]}/delete").status_code == 404
    client.form(f"/shop/{store.slug}/account/addresses/{ids[1]}/default")
    client.form(f"/shop/{store.slug}/account/addresses/{ids[1]}/delete")
    html = client.get(f"/shop/{store.slug}/account").get_data(as_text=True)
    assert len(re.findall(r"/account/addresses/(\d+)/delete", html)) == 1 and "Default" in html


def test_my_orders_pages_and_filters_by_status(app, client, store):
    from sqlalchemy import select, update

    from app.blueprints.members.models import Member
    from app.blueprints.orders.models import Order
    from app.extensions import db
    from tests.catalog.test_pages import _get
    from tests.orders.test_orders import _place, _shop

    (sku,), _wh = _shop(app, store, stock=50, price=100)
    _register(client, store.slug, f"many@{store.slug}.cn")
    ids = [_place(app, store, [(sku, 1)]) for _ in range(23)]
    member_id = _get(app, store, lambda: db.session.scalar(select(Member.id).where(Member.email == f"many@{store.slug}.cn")))

    def own():
        db.session.execute(update(Order).where(Order.id.in_(ids)).values(shopper_id=member_id))
        db.session.execute(update(Order).where(Order.id.in_(ids[:3])).values(status="cancelled"))
    _get(app, store, own)
    first = client.get(f"/shop/{store.slug}/orders").get_data(as_text=True)
    second = client.get(f"/shop/{store.slug}/orders?page=2").get_data(as_text=True)
    assert first.count('<span class="badge') == 20 and second.count('<span class="badge') == 3
    assert "Page 2 of 2" in second
    cancelled = client.get(f"/shop/{store.slug}/orders?status=cancelled&page=abc").get_data(as_text=True)
    assert cancelled.count('<span class="badge') == 3 and 'id="orders-pager"' not in cancelled


def test_sign_up_errors_land_on_their_fields_and_keep_the_input(app, client, store):
    base = f"/shop/{store.slug}/register"
    answer = client.form(base, {"email": "short@pw.cn", "password": "x", "name": "赵六"}, headers={"Accept-Language": "en"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "characters" in html.split('id="field-password"')[1].split("</div>")[0]
    assert 'value="short@pw.cn"' in html and 'value="赵六"' in html

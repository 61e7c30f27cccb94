"""Placing orders (check, price, reserve, snapshot), idempotency, the state machine,
payment timeout, staff actions, and no overselling at checkout."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.blueprints.catalog import pricing, services as catalog
from app.blueprints.catalog.models import Product, Sku
from app.blueprints.inventory import services as inventory
from app.blueprints.orders import services
from app.blueprints.orders.models import Order, OrderEvent
from app.blueprints.platform.models import Store
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import OutboxEvent
from app.core.tenancy import store_context
from app.extensions import db
from tests import factories as f
from tests.catalog.test_pages import _get
from tests.inventory.test_stock import _level, _seq

ADDRESS = {"name": "张三", "phone": "13800000000", "province": "上海", "city": "上海", "district": "浦东",
           "street": "世纪大道 1 号"}
SHOPPER = {"name": "张三", "email": "zhang@example.com", "phone": "13800000000"}


def _shop(app, store, stock=10, price=5900, skus=1):
    """Products on sale with stock; returns (sku ids, warehouse id)."""
    with f.bound(store, request=True):
        warehouse, category = f.warehouse(store, priority=1), f.category(store)
        ids = [f.product(store, title=f"商品{i}", price=price, stock=stock, warehouse=warehouse,
                         category_obj=category).skus[0].id for i in range(skus)]
    return ids, warehouse.id


def _place(app, store, lines, key=None, **kwargs):
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        order = services.place_order([services.LineRequest(s, q) for s, q in lines], kwargs.pop("address", ADDRESS),
                                     shopper=SHOPPER, idempotency_key=key, **kwargs)
        db.session.commit()
        return order.id


def test_placing_an_order_prices_reserves_and_snapshots(app, store):
    (sku,), wh = _shop(app, store, price=5900)
    order_id = _place(app, store, [(sku, 2)])
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        order = db.session.get(Order, order_id)
        line = order.lines[0]
        assert (order.status, order.goods_total, order.payable) == ("pending_payment", 11800, 11800)
        assert line.title == "商品0" and line.unit_price == 5900 and line.quantity == 2
        db.session.get(Product, line.product_id).title = "改名了"   # the snapshot does not follow
        db.session.commit()
        assert db.session.get(Order, order_id).lines[0].title == "商品0"
        assert "order.created" in db.session.scalars(select(OutboxEvent.topic)).all()
    assert _level(app, store, sku, wh) == (10, 2)


def test_idempotency_key_returns_the_same_order_and_refuses_different_content(app, store):
    (sku,), _wh = _shop(app, store)
    first = _place(app, store, [(sku, 1)], key="k-1")
    assert _place(app, store, [(sku, 1)], key="k-1") == first
    with pytest.raises(services.IdempotencyConflict):
        _place(app, store, [(sku, 2)], key="k-1")


def test_lines_not_for_sale_are_refused_and_change_nothing(app, store):
    (sku,), wh = _shop(app, store)
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        product = db.session.get(Product, db.session.get(Sku, sku).product_id)
        catalog.change_status(None, product, "off_shelf")
        db.session.commit()
    with pytest.raises(DomainError):
        _place(app, store, [(sku, 1)])
    with pytest.raises(DomainError):
        _place(app, store, [(sku, 1000)])
    assert _level(app, store, sku, wh) == (10, 0)


def test_state_machine_refuses_illegal_steps_without_change(app, store):
    (sku,), wh = _shop(app, store)
    order_id = _place(app, store, [(sku, 3)])
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        order = db.session.get(Order, order_id)
        for illegal in (services.allocate, services.deliver, services.confirm_receipt):
            with pytest.raises(IllegalTransition):
                illegal(None, order)
        assert order.status == "pending_payment"
        with pytest.raises(DomainError):
            services.mark_paid(None, order, "", offline=True)      # offline needs a reference
        services.mark_paid(None, order, "BANK-1", offline=True)
        with pytest.raises(IllegalTransition):
            services.cancel_order(None, order, "changed mind")      # paid: close, not cancel
        services.allocate(None, order)
        services.ship(None, order, "SF123")
        services.deliver(None, order)
        services.confirm_receipt(None, order)
        db.session.commit()
        events = db.session.scalars(select(OrderEvent.action).where(OrderEvent.order_id == order_id)
                                    .order_by(OrderEvent.id)).all()
        assert events == ["created", "paid", "allocated", "shipped", "delivered", "completed"]
        assert db.session.get(Sku, sku).ever_sold
    assert _level(app, store, sku, wh) == (7, 0)


def test_payment_timeout_cancels_and_releases_stock(app, store):
    (sku,), wh = _shop(app, store)
    order_id = _place(app, store, [(sku, 4)])
    assert _level(app, store, sku, wh) == (10, 4)
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        assert services.cancel_unpaid(now=utcnow() + timedelta(hours=1)) == 1
        db.session.commit()
        assert db.session.get(Order, order_id).status == "cancelled"
    assert _level(app, store, sku, wh) == (10, 0)


def test_concurrent_checkouts_never_oversell_the_last_units(app, store):
    (sku,), wh = _shop(app, store, stock=5)
    with app.app_context():
        bound = db.session.get(Store, store.id)
        db.session.expunge(bound)

    def buy(i):
        with app.app_context(), store_context(bound):
            try:
                services.place_order([services.LineRequest(sku, 1)], ADDRESS, shopper=SHOPPER)
                db.session.commit()
                return True
            except DomainError:
                db.session.rollback()
                return False

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(buy, range(60)))
    assert sum(results) == 5
    assert _level(app, store, sku, wh) == (5, 5)


def test_staff_order_pages(app, owner, store):
    (sku,), wh = _shop(app, store, price=2000)
    code = _get(app, store, lambda: db.session.get(Sku, sku).code)
    base = f"/store/{store.slug}/orders"
    form = {"lines-0-sku_code": code, "lines-0-quantity": "3", "shopper_name": "李四", "address_name": "李四",
            "address_phone": "139", "address_city": "杭州", "address_street": "文三路", "idempotency_key": "staff-1"}
    response = owner.form(f"{base}/new", form)
    assert response.status_code == 303
    order_url = response.headers["Location"]
    assert owner.form(f"{base}/new", form).headers["Location"] == order_url      # resubmission: same order
    listing = owner.get(f"{base}/?q=李四&status=pending_payment").get_data(as_text=True)
    assert "李四" in listing and "¥60.00" in listing
    assert code.lower() in owner.get(f"{base}/?sku={code}").get_data(as_text=True).lower()
    owner.form(f"{order_url}/cancel", {"reason": ""})                          # a reason is required
    assert _level(app, store, sku, wh) == (10, 3)
    owner.form(f"{order_url}/cancel", {"reason": "顾客来电取消"})
    assert _level(app, store, sku, wh) == (10, 0)
    page = owner.get(order_url).get_data(as_text=True)
    assert 'data-status="cancelled"' in page and "顾客来电取消" in page


@pytest.mark.parametrize("amounts, discount", [([1000, 2000, 3000], 1001), ([333, 333, 334], 100), ([5], 5),
                                               ([0, 0], 0), ([7, 13, 29, 101], 77)])
def test_order_discounts_are_allocated_to_lines_exactly(amounts, discount):
    shares = services.allocate_discount(amounts, discount)
    assert sum(shares) == discount and all(0 <= s <= a for s, a in zip(shares, amounts))
    assert all(abs(s - discount * a / max(sum(amounts), 1)) < 1 for s, a in zip(shares, amounts))


def test_order_settings_page_changes_the_payment_timeout_and_shipping(app, owner, store):
    base = f"/store/{store.slug}/orders/settings"
    assert owner.get(base).status_code == 200
    bad = owner.form(base, {"order_type": "normal", "payment_timeout_minutes": "0", "auto_confirm_days": "10",
                            "after_sales_days": "7", "max_quantity_per_line": "99", "shipping_fee": "8"})
    assert bad.status_code == 422
    owner.form(base, {"order_type": "normal", "payment_timeout_minutes": "15", "auto_confirm_days": "10",
                      "after_sales_days": "7", "max_quantity_per_line": "99", "shipping_fee": "8.00",
                      "free_shipping_over": "100"})
    (sku,), _wh = _shop(app, store, price=5000)
    order_id = _place(app, store, [(sku, 1)])
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        order = db.session.get(Order, order_id)
        assert order.shipping_fee == 800 and order.payable == 5800
        assert 14 <= (order.payment_deadline - order.created_at).total_seconds() / 60 <= 16


def test_saved_filters_on_the_order_list_are_per_person(app, owner, store):
    from tests.conftest import add_staff

    base = f"/store/{store.slug}/orders/"
    owner.form(f"/store/{store.slug}/saved-filters", {"view": "orders.orders", "name": "待付款",
                                                       "query": "status=pending_payment", "next": base})
    html = owner.get(base).get_data(as_text=True)
    assert '<a href="?status=pending_payment">待付款</a>' in html
    email = add_staff(app, store, role="operations")
    colleague = app.test_client()
    colleague.login("store", email, slug=store.slug)
    assert "待付款" not in colleague.get(base).get_data(as_text=True)


def test_staff_order_form_refuses_an_unknown_code_on_its_own_line_and_keeps_the_input(app, owner, store):
    (sku,), _wh = _shop(app, store, price=2000)
    code = _get(app, store, lambda: db.session.get(Sku, sku).code)
    before = _get(app, store, lambda: db.session.scalar(select(func.count()).select_from(Order)))
    response = owner.form(f"/store/{store.slug}/orders/new", {
        "lines-0-sku_code": code, "lines-0-quantity": "2", "lines-1-sku_code": "NO-SUCH", "lines-1-quantity": "1",
        "shopper_name": "王五", "address_name": "王五", "address_phone": "139", "address_city": "杭州",
        "address_street": "文三路", "idempotency_key": "staff-bad"}, headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    line = html.split('id="field-lines-1-sku_code"')[1].split("</div>")[0]      # the error sits on that line
    assert "No SKU with the code “NO-SUCH”" in line and 'value="NO-SUCH"' in line
    assert f'value="{code}"' in html and 'value="王五"' in html                     # what was typed stays
    assert _get(app, store, lambda: db.session.scalar(select(func.count()).select_from(Order))) == before
    missing = owner.form(f"/store/{store.slug}/orders/new", {"lines-0-sku_code": code, "idempotency_key": "staff-x"})
    assert missing.status_code == 422 and 'has-error field-stringfield" id="field-address_city"' in missing.get_data(as_text=True)


def test_order_settings_page_view_writes_nothing_and_bad_money_is_a_field_error(app, owner, store):
    from app.blueprints.orders.models import OrderSettings

    count = lambda: _get(app, store, lambda: db.session.scalar(select(func.count()).select_from(OrderSettings)))  # noqa: E731
    before = count()
    html = owner.get(f"/store/{store.slug}/orders/settings").get_data(as_text=True)
    assert count() == before and 'id="wholesale-payment_timeout_minutes"' in html      # a GET commits nothing
    bad = owner.form(f"/store/{store.slug}/orders/settings", {
        "order_type": "pickup", "payment_timeout_minutes": "30", "auto_confirm_days": "10", "after_sales_days": "7",
        "max_quantity_per_line": "99", "shipping_fee": "8.999"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and count() == before
    row = bad.get_data(as_text=True).split('id="settings-row-pickup"')[1].split("</tr>")[0]
    assert "Write an amount like 12.00." in row and 'value="8.999"' in row

"""Growth value and points on completion count what the shopper actually paid for the goods
kept: a line refunded before the order completed earns nothing, freight earns nothing, and
money paid from a stored-value or gift card earns only when the store's rule says so."""
from sqlalchemy import select

from app.blueprints.members import loyalty
from app.blueprints.members.models import Member
from app.blueprints.orders.models import Order
from app.blueprints.payments import refunds
from app.blueprints.payments.models import Refund
from tests import factories as f
from tests.conftest import wait_for


def _member(store, member_id) -> Member:
    return f.get(store, Member, member_id)


def _complete(store, order_id):
    from app.blueprints.orders import services as orders

    with f.bound(store, request=True) as session:
        row = session.get(Order, order_id)
        for step in ("allocated", "shipped", "delivered", "completed"):
            f._order_step(orders, row, step)


def test_a_line_refunded_before_completion_earns_no_growth_or_points(app, store):
    member = f.member(store)
    big, small = f.sku(store, price=10_000, stock=5), f.sku(store, price=5_000, stock=5)
    order = f.order(store, "pending_payment", lines=[(big, 1), (small, 1)], member_obj=member)
    payment = f.payment(store, order)
    small_line = next(l.id for l in order.lines if l.sku_id == small.id)
    with f.bound(store, request=True):
        refunds.refund_order(None, order.id, "basis-small", lines={small_line: 1}, reason="少发一件")
    wait_for(lambda: f.read(store, lambda: f.db_session().scalar(
        select(Refund.status).where(Refund.request_id == "basis-small"))) == "succeeded", timeout=60)
    assert f.read(store, lambda: loyalty.earning_basis(order.id)) == 10_000
    _complete(store, order.id)
    wait_for(lambda: _member(store, member.id).growth > 0, timeout=60)
    m = _member(store, member.id)
    assert m.growth == 100 * 1 + 10            # ¥100 kept at 1 per ¥1, plus 10 per order (not ¥150)
    assert m.points == 100
    assert payment.amount == 15_000


def test_freight_earns_nothing_and_a_card_payment_earns_only_if_the_rule_says_so(app, store):
    from app.blueprints.orders import services as orders
    from app.blueprints.payments import accounts

    with f.bound(store, request=True):
        accounts.save_account(None, "card", True, {})
        orders.save_settings(None, "normal", {**{k: getattr(orders.settings_for("normal"), k) for k in (
            "payment_timeout_minutes", "auto_confirm_days", "after_sales_days", "max_quantity_per_line",
            "free_shipping_over")}, "shipping_fee": 800})
    cash, card = f.member(store), f.member(store)
    by_cash = f.order(store, "pending_payment", member_obj=cash, price=20_000)
    assert by_cash.payable == 20_800                                  # freight ¥8
    f.payment(store, by_cash)
    assert f.read(store, lambda: loyalty.earning_basis(by_cash.id)) == 20_000
    by_card = f.order(store, "pending_payment", member_obj=card, price=20_000)
    f.payment(store, by_card, gateway="card")
    assert f.read(store, lambda: loyalty.earning_basis(by_card.id)) == 0       # the default rule
    with f.bound(store, request=True):
        values = {k: getattr(loyalty.settings(), k) for k in loyalty.SETTING_LIMITS}
        loyalty.save_settings(None, {**values, "growth_from_cards": True})
    assert f.read(store, lambda: loyalty.earning_basis(by_card.id)) == 20_000
    _complete(store, by_card.id)
    wait_for(lambda: _member(store, card.id).growth == 200 + 10, timeout=60)


def test_the_card_rule_is_a_checkbox_on_the_levels_page(app, store, owner):
    owner_client = owner
    page = owner_client.get(f"/store/{store.slug}/members/levels")
    html = page.get_data(as_text=True)
    assert 'name="growth_from_cards"' in html and "stored-value and gift cards" in html
    values = {k: str(getattr(f.read(store, loyalty.settings), k)) for k in loyalty.SETTING_LIMITS}
    saved = owner_client.form(f"/store/{store.slug}/members/levels", {**values, "growth_from_cards": "y"})
    assert saved.status_code in (302, 303)
    assert f.read(store, lambda: loyalty.settings().growth_from_cards) is True
    bad = owner_client.form(f"/store/{store.slug}/members/levels", {**values, "growth_per_yuan": "-1"})
    assert bad.status_code == 422 and f.read(store, lambda: loyalty.settings().growth_from_cards) is True


def test_staff_who_cannot_change_the_rules_read_the_card_rule_in_words(app, store):
    viewer = f.staff_client(store, permissions=["members.view"])
    html = viewer.get(f"/store/{store.slug}/members/levels").get_data(as_text=True)
    assert "stored-value and gift cards" in html and ">No</dd>" in html and ">False<" not in html


def test_a_refund_after_completion_takes_back_growth_and_points_in_step_with_the_goods_not_the_freight(app, store):
    """Growth is earned on the goods (¥200, not the ¥8 freight): refunding half the goods takes
    back half the growth, and refunding the rest of the goods takes back all of it, though the
    freight stays paid (the payment is not refunded in full)."""
    from app.blueprints.orders import services as orders

    with f.bound(store, request=True):
        orders.save_settings(None, "normal", {**{k: getattr(orders.settings_for("normal"), k) for k in (
            "payment_timeout_minutes", "auto_confirm_days", "after_sales_days", "max_quantity_per_line",
            "free_shipping_over")}, "shipping_fee": 800})
    member = f.member(store)
    order = f.order(store, "pending_payment", member_obj=member, price=20_000)
    assert order.payable == 20_800
    f.payment(store, order)
    _complete(store, order.id)
    wait_for(lambda: _member(store, member.id).growth == 200 + 10, timeout=60)
    assert _member(store, member.id).points == 200                     # earned on the ¥200 of goods

    def refund(request_id, amount):
        with f.bound(store, request=True):
            refunds.refund_order(None, order.id, request_id, amount=amount, reason="退一半")
        wait_for(lambda: f.read(store, lambda: refunds.refund_state(request_id)) == "succeeded", timeout=60)

    refund("growth-half", 10_000)
    wait_for(lambda: _member(store, member.id).growth < 210, timeout=60)
    assert _member(store, member.id).growth == 210 - 210 * 10_000 // 20_000       # 105, not 210 * 10000 // 20800
    assert _member(store, member.id).points == 100                                # not 200 - 96 on the payable
    refund("growth-rest", 10_000)
    wait_for(lambda: _member(store, member.id).growth < 105, timeout=60)
    assert _member(store, member.id).growth == 0
    assert _member(store, member.id).points == 0                                  # all, though the freight stays paid
    assert f.read(store, lambda: loyalty.growth_refund_basis(order.id)) == (20_000, 20_000)

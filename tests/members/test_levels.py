"""Levels by growth value: completed orders earn points and growth (levels rise, on the
timeline), the review lowers a level whose growth lapsed, benefits reach the price service,
shipping and points; blacklisted members cannot order; segments match by their rules."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.blueprints.members import jobs as member_jobs, loyalty, queries, services
from app.blueprints.members.models import Member, PointsEntry
from app.core import jobs
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import OutboxEvent
from tests import factories as f
from tests.conftest import wait_for


def _member(store, member_id) -> Member:
    return f.get(store, Member, member_id)


def _history(store, member_id):
    return f.read(store, lambda: [(e.action, dict(e.data)) for e in loyalty.MEMBER_STATES.history(member_id)])


def test_a_completed_order_earns_points_and_growth_and_raises_the_level(app, store):
    silver = f.level(store, "silver", threshold=100, name="Silver", points_multiplier=200)
    f.level(store, "gold", threshold=100000, name="Gold")
    member = f.member(store)
    f.order(store, "completed", member_obj=member, price=12345)   # ¥123.45 paid (no shipping fee set)
    payable = f.read(store, lambda: __import__("app.blueprints.orders.queries", fromlist=["x"])
                     .shopper_orders(member.id)[0][0].payable)
    wait_for(lambda: _member(store, member.id).level_id == silver.id)
    m = _member(store, member.id)
    # growth: ¥1 → 1 and 10 per order; points: ¥1 → 1 (the level's x2 applies from the next order)
    assert m.growth == payable // 100 + 10
    assert m.points == payable // 100
    assert m.order_count == 1 and m.total_spent == payable and m.last_order_at is not None
    assert ("level_up", {"level": "Silver"}) in _history(store, member.id)
    f.order(store, "completed", member_obj=member, price=10000)
    wait_for(lambda: _member(store, member.id).order_count == 2
             and _member(store, member.id).points > payable // 100)
    wait_for(lambda: _member(store, member.id).points == payable // 100 + (payable - 12345 + 10000) // 100 * 2)


def test_the_review_lowers_a_level_whose_growth_lapsed_when_the_job_runs(app, store):
    gold = f.level(store, "gold", threshold=500, name="Gold")
    silver = f.level(store, "silver", threshold=100, name="Silver")
    member = f.member(store)
    start = utcnow()
    with time_machine.travel(start - timedelta(days=400), tick=True):       # 13 months ago
        with f.bound(store, request=True) as session:
            assert loyalty.add_growth(session.get(Member, member.id), 600).id == gold.id
    with time_machine.travel(start - timedelta(days=100), tick=True):
        with f.bound(store, request=True) as session:
            loyalty.add_growth(session.get(Member, member.id), 150)         # within the last 12 months
    with app.app_context():
        assert jobs.run_job(member_jobs.review_levels.job_name, store.id, [], {}) == 1
        assert jobs.run_job(member_jobs.review_levels.job_name, store.id, [], {}) == 0   # the period started again
    assert _member(store, member.id).level_id == silver.id
    assert ("level_down", {"level": "Silver", "before": "Gold"}) in _history(store, member.id)
    with time_machine.travel(start + timedelta(days=370), tick=True):        # a year on: nothing earned
        with app.app_context():
            assert jobs.run_job(member_jobs.review_levels.job_name, store.id, [], {}) == 1
    assert _member(store, member.id).level_id is None


def test_the_level_price_and_free_shipping_reach_the_order(app, store):
    from app.blueprints.orders import services as orders

    gold = f.level(store, "gold", threshold=1000, discount_percent=90, free_shipping=True)
    with f.bound(store, request=True):
        orders.save_settings(None, "normal", {"payment_timeout_minutes": 30, "auto_confirm_days": 7,
                                              "after_sales_days": 7, "shipping_fee": 800, "max_quantity_per_line": 99,
                                              "free_shipping_over": None})
    plain, special = f.sku(store, price=1000, stock=10), f.sku(store, price=1000, stock=10)
    f.tier_price(store, special, price=700, member_group="gold")
    member, guest = f.member(store), f.member(store)
    f.on_level(store, member, gold)
    order = f.order(store, lines=[(plain, 1), (special, 1)], member_obj=member)
    assert sorted(l.unit_price for l in order.lines) == [700, 900]      # its own price; else 90 %
    assert order.shipping_fee == 0 and order.payable == 1600
    other = f.order(store, lines=[(plain, 1), (special, 1)], member_obj=guest)
    assert [l.unit_price for l in other.lines] == [1000, 1000] and other.shipping_fee == 800
    with f.bound(store, request=True):
        preview = orders.preview_checkout({plain.id: 2}, "310115", shopper_id=member.id)
        assert (preview.goods_total, preview.shipping_fee, preview.shipping.source) == (1800, 0, "member")


def test_member_pricing_tells_promotions_the_level_segments_and_blacklist(app, store):
    gold = f.level(store, "gold", threshold=1000, name="Gold", discount_percent=95, points_multiplier=150)
    member = f.member(store)
    f.on_level(store, member, gold)
    big = f.segment(store, "big spenders", {"min_spent": "100.00"})
    golds = f.segment(store, "golds", {"level": "gold"})
    with f.bound(store, request=True) as session:
        pricing = queries.member_pricing(member.id)
        assert (pricing.level_code, pricing["level_name"], pricing.discount_percent, pricing.points_multiplier,
                pricing.free_shipping, pricing.blacklisted) == ("gold", "Gold", 95, 150, False, False)
        assert pricing.segment_ids == (golds.id,)
        loyalty.record_order_paid(member.id, 20000, utcnow())
        assert queries.member_pricing(member.id).segment_ids == (big.id, golds.id)
        assert queries.segment_member_ids(big.id) == [member.id]
        loyalty.blacklist(None, session.get(Member, member.id), "chargebacks")
        assert queries.member_pricing(member.id).blacklisted and not queries.may_order(member.id)
        assert queries.member_pricing(None).level_code is None and queries.member_pricing(10 ** 12).segment_ids == ()


def test_a_blacklisted_member_cannot_place_an_order(app, store):
    member = f.member(store)
    with f.bound(store, request=True) as session:
        loyalty.blacklist(None, session.get(Member, member.id), "fraud")
    with pytest.raises(DomainError):
        f.order(store, member_obj=member)
    with f.bound(store, request=True) as session:
        loyalty.unblacklist(None, session.get(Member, member.id))
    assert f.order(store, member_obj=member).status == "pending_payment"


def test_a_refund_through_the_payment_center_takes_back_the_points_the_order_earned(app, store):
    from app.blueprints.orders import services as orders
    from app.blueprints.orders.models import Order
    from app.blueprints.payments import refunds
    from app.blueprints.payments.models import Payment

    member = f.member(store)
    order = f.order(store, member_obj=member, price=20000)
    payment = f.payment(store, order)                       # sandbox, succeeded: the order is paid
    with f.bound(store, request=True) as session:
        row = session.get(Order, order.id)
        for step in (orders.allocate, lambda a, o: orders.ship(a, o, "SF1"), orders.deliver, orders.confirm_receipt):
            step(None, row)
    earned = order.payable // 100
    wait_for(lambda: _member(store, member.id).points == earned)
    with f.bound(store, request=True) as session:
        refunds.refund(None, session.get(Payment, payment.id), "half-back", order.payable // 2, reason="damaged")
    wait_for(lambda: _member(store, member.id).points == earned - earned // 2)
    assert _member(store, member.id).total_spent == order.payable - order.payable // 2
    kinds = f.read(store, lambda: f.db_session().scalars(select(PointsEntry.kind).where(
        PointsEntry.member_id == member.id).order_by(PointsEntry.id)).all())
    assert kinds == ["earn", "reverse"]


def test_birthdays_on_a_level_with_the_benefit_emit_once_a_year(app, store):
    gold = f.level(store, "gold", threshold=1000, birthday_coupon=True)
    plain = f.level(store, "plain", threshold=10)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    born = today.replace(year=1990) if not (today.month == 2 and today.day == 29) else today.replace(year=1992)
    lucky, other = f.member(store), f.member(store)
    for m, lv in ((lucky, gold), (other, plain)):
        f.on_level(store, m, lv)
        with f.bound(store, request=True) as session:
            loyalty.set_birthday(session.get(Member, m.id), born)
    with app.app_context():
        assert jobs.run_job(member_jobs.greet_birthdays.job_name, store.id, [], {}) == 1
        assert jobs.run_job(member_jobs.greet_birthdays.job_name, store.id, [], {}) == 0
    events = f.read(store, lambda: f.db_session().scalars(select(OutboxEvent.payload).where(
        OutboxEvent.topic == "member.birthday")).all())
    assert events == [{"member_id": lucky.id, "level": "gold", "year": today.year}]

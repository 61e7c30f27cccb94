"""Points (积分): a ledger whose balance never goes negative, under concurrency and over any
sequence of earning, spending, refunds and expiry; what promotions asks of members."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from app.blueprints.members import loyalty, queries, services
from app.blueprints.members.models import Member, PointsEntry
from app.core.db import utcnow
from app.core.errors import DomainError
from tests import factories as f


def _balance(store, member_id):
    return f.read(store, lambda: f.db_session().scalar(select(Member.points).where(Member.id == member_id)))


def _ledger_sum(store, member_id):
    return f.read(store, lambda: int(f.db_session().scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))
                                                           .where(PointsEntry.member_id == member_id))))


def _earn(store, member_id, points, order_id=None):
    with f.bound(store, request=True):
        return services.earn_points(member_id, points, order_id).id


def test_spending_never_overdraws_under_contention(app, store):
    member = f.member(store)
    _earn(store, member.id, 100, order_id=1)
    outcomes, lock = [], threading.Lock()

    def spend(order_id):
        try:
            with f.bound(store, request=True):
                services.spend_points(member.id, 30, order_id=1000 + order_id)
            result = "ok"
        except services.NotEnoughPoints:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == 9
    assert _balance(store, member.id) == 10 == _ledger_sum(store, member.id)


def test_the_same_order_spends_once_and_earns_once(app, store):
    member = f.member(store)
    _earn(store, member.id, 50, order_id=7)
    _earn(store, member.id, 50, order_id=7)
    with f.bound(store, request=True):
        first = services.spend_points(member.id, 20, order_id=8)
        again = services.spend_points(member.id, 20, order_id=8)
        assert first.id == again.id
    assert _balance(store, member.id) == 30


def test_spending_more_than_the_balance_or_the_cap_is_refused_and_changes_nothing(app, store):
    member = f.member(store)
    _earn(store, member.id, 1000, order_id=3)
    with f.bound(store, request=True):
        with pytest.raises(services.NotEnoughPoints):
            services.spend_points(member.id, 1001, order_id=4)
        # 100 points = ¥1, at most 50 % of the payable: ¥10.00 takes at most 500 points
        with pytest.raises(DomainError) as err:
            services.spend_points(member.id, 501, order_id=5, payable=1000)
        assert err.value.field == "points"
        assert services.spend_points(member.id, 500, order_id=5, payable=1000).balance_after == 500
    assert _balance(store, member.id) == 500


def test_promotions_reads_the_points_rule_balance_and_deduction(app, store):
    member = f.member(store)
    _earn(store, member.id, 800, order_id=1)
    with f.bound(store, request=True):
        rule = queries.points_rule()
        assert (rule.value_per_100, rule.max_share_percent, rule["earn_per_yuan"]) == (100, 50, 1)
        assert queries.points_balance(member.id) == 800
        assert queries.points_deduction(member.id, 1000) == queries.PointsDeduction(500, 500)    # the cap
        assert queries.points_deduction(member.id, 100000) == queries.PointsDeduction(800, 800)  # the balance
        assert queries.points_deduction(member.id, 100000, requested=250).amount == 250
        assert queries.points_deduction(None, 1000).points == 0
        assert queries.points_balance(10 ** 12) == 0


def test_a_refund_takes_back_what_the_order_earned_and_gives_back_what_it_spent(app, store):
    member = f.member(store)
    _earn(store, member.id, 500, order_id=1)                    # an older order
    with f.bound(store, request=True):
        services.spend_points(member.id, 200, order_id=2)       # order 2 used 200 points
        services.earn_points(member.id, 100, order_id=2)        # and earned 100 on completion
        # half of the payable comes back: half of each
        assert services.refund_points(member.id, 2, refund_id=1, amount=5000, payable=10000) == (50, 100)
        assert services.refund_points(member.id, 2, refund_id=1, amount=5000, payable=10000) == (0, 0)  # once
        # the rest in full: what is left of each
        assert services.refund_points(member.id, 2, refund_id=2, amount=5000, payable=10000, full=True) == (50, 100)
    assert _balance(store, member.id) == 500 == _ledger_sum(store, member.id)


def test_a_refund_never_takes_the_balance_below_zero(app, store):
    member = f.member(store)
    with f.bound(store, request=True):
        services.earn_points(member.id, 300, order_id=9)
        services.spend_points(member.id, 250, order_id=10)      # spent on another order meanwhile
        taken, given = services.refund_points(member.id, 9, refund_id=3, amount=100, payable=100, full=True)
    assert (taken, given) == (50, 0)
    assert _balance(store, member.id) == 0 == _ledger_sum(store, member.id)


def test_staff_adjustments_need_a_reason_and_show_on_the_timeline(app, store):
    member = f.member(store)
    with f.bound(store, request=True) as session:
        row = session.get(Member, member.id)
        with pytest.raises(DomainError) as err:
            services.adjust_points(None, row, 10, "  ")
        assert err.value.field == "reason"
        services.adjust_points(None, row, 40, "goodwill")
        with pytest.raises(services.NotEnoughPoints):
            services.adjust_points(None, row, -41, "too much")
        assert [e.action for e in loyalty.MEMBER_STATES.history(row)][-1] == "points_adjusted"
    assert _balance(store, member.id) == 40


def test_points_expire_after_the_period_oldest_first_when_the_job_runs(app, store):
    from app.blueprints.members import jobs as member_jobs
    from app.core import jobs

    member = f.member(store)
    start = utcnow()
    with time_machine.travel(start - timedelta(days=800), tick=True):
        _earn(store, member.id, 300, order_id=21)               # 26 months ago
    with time_machine.travel(start - timedelta(days=400), tick=True):
        with f.bound(store, request=True):
            services.spend_points(member.id, 100, order_id=22)  # used from the oldest points
            services.earn_points(member.id, 50, order_id=23)    # 13 months ago: still good
    with app.app_context():
        assert jobs.run_job(member_jobs.expire_points.job_name, store.id, [], {}) == 1
        assert jobs.run_job(member_jobs.expire_points.job_name, store.id, [], {}) == 0   # nothing more
    assert _balance(store, member.id) == 50 == _ledger_sum(store, member.id)
    with time_machine.travel(start + timedelta(days=400), tick=True):   # a year on, the 50 lapse too
        with app.app_context():
            assert jobs.run_job(member_jobs.expire_points.job_name, store.id, [], {}) == 1
    assert _balance(store, member.id) == 0


OPS = st.lists(st.tuples(st.sampled_from(["earn", "spend", "refund", "expire", "adjust"]),
                         st.integers(min_value=1, max_value=400), st.integers(min_value=0, max_value=4)),
               min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_sequence_keeps_the_balance_equal_to_the_ledger_and_never_negative(app, module_store, ops):
    store = module_store
    member = f.member(store)
    clock = utcnow() - timedelta(days=1000)
    refund_seq = iter(range(10 ** 6))
    with f.bound(store, request=True) as session:
        for kind, amount, order in ops:
            clock += timedelta(days=60)
            with time_machine.travel(clock, tick=False):
                order_id = member.id * 10 + order
                try:
                    if kind == "earn":
                        services.earn_points(member.id, amount, order_id)
                    elif kind == "spend":
                        services.spend_points(member.id, amount, order_id)
                    elif kind == "refund":
                        services.refund_points(member.id, order_id, refund_id=member.id * 1000 + next(refund_seq),
                                               amount=amount, payable=400, full=amount > 300)
                    elif kind == "expire":
                        loyalty.expire_points()
                    else:
                        services.adjust_points(None, session.get(Member, member.id), amount - 200 or 1, "test")
                except services.NotEnoughPoints:
                    pass
            balance = session.scalar(select(Member.points).where(Member.id == member.id))
            entries = session.scalars(select(PointsEntry).where(PointsEntry.member_id == member.id)
                                      .order_by(PointsEntry.id)).all()
            assert balance >= 0
            assert balance == sum(e.delta for e in entries)
            running = 0
            for e in entries:
                running += e.delta
                assert e.balance_after == running >= 0

"""The store's rules: approval under an amount, the reply deadline (merchant silence approves,
as Taobao does) and the ship-back deadline (the request closes), run by the periodic jobs with
the clock moved; return shipping paid per reason; shipping refunded as the rule says."""
from datetime import timedelta

import time_machine

from app.blueprints.aftersales import jobs as aftersales_jobs, services
from app.core import jobs
from app.core.db import utcnow
from tests import factories as f
from tests.aftersales.conftest import ask, bought, request_row, rules


def _run(app, store, fn):
    with app.app_context():
        return jobs.run_job(fn.job_name, store.id, [], {})


def test_a_request_the_store_does_not_answer_in_time_is_approved_by_the_job(app, store):
    rules(store, reply_hours=24)
    member = f.member(store)
    order = bought(store, member, state="delivered")
    req = ask(store, member, order, "return_refund")
    with time_machine.travel(utcnow() + timedelta(hours=23), tick=True):
        assert _run(app, store, aftersales_jobs.approve_unanswered_requests) == 0
    assert request_row(store, req.id).status == "requested"
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=True):
        assert _run(app, store, aftersales_jobs.approve_unanswered_requests) == 1
        assert _run(app, store, aftersales_jobs.approve_unanswered_requests) == 0
    row = request_row(store, req.id)
    assert row.status == "awaiting_return"
    with f.bound(store):
        reasons = [e.reason for e in services.REQUEST_STATES.history(row) if e.to_status == "approved"]
    assert reasons == ["the store did not answer in time"]


def test_goods_never_sent_back_close_the_request_when_the_job_runs(app, store):
    rules(store, ship_back_days=3)
    member = f.member(store)
    order = bought(store, member, state="delivered")
    req = ask(store, member, order, "return_refund")
    with f.bound(store, request=True) as session:
        services.approve(None, session.get(type(req), req.id))
    with time_machine.travel(utcnow() + timedelta(days=2), tick=True):
        assert _run(app, store, aftersales_jobs.close_unreturned_requests) == 0
    with time_machine.travel(utcnow() + timedelta(days=4), tick=True):
        assert _run(app, store, aftersales_jobs.close_unreturned_requests) == 1
    row = request_row(store, req.id)
    assert (row.status, row.outcome) == ("closed", "expired")
    again = ask(store, member, order, "return_refund")     # the units are free to ask about again
    assert again.status == "requested"


def test_requests_under_the_amount_are_approved_at_once_and_above_it_wait(store):
    rules(store, auto_approve_under=1000)
    member = f.member(store)
    order = bought(store, member, [(f.sku(store, price=800, stock=5), 2)], state="delivered")
    small = ask(store, member, order, "return_refund", {order.lines[0].id: 1})
    big_order = bought(store, member, [(f.sku(store, price=1500, stock=5), 1)], state="delivered")
    big = ask(store, member, big_order, "return_refund")
    assert request_row(store, small.id).status == "awaiting_return"
    assert request_row(store, big.id).status == "requested"


def test_the_reason_says_who_pays_return_shipping_and_shipping_is_refunded_by_the_rule(store):
    member = f.member(store)
    with f.bound(store, request=True):
        reasons = {r.name_en: r.id for r in services.reasons()}
    rules(store, refund_shipping="store_fault")
    order = bought(store, member, state="delivered", shipping_fee=600)
    mine = ask(store, member, order, "return_refund", reason_id=reasons["No longer wanted"])
    assert (mine.return_shipping_payer, mine.shipping_refund) == ("shopper", 0)
    other = bought(store, member, state="delivered", shipping_fee=600)
    theirs = ask(store, member, other, "return_refund", reason_id=reasons["Quality problem"])
    assert (theirs.return_shipping_payer, theirs.shipping_refund) == ("store", 600)
    rules(store, refund_shipping="never")
    third = bought(store, member, state="delivered", shipping_fee=600)
    assert ask(store, member, third, "return_refund", reason_id=reasons["Quality problem"]).shipping_refund == 0

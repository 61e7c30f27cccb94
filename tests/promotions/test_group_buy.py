"""Group buying (拼团): a group opens when its leader pays, others join through its code (never
more than its size, however many try at once), its orders' delivery notices wait until the group
is full and then go to the warehouse; a group that runs out of time refunds every paid order
through the payment center (the order closes, its stock comes back) once the periodic job ran."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import select

from app.blueprints.dispatch import services as dispatch
from app.blueprints.inventory import services as inventory
from app.blueprints.orders.models import Order
from app.blueprints.payments.models import Payment
from app.blueprints.promotions import groupbuy, jobs as promotion_jobs
from app.blueprints.promotions.models import GroupMember, GroupTeam
from app.core import jobs
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import OutboxEvent
from app.core.tenancy import store_context
from tests import factories as f
from tests.conftest import wait_for
from tests.promotions.test_coupons import _bound


@pytest.fixture(scope="module")
def shop(module_store):
    """One store for the module: a SKU with stock and a live activity (2 shoppers, ¥60 instead of ¥100)."""
    store = module_store
    sku = f.sku(store, price=10_000, stock=100)
    now = utcnow()
    with f.bound(store, request=True):
        activity = groupbuy.save_activity(None, None, {
            "name": "两人拼团", "sku_id": sku.id, "group_price": 6_000, "group_size": 2, "time_limit_minutes": 60,
            "starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(days=3)})
        groupbuy.set_status(None, activity, "active")
        f.db_session().flush()
    return store, sku, activity.id


def _open(store, activity_id, member):
    with f.bound(store, request=True) as session:
        team, order = groupbuy.open_group(activity_id, member.id, f.ADDRESS, f.SHOPPER)
        session.flush()
        return team.code, order.id


def _join(store, code, member):
    with f.bound(store, request=True) as session:
        team, order = groupbuy.join_group(code, member.id, f.ADDRESS, f.SHOPPER)
        session.flush()
        return order.id


def _pay(store, order_id):
    return f.payment(store, SimpleNamespace(id=order_id))


def _team(store, code):
    return f.read(store, lambda: groupbuy.team_by_code(code).status)


def _notices(store, order_id):
    return f.read(store, lambda: [n.status for n in dispatch.notices_of(order_id)])


def _order_status(store, order_id):
    return f.read(store, lambda: f.db_session().get(Order, order_id).status)


def test_two_shoppers_fill_a_group_and_only_then_its_orders_go_to_the_warehouse(app, shop):
    store, sku, activity_id = shop
    leader, friend = f.member(store), f.member(store)
    code, first = _open(store, activity_id, leader)
    assert _team(store, code) == "pending"                      # nobody can join before the leader paid
    with f.bound(store, request=True), pytest.raises(DomainError, match="no longer open"):
        groupbuy.join_group(code, friend.id, f.ADDRESS, f.SHOPPER)
    _pay(store, first)
    wait_for(lambda: _team(store, code) == "open", timeout=60)
    wait_for(lambda: _notices(store, first) == ["held"], timeout=60)    # paid, but it waits for the group
    with f.bound(store, request=True):
        order = f.db_session().get(Order, first)
        assert order.order_type == "group_buy" and order.payable == 6_000
        notice = dispatch.notices_of(first)[0]
        with pytest.raises(DomainError, match="group buy is full"):
            dispatch.release_hold(None, notice)                 # staff cannot ship it early
    second = _join(store, code, friend)
    _pay(store, second)
    wait_for(lambda: _team(store, code) == "succeeded", timeout=60)
    wait_for(lambda: _notices(store, first) == ["pending"] and _notices(store, second) == ["pending"], timeout=60)
    with f.bound(store, request=True):
        act = groupbuy.activity(activity_id)
        assert (act.groups_succeeded, act.orders, act.gmv) >= (1, 2, 12_000)


def test_a_group_that_runs_out_of_time_refunds_its_paid_orders_and_cancels_the_unpaid_ones(app, shop):
    store, sku, activity_id = shop
    leader, late = f.member(store), f.member(store)
    before = f.read(store, lambda: inventory.sellable([sku.id])[sku.id])
    code, first = _open(store, activity_id, leader)
    _pay(store, first)
    wait_for(lambda: _team(store, code) == "open", timeout=60)
    second = _join(store, code, late)                           # joins but never pays
    expires = f.read(store, lambda: groupbuy.team_by_code(code).expires_at)
    with time_machine.travel(expires - timedelta(minutes=1), tick=False):
        jobs.run_job(promotion_jobs.fail_expired_groups.job_name, store.id, [], {})
    assert _team(store, code) == "open"                         # not yet
    with time_machine.travel(expires + timedelta(seconds=1), tick=False):
        jobs.run_job(promotion_jobs.fail_expired_groups.job_name, store.id, [], {})
    assert _team(store, code) == "failed"
    assert _order_status(store, second) == "cancelled"
    wait_for(lambda: _order_status(store, first) == "closed", timeout=90)     # refunded in full, then closed
    assert f.read(store, lambda: f.db_session().scalar(select(Payment.status).where(Payment.order_id == first))) \
        == "refunded"
    wait_for(lambda: _notices(store, first) == ["cancelled"], timeout=60)     # intercepted, never shipped
    wait_for(lambda: f.read(store, lambda: inventory.sellable([sku.id])[sku.id]) == before, timeout=60)
    places = f.read(store, lambda: [p.status for p in groupbuy.places(groupbuy.team_by_code(code).id)])
    assert places == ["refunded", "cancelled"]


def test_many_shoppers_joining_at_once_never_overfill_a_group(app, shop):
    store, sku, activity_id = shop
    with f.bound(store, request=True) as session:
        act = groupbuy.activity(activity_id)
        act.group_size = 3                                       # this group: 3 places (the row is a copy)
        team, first = groupbuy.open_group(activity_id, f.member(store).id, f.ADDRESS, f.SHOPPER)
        act.group_size = 2
        session.flush()
        code, first_id = team.code, first.id
    _pay(store, first_id)
    wait_for(lambda: _team(store, code) == "open", timeout=60)
    members = [f.member(store) for _ in range(10)]
    bound = _bound(store)

    def join(member):
        with app.test_request_context(), store_context(bound):
            from app.core.retry import in_transaction
            from app.extensions import db

            try:
                return in_transaction(lambda: groupbuy.join_group(code, member.id, f.ADDRESS, f.SHOPPER)[1].id)
            except DomainError:
                db.session.rollback()
                return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        joined = [o for o in pool.map(join, members) if o]
    assert len(joined) == 2
    assert f.read(store, lambda: f.db_session().scalar(select(GroupTeam.taken).where(GroupTeam.code == code))) == 3
    assert f.count(store, GroupMember, GroupMember.team_id == f.read(store, lambda: groupbuy.team_by_code(code).id)) \
        == 3


def test_a_group_orders_breakdown_names_the_group_price_not_a_flash_price(app, shop):
    from app.blueprints.promotions import queries as promotions
    from app.blueprints.promotions.models import OrderPricing

    store, sku, activity_id = shop
    code, order_id = _open(store, activity_id, f.member(store))
    with f.bound(store, request=True):
        breakdown = promotions.order_breakdown(order_id)
    applied = [(a["key"], a["name"], a["kind_label"], a["amount"]) for a in breakdown["applied"]]
    assert applied == [("group", "Group price", "Group price", 4_000)]
    assert [st["key"] for st in breakdown["lines"][0]["steps"]] == ["group"]
    with f.bound(store, request=True) as session:      # a breakdown kept before group prices had their key
        row = session.get(OrderPricing, order_id)
        row.explanation = {**row.explanation, "applied": [{**a, "key": "flash", "kind": "flash_price"}
                                                          for a in row.explanation["applied"]]}
        session.flush()
    with f.bound(store, request=True):
        again = promotions.order_breakdown(order_id)
    assert [(a["key"], a["name"]) for a in again["applied"]] == [("group", "Group price")]


def _place(store, order_id):
    return f.read(store, lambda: f.db_session().scalar(select(GroupMember).where(GroupMember.order_id == order_id)))


def _hand_refund_legs(store, place_id):
    """(account, debit, credit) of finance's entry for a place refunded by hand."""
    from app.blueprints.finance.models import Entry

    def legs():
        entry = f.db_session().scalar(select(Entry).where(Entry.rule == "group_refund_by_hand",
                                                          Entry.source_id == f"group-{place_id}"))
        return [] if entry is None else sorted((l.account.code, l.debit, l.credit) for l in entry.lines)
    return f.read(store, legs)


def _settled(store, request_id):
    """Wait until the sandbox gateway has answered the group's refund and every handler of that
    answer has run: a notice the test sends then really comes after it."""
    from app.blueprints.payments import refunds

    wait_for(lambda: f.read(store, lambda: refunds.refund_state(request_id)) == "succeeded", timeout=120)
    wait_for(lambda: f.count(store, OutboxEvent, OutboxEvent.status == "pending") == 0, timeout=120)


def _fail_group(store, code):
    # the worker is done with the payment's events first (dispatch share-locks the group while
    # it holds the notice: the job and that handler would otherwise deadlock on a loaded machine)
    wait_for(lambda: f.count(store, OutboxEvent, OutboxEvent.status == "pending") == 0, timeout=120)
    expires = f.read(store, lambda: groupbuy.team_by_code(code).expires_at)
    with time_machine.travel(expires + timedelta(seconds=1), tick=False):
        jobs.run_job(promotion_jobs.fail_expired_groups.job_name, store.id, [], {})


def test_a_failed_group_order_paid_offline_is_closed_and_listed_for_a_refund_by_hand(app, shop, module_owner):
    from app.blueprints.orders import services as orders

    store, sku, activity_id = shop
    code, order_id = _open(store, activity_id, f.member(store))
    with f.bound(store, request=True) as session:
        orders.mark_paid(None, session.get(Order, order_id), "BANK-7781", offline=True)
    wait_for(lambda: _team(store, code) == "open", timeout=60)
    _fail_group(store, code)
    assert _team(store, code) == "failed"
    assert _order_status(store, order_id) == "closed"           # never left "paid" with nothing to refund it
    place = _place(store, order_id)
    assert (place.status, place.refund_code, place.refund_note) == ("refund_due", "paid_offline", "")
    assert f.read(store, lambda: [r["place"].order_id for r in groupbuy.refunds_due()]) == [order_id]
    ref = f.read(store, lambda: f.db_session().get(Order, order_id).reservation_ref)
    assert f.read(store, lambda: inventory.holds(ref)) == {}                # its stock is back

    base = f"/store/{store.slug}/promotions/group-buys"
    assert "Orders of failed groups to refund by hand: 1" in module_owner.get(base + "/").get_data(as_text=True)
    page = module_owner.get(base + "/refunds")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'data-place="{place.id}"' in html and "¥60.00" in html
    assert "not paid through a payment gateway: refund it by hand." in html
    bad = module_owner.form(base + "/refunds", {"place": str(place.id), f"p{place.id}-reference": " "})
    assert bad.status_code == 422 and f'id="p{place.id}-reference-error"' in bad.get_data(as_text=True)
    assert _place(store, order_id).status == "refund_due"       # nothing changed
    for nonsense in ("x", "99999999999999999999", "0"):
        assert module_owner.form(base + "/refunds", {"place": nonsense, "p1-reference": "X"}).status_code == 404
    clerk = f.staff_client(store, permissions=["promotions.view"])
    assert clerk.form(base + "/refunds", {"place": str(place.id), f"p{place.id}-reference": "X"}).status_code == 403
    done = module_owner.form(base + "/refunds", {"place": str(place.id), f"p{place.id}-reference": "ICBC-20261202-9"})
    assert done.status_code in (302, 303)
    place = _place(store, order_id)
    assert (place.status, place.refund_code, place.refund_params, place.refund_amount) == (
        "refunded", "refunded_by_hand", {"reference": "ICBC-20261202-9", "amount": 6_000}, 0)
    (event,) = f.read(store, lambda: f.db_session().scalars(select(OutboxEvent.payload).where(
        OutboxEvent.topic == "group_buy.refunded_by_hand", OutboxEvent.payload["order_id"].as_integer() == order_id))
        .all())
    assert (event["amount"], event["currency"], event["reference"], event["place_id"]) == (
        6_000, "CNY", "ICBC-20261202-9", place.id)
    wait_for(lambda: _hand_refund_legs(store, place.id) == [("1002", 0, 6_000), ("2203", 6_000, 0)], timeout=120)
    timeline = f.read(store, lambda: [e.reason for e in orders.ORDER_STATES.history(f.db_session().get(Order, order_id))])
    assert any("ICBC-20261202-9" in (r or "") for r in timeline)
    assert f.read(store, groupbuy.refunds_due) == []
    again = module_owner.form(base + "/refunds", {"place": str(place.id), f"p{place.id}-reference": "AGAIN"})
    assert again.status_code == 422 and "not waiting for a refund by hand" in again.get_data(as_text=True)


def test_a_failed_group_whose_gateway_refund_fails_is_flagged_for_a_refund_by_hand(app, shop):
    from app.blueprints.payments import refunds
    from app.blueprints.payments.gateways import Notice

    store, sku, activity_id = shop
    code, order_id = _open(store, activity_id, f.member(store))
    _pay(store, order_id)
    wait_for(lambda: _team(store, code) == "open", timeout=120)
    _fail_group(store, code)
    wait_for(lambda: _order_status(store, order_id) == "closed", timeout=120)
    assert _place(store, order_id).status == "refunded"
    team_id = _place(store, order_id).team_id
    _settled(store, f"group-{team_id}-{order_id}")
    with f.bound(store, request=True):     # the gateway reports later that the refund did not go through
        assert refunds.apply_refund_notice(Notice("refund", f"group-{team_id}-{order_id}", "failed", 6_000, "CNY",
                                                  None, "REFUND_CLOSED", utcnow())) == "applied"
    wait_for(lambda: _place(store, order_id).status == "refund_due", timeout=120)
    place = _place(store, order_id)
    assert (place.refund_code, place.refund_params) == ("gateway_failed", {"why": "REFUND_CLOSED"})
    with f.bound(store, request=True):
        assert groupbuy.refund_note_text(place) == "The gateway's refund failed: REFUND_CLOSED"
    assert order_id in f.read(store, lambda: [r["place"].order_id for r in groupbuy.refunds_due()])
    # the gateway's earlier "succeeded", handled only now (events may be handled out of order),
    # does not take the order off the list: the refund is failed
    with f.bound(store, request=True):
        assert groupbuy.refund_succeeded(f"group-{team_id}-{order_id}") is False
    assert _place(store, order_id).status == "refund_due"


def test_a_failed_group_order_partly_refunded_by_after_sales_is_refunded_the_rest_and_flagged_for_no_more(
        app, shop, module_owner):
    """¥10 of ¥60 went back through after-sales before the group failed: the group refunds the
    other ¥50 through the gateway and flags nothing; if that refund then fails, staff are asked
    to pay back ¥50 by hand, not the whole ¥60 (the shopper would get ¥70)."""
    from app.blueprints.payments import refunds
    from app.blueprints.payments.gateways import Notice
    from app.blueprints.payments.models import Refund

    store, sku, activity_id = shop
    code, order_id = _open(store, activity_id, f.member(store))
    _pay(store, order_id)
    wait_for(lambda: _team(store, code) == "open", timeout=120)
    with f.bound(store, request=True):
        refunds.refund_order(None, order_id, f"as-{order_id}-1", amount=1_000, reason="after-sales")
    wait_for(lambda: f.read(store, lambda: refunds.refund_state(f"as-{order_id}-1")) == "succeeded", timeout=120)
    _fail_group(store, code)
    assert _team(store, code) == "failed"
    team_id = _place(store, order_id).team_id
    request_id = f"group-{team_id}-{order_id}"
    _settled(store, request_id)
    amounts = f.read(store, lambda: f.db_session().execute(
        select(Refund.request_id, Refund.amount, Refund.status).join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.order_id == order_id).order_by(Refund.id)).all())
    assert [tuple(r) for r in amounts] == [(f"as-{order_id}-1", 1_000, "succeeded"), (request_id, 5_000, "succeeded")]
    place = _place(store, order_id)
    assert (place.status, place.refund_amount) == ("refunded", 0)
    assert order_id not in f.read(store, lambda: [r["place"].order_id for r in groupbuy.refunds_due()])
    assert f.read(store, lambda: f.db_session().scalar(select(Payment.status).where(Payment.order_id == order_id))) \
        == "refunded"

    with f.bound(store, request=True):     # the gateway reports later that the ¥50 did not go through
        assert refunds.apply_refund_notice(Notice("refund", request_id, "failed", 5_000, "CNY",
                                                  None, "REFUND_CLOSED", utcnow())) == "applied"
    wait_for(lambda: _place(store, order_id).status == "refund_due", timeout=120)
    place = _place(store, order_id)
    assert place.refund_amount == 5_000
    html = module_owner.get(f"/store/{store.slug}/promotions/group-buys/refunds").get_data(as_text=True)
    row = html[html.index(f'data-place="{place.id}"'):]
    row = row[:row.index("</tr>")]
    assert "¥50.00" in row and "¥60.00" not in row


def test_a_failed_group_with_nothing_left_to_refund_asks_the_gateway_for_nothing(app, shop):
    """After-sales refunded the whole order before the group failed: no refund, nothing flagged."""
    from app.blueprints.payments import refunds
    from app.blueprints.payments.models import Refund

    store, sku, activity_id = shop
    code, order_id = _open(store, activity_id, f.member(store))
    _pay(store, order_id)
    wait_for(lambda: _team(store, code) == "open", timeout=120)
    with f.bound(store, request=True):
        refunds.refund_order(None, order_id, f"as-{order_id}-all", amount=6_000, reason="after-sales")
    wait_for(lambda: f.read(store, lambda: refunds.refund_state(f"as-{order_id}-all")) == "succeeded", timeout=120)
    _fail_group(store, code)
    assert _team(store, code) == "failed"
    assert _place(store, order_id).status == "refunded"
    assert f.count(store, Refund, Refund.request_id.like("group-%"),
                   Refund.payment_id.in_(select(Payment.id).where(Payment.order_id == order_id))) == 0


def test_a_gateway_refund_that_goes_through_after_a_refund_by_hand_flags_the_payment(app, shop, module_owner):
    """The gateway refused a failed group's refund, staff paid the shopper back by hand, then the
    gateway says the refund went through after all: the shopper has been paid twice, so the
    payment is flagged for staff (not silently kept), and a later "failed" from the gateway does
    not ask staff to pay back a third time."""
    from app.blueprints.payments import refunds
    from app.blueprints.payments.gateways import Notice

    store, sku, activity_id = shop
    code, order_id = _open(store, activity_id, f.member(store))
    _pay(store, order_id)
    wait_for(lambda: _team(store, code) == "open", timeout=120)
    _fail_group(store, code)
    request_id = f"group-{_place(store, order_id).team_id}-{order_id}"
    _settled(store, request_id)

    def notice(status):
        with f.bound(store, request=True):
            assert refunds.apply_refund_notice(Notice("refund", request_id, status, 6_000, "CNY", None,
                                                      "REFUND_" + status.upper(), utcnow())) == "applied"

    def flagged():
        return f.read(store, lambda: f.db_session().scalar(select(Payment.flagged).where(Payment.order_id == order_id)))

    notice("failed")
    wait_for(lambda: _place(store, order_id).status == "refund_due", timeout=120)
    place = _place(store, order_id)
    with f.bound(store, request=True):
        groupbuy.record_manual_refund(None, place.id, "ABC-778")
    before = flagged()
    notice("succeeded")                       # the gateway's refund went through as well
    wait_for(lambda: "paid back twice" in (flagged() or ""), timeout=120)
    assert before is None or "paid back twice" not in before
    assert request_id in flagged() and "ABC-778" in flagged()
    place = _place(store, order_id)
    assert (place.status, place.refund_code) == ("refunded", "refunded_by_hand")
    html = module_owner.get(f"/store/{store.slug}/payments/?flagged=1").get_data(as_text=True)
    assert "paid back twice" in html

    notice("failed")                          # and then not after all: the hand refund stands
    wait_for(lambda: f.read(store, lambda: refunds.refund_state(request_id)) == "failed", timeout=120)
    wait_for(lambda: f.count(store, OutboxEvent, OutboxEvent.topic == "refund.failed",
                             OutboxEvent.status != "delivered") == 0, timeout=120)   # every handler ran
    place = _place(store, order_id)
    assert (place.status, place.refund_code) == ("refunded", "refunded_by_hand")
    assert order_id not in f.read(store, lambda: [r["place"].order_id for r in groupbuy.refunds_due()])


def test_the_reason_for_a_refund_by_hand_is_in_the_readers_language_and_old_rows_still_show(app, shop):
    """The reason is kept as a code with its values and put in words when the page is shown: the
    job that failed the group wrote no language into it. A row written before codes were kept
    shows the sentence it was stored with."""
    from app.blueprints.orders import services as orders

    store, sku, activity_id = shop
    code, order_id = _open(store, activity_id, f.member(store))
    with f.bound(store, request=True) as session:
        orders.mark_paid(None, session.get(Order, order_id), "BANK-9", offline=True)
    wait_for(lambda: _team(store, code) == "open", timeout=60)
    _fail_group(store, code)
    place_id = _place(store, order_id).id
    url = f"/store/{store.slug}/promotions/group-buys/refunds"

    def row(client):
        html = client.get(url).get_data(as_text=True)
        part = html[html.index(f'data-place="{place_id}"'):]
        return part[:part.index("</tr>")]

    english, chinese = f.staff_client(store, permissions=["promotions.view"]), \
        f.staff_client(store, permissions=["promotions.view"])
    chinese.form(f"/store/{store.slug}/account/locale", {"locale": "zh_CN", "next": url})
    assert "This order was not paid through a payment gateway: refund it by hand." in row(english)
    assert "此订单未通过支付渠道付款：请人工退款。" in row(chinese)
    assert "paid_offline" not in row(english) + row(chinese)
    with f.bound(store) as session:           # a row from before: only its sentence
        old = session.get(GroupMember, place_id)
        old.refund_code, old.refund_params, old.refund_note = None, None, "线下付款：请手工退款"
    assert "线下付款：请手工退款" in row(english) and "线下付款：请手工退款" in row(chinese)

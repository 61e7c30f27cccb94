"""The ledger: the database refuses unbalanced entries, changes and deletes; postings from
payments, shipments, refunds and receipts are balanced, posted once however often an event
arrives, and a failed refund is reversed exactly; COGS is the moving-average cost at shipment."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from app.blueprints.dispatch import services as dispatch
from app.blueprints.finance import handlers, services
from app.blueprints.finance.models import Account, Entry, Line, SkuCost
from app.core import outbox
from tests import factories as f
from tests.finance.conftest import balances, deliver, entries, legs, settle


def _ids(session, *codes):
    return dict(session.execute(select(Account.code, Account.id).where(Account.code.in_(codes))).all())


def test_a_new_store_has_the_preset_chart_in_both_languages(module_store):
    with f.bound(module_store) as session:
        bank = session.scalar(select(Account).where(Account.code == "1002"))
        assert (bank.name_zh, bank.name_en, bank.type, bank.preset) == ("银行存款", "Bank deposits", "asset", True)
        assert session.scalar(select(Account).where(Account.code == "1122")).name_zh == "应收账款—支付渠道"


def test_the_database_refuses_an_unbalanced_entry(module_store):
    with pytest.raises(DBAPIError, match="does not balance"):
        with f.bound(module_store) as session:
            ids = _ids(session, "1002", "6001")
            entry = Entry(posted_on=services.today(), source_kind="manual", source_id="1", rule="test",
                          currency="CNY")
            session.add(entry)
            session.flush()
            session.add_all([Line(entry_id=entry.id, account_id=ids["1002"], posted_on=entry.posted_on, debit=100),
                             Line(entry_id=entry.id, account_id=ids["6001"], posted_on=entry.posted_on, credit=90)])
    with pytest.raises(DBAPIError, match="does not balance"):       # an entry without lines
        with f.bound(module_store) as session:
            session.add(Entry(posted_on=services.today(), source_kind="manual", source_id="2", rule="test",
                              currency="CNY"))
    assert not entries(module_store, rule="test")


def test_posted_entries_never_change_and_are_never_deleted(module_store):
    with f.bound(module_store, request=True):
        entry = services.post("manual", 3, [services.dr("1002", 500), services.cr("3001", 500)], rule="capital")
        line_id, entry_id = entry.lines[0].id, entry.id
    for change in (lambda s: s.get(Line, line_id).__setattr__("debit", 1),
                   lambda s: s.delete(s.get(Line, line_id)),
                   lambda s: s.get(Entry, entry_id).__setattr__("memo", "edited")):
        with pytest.raises(DBAPIError, match="never changed"):
            with f.bound(module_store) as session:
                change(session)
                session.flush()
    with pytest.raises(services.Unbalanced):
        with f.bound(module_store, request=True):
            services.post("manual", 4, [services.dr("1002", 500), services.cr("3001", 400)], rule="capital")


def test_a_day_of_trading_posts_once_per_event_with_cogs_at_the_average_of_that_moment(store):
    product = f.product(store, price=1000, cost=100, stock=30)
    sku = product.skus[0]
    for event_id, (quantity, unit) in enumerate([(10, 300), (10, 500)], start=1):      # average 400 on 20 units
        deliver(store, handlers.post_inbound, "inbound.completed", {
            "inbound_id": event_id, "number": f"IN{event_id}", "kind": "purchase", "warehouse_id": 1,
            "purchase_order_id": None, "supplier_id": 7, "completed_at": "2026-12-02T01:00:00+00:00",
            "lines": [{"sku_id": sku.id, "quantity": quantity, "unit_cost": unit}], "currency": "CNY"},
            event_id=10**11 + event_id)
    order = f.order(store, lines=[(sku, 2)])
    payment = f.payment(store, order)
    notice = f.notice(store, order)
    with f.bound(store, request=True) as session:
        from app.blueprints.dispatch.models import DeliveryNotice

        dispatch.ship(None, session.get(DeliveryNotice, notice.id), "shunfeng", "SF1234567890123", 800)
    settle(store)
    settle(store)                                                         # redelivered: nothing more
    [paid] = entries(store, rule="payment")
    assert legs(paid) == [("1122", 2000, 0), ("2203", 0, 2000)] and paid.source_id == str(payment.id)
    [shipped] = entries(store, rule="shipment")
    assert legs(shipped) == [("1405", 0, 800), ("2203", 2000, 0), ("6001", 0, 2000), ("6401", 800, 0)]
    with f.bound(store) as session:
        cost = session.get(SkuCost, sku.id)
        assert (cost.quantity, cost.value) == (18, 7200)
    # the handler itself, given the same event again, posts nothing new
    with f.bound(store) as session:
        event_id = session.scalar(select(outbox.OutboxEvent.id).where(outbox.OutboxEvent.topic == "parcel.shipped"))
        row = session.get(outbox.OutboxEvent, event_id)
        event = outbox.Event(row.id, row.topic, dict(row.payload), row.created_at)
    with f.bound(store, request=True):
        handlers.post_parcel(event)
    assert len(entries(store, rule="shipment")) == 1

    refund = f.refund(store, payment, amount=500)                         # after shipment: a sales return
    succeeded = deliver(store, handlers.post_refund, "refund.succeeded", {"refund_id": refund.id, "amount": 500})
    deliver(store, handlers.post_refund, "refund.succeeded", {"refund_id": refund.id}, event_id=succeeded.id)
    [booked] = entries(store, rule="refund")
    assert legs(booked) == [("1122", 0, 500), ("6001.02", 500, 0)]
    failed = deliver(store, handlers.reverse_failed_refund, "refund.failed", {"refund_id": refund.id, "from": "succeeded"})
    deliver(store, handlers.reverse_failed_refund, "refund.failed", {"refund_id": refund.id, "from": "succeeded"},
            event_id=failed.id)
    [reversal] = entries(store, rule="refund_failed")
    assert reversal.reverses_id == booked.id
    assert legs(reversal) == [("1122", 500, 0), ("6001.02", 0, 500)]

    deliver(store, handlers.post_inbound, "inbound.completed", {          # the shopper sends one back
        "inbound_id": 99, "number": "IN99", "kind": "return", "warehouse_id": 1, "lines": [
            {"sku_id": sku.id, "quantity": 1, "unit_cost": None}], "currency": "CNY"})
    assert legs(entries(store, rule="inbound")[-1]) == [("1405", 400, 0), ("6401", 0, 400)]

    totals = balances(store)
    assert sum(totals.values()) == 0
    assert totals["1122"] == 2000 and totals["2203"] == 0 and totals["6401"] == 400
    with f.bound(store) as session:
        assert totals["1405"] == sum(session.scalars(select(SkuCost.value)))


def test_a_refund_before_shipment_gives_back_the_advance(module_store):
    order = f.order(module_store, price=1500)
    payment = f.payment(module_store, order)
    refund = f.refund(module_store, payment, amount=600)
    settle(module_store)
    deliver(module_store, handlers.post_refund, "refund.succeeded", {"refund_id": refund.id})
    [booked] = [e for e in entries(module_store, rule="refund") if e.source_id == str(refund.id)]
    assert legs(booked) == [("1122", 0, 600), ("2203", 600, 0)]


def test_a_posting_looks_up_once_whether_its_event_was_posted(module_store):
    from unittest import mock

    from sqlalchemy import event as sa_event

    from app.extensions import db

    lookups = []

    def spy(_conn, _cursor, statement, *_args):
        if "fin_entries.event_id =" in statement and "fin_entries.rule =" in statement:
            lookups.append(statement)
    payment = {"id": 7_000_001, "number": "P-LOOKUP", "order_id": 7_000_001, "amount": 1234, "gateway": "sandbox",
               "currency": "CNY", "paid_at": None}
    with mock.patch.object(handlers.payment_queries, "payment_snapshot", lambda pid: payment):
        with f.bound(module_store):
            sa_event.listen(db.engine, "before_cursor_execute", spy)
        try:
            first = deliver(module_store, handlers.post_payment, "payment.succeeded",
                            {"payment_id": payment["id"], "from": "pending"})
            assert len(lookups) == 1
            deliver(module_store, handlers.post_payment, "payment.succeeded",
                    {"payment_id": payment["id"], "from": "pending"}, event_id=first.id)
            assert len(lookups) == 2                     # the redelivery: one lookup, nothing posted
        finally:
            with f.bound(module_store):
                sa_event.remove(db.engine, "before_cursor_execute", spy)
    assert len(entries(module_store, event_id=first.id)) == 1

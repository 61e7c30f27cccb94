"""Reconciliation: each kind of difference found, staff resolve with a note, a run again keeps
what was resolved; Alipay's bill and Stripe's balance transactions are read too."""
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.blueprints.orders.models import Order
from app.blueprints.payments import reconcile, refunds, services
from app.blueprints.payments.gateways import Notice
from app.blueprints.payments.models import Payment, ReconciliationItem, ReconciliationRun, Refund, SandboxTrade
from app.blueprints.platform.models import Store
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.orders.test_orders import _place, _shop
from tests.payments.test_alipay import _alipay_payment, _alipay_store
from tests.payments.test_stripe import stripe_paid
from tests.support.fake_gateways import bill_row


def _today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _sandbox_paid(app, store, price, book=True, booked_amount=None, notify=True) -> str:
    """A sandbox payment; the gateway books it (or not), we hear of it (or not)."""
    (sku,), _wh = _shop(app, store, price=price)
    order_id = _place(app, store, [(sku, 1)])
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        payment = services.start_payment(db.session.get(Order, order_id))
        db.session.flush()
        if book:
            db.session.add(SandboxTrade(kind="payment", reference=payment.number, trade_no=f"SBX{payment.id}",
                                        amount=booked_amount or payment.amount, currency="CNY", status="TRADE_SUCCESS"))
        if notify:
            services.apply_payment_notice(Notice("payment", payment.number, "succeeded", payment.amount, "CNY",
                                                 f"SBX{payment.id}"), "sandbox")
        db.session.commit()
        return payment.number


def test_each_kind_of_difference_is_filed_and_resolved_by_staff(app, owner, store):
    matched = _sandbox_paid(app, store, 1000)
    twice = _sandbox_paid(app, store, 1500)
    ours_only = _sandbox_paid(app, store, 2000, book=False)
    gateway_only = _sandbox_paid(app, store, 3000, notify=False)
    differs = _sandbox_paid(app, store, 4000, booked_amount=3999)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        payment = db.session.scalar(select(Payment).where(Payment.number == matched))
        db.session.add(SandboxTrade(kind="payment", reference=twice, trade_no="SBX-again", amount=1500,
                                    currency="CNY", status="TRADE_SUCCESS"))   # the gateway took it twice
        item = refunds.refund(None, payment, "recon-r1", 300)
        refunds.send(item.id)                     # the sandbox books the refund and answers at once
        db.session.commit()
        run = reconcile.run("sandbox", _today())
        db.session.commit()
        found = {(i.kind, i.record, i.reference) for i in db.session.scalars(select(ReconciliationItem))}
        run_id = run.id
        assert found == {("missing_gateway", "payment", ours_only), ("missing_ours", "payment", gateway_only),
                         ("amount_mismatch", "payment", differs), ("missing_ours", "payment", twice)}
        # agreeing: P1, its refund and the first row of `twice`
        assert (run.statement_rows, run.matched, run.differences) == (6, 3, 4)
    page = owner.get(f"/store/{store.slug}/payments/reconciliation/{run_id}").get_data(as_text=True)
    assert page.count('data-kind="') == 4 and "Missing on our side" in page
    item_id = _get(app, store, lambda: db.session.scalar(select(ReconciliationItem.id).where(
        ReconciliationItem.kind == "missing_ours", ReconciliationItem.reference == gateway_only)))
    resolve = f"/store/{store.slug}/payments/reconciliation/{run_id}/items/{item_id}/resolve"
    owner.form(resolve, {"note": "  "})
    assert _get(app, store, lambda: db.session.get(ReconciliationItem, item_id).resolved_at) is None
    owner.form(resolve, {"note": "查询渠道后补记为已支付"})
    assert _get(app, store, lambda: db.session.get(ReconciliationItem, item_id).resolved_by) == store.owner_email
    # running the day again recomputes the open ones and keeps the resolved one once
    owner.form(f"/store/{store.slug}/payments/reconciliation/run", {"gateway": "sandbox", "day": _today().isoformat()})
    rows = _get(app, store, lambda: db.session.scalars(select(ReconciliationItem.kind)).all())
    assert sorted(rows) == ["amount_mismatch", "missing_gateway", "missing_ours", "missing_ours"]
    summary = owner.get(f"/store/{store.slug}/payments/reconciliation?open=1").get_data(as_text=True)
    assert _today().isoformat() in summary and "<svg" in summary
    assert owner.get(f"/store/{store.slug}/payments/reconciliation?export=csv").get_data(as_text=True).count("\n") == 2


def test_alipay_bill_is_matched(app, client, store, fake_gateways):
    alipay, _stripe = fake_gateways
    app_id, _public = _alipay_store(app, store, alipay)
    _order, paid, _a = _alipay_payment(app, store, price=1888)
    _order2, unheard, _b = _alipay_payment(app, store, price=999)
    client.post(f"/pay/{store.slug}/notify/alipay", data=alipay.notification(
        app_id, out_trade_no=paid, trade_no="2026B1", trade_status="TRADE_SUCCESS", total_amount="18.88"))
    day = _today().isoformat()
    alipay.bills[(app_id, day)] = [bill_row("2026B1", paid, "交易", "18.88"), bill_row("2026B2", unheard, "交易", "9.99"),
                         bill_row("2026B1", paid, "退款", "-5.00", "refund-nobody-asked")]
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        run = reconcile.run("alipay", _today())
        db.session.commit()
        found = {(i.kind, i.record, i.reference, i.gateway_amount) for i in db.session.scalars(select(ReconciliationItem))}
        assert run.status == "done" and run.matched == 1
    assert found == {("missing_ours", "payment", unheard, 999), ("missing_ours", "refund", "refund-nobody-asked", 500)}


def test_stripe_balance_transactions_are_matched(app, client, store, fake_gateways):
    _alipay, fake = fake_gateways
    _secret, intent = stripe_paid(app, client, store, fake, 2500)
    now = int(time.time())
    fake.balance[:] = [
        {"id": "txn_1", "object": "balance_transaction", "type": "charge", "amount": 2500, "currency": "cny",
         "created": now, "source": {"id": "ch_1", "object": "charge", "payment_intent": intent["id"]}},
        {"id": "txn_2", "object": "balance_transaction", "type": "refund", "amount": -700, "currency": "cny",
         "created": now, "source": {"id": "re_x", "object": "refund", "metadata": {}}},
    ]
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        run = reconcile.run("stripe", _today())
        db.session.commit()
        found = {(i.kind, i.record, i.reference) for i in db.session.scalars(select(ReconciliationItem))}
        assert run.matched == 1 and found == {("missing_ours", "refund", "re_x")}


def test_a_missing_statement_fails_the_run_unless_the_day_was_quiet(app, client, store, fake_gateways):
    alipay, _stripe = fake_gateways
    app_id, _public = _alipay_store(app, store, alipay)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        quiet = reconcile.run("alipay", _today())           # no bill and nothing of ours: nothing to do
        db.session.commit()
        assert quiet.status == "done" and quiet.statement_rows == 0
    _order, number, _a = _alipay_payment(app, store, price=700)
    client.post(f"/pay/{store.slug}/notify/alipay", data=alipay.notification(
        app_id, out_trade_no=number, trade_no="2026F1", trade_status="TRADE_SUCCESS", total_amount="7.00"))
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        run = reconcile.run("alipay", _today())             # the bill is not out yet: try again later
        db.session.commit()
        assert run.status == "failed" and "not ready" in run.error
        del alipay.apps[app_id]                             # the gateway no longer accepts our signature
        run = reconcile.run("alipay", _today())
        db.session.commit()
        assert run.status == "failed" and "isv.invalid-signature" in run.error


def test_the_daily_job_waits_for_the_statements_and_does_a_day_once(app, store):
    from datetime import timedelta, timezone

    _sandbox_paid(app, store, 500)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        today = _today()
        beijing_early = datetime.combine(today + timedelta(days=1), datetime.min.time(),
                                         tzinfo=ZoneInfo("Asia/Shanghai")).replace(hour=3)
        assert reconcile.run_due(beijing_early.astimezone(timezone.utc)) == 0     # before the cut-off
        assert db.session.scalar(select(ReconciliationRun)) is None
        reconcile.run_due(beijing_early.replace(hour=11).astimezone(timezone.utc))
        db.session.commit()
        runs = db.session.scalars(select(ReconciliationRun)).all()
        assert [(r.gateway, r.day, r.status, r.matched) for r in runs] == [("sandbox", today, "done", 1)]
        reconcile.run_due(beijing_early.replace(hour=12).astimezone(timezone.utc))   # done: not again
        assert db.session.scalar(select(ReconciliationRun.started_at)) == runs[0].started_at


def test_late_payment_is_refunded_automatically_when_the_store_says_so(app, client, owner, store):
    from tests.payments.test_sandbox import _fields, _payment

    owner.form(f"/store/{store.slug}/payments/options", {"late_payment": "refund"})
    (sku,), _wh = _shop(app, store, price=1600)
    order_id = _place(app, store, [(sku, 1)])
    number, amount = _payment(app, store, order_id)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        from app.blueprints.orders import services as orders

        orders.cancel_order(None, db.session.get(Order, order_id), "test")
        db.session.commit()
    client.post(f"/pay/{store.slug}/notify/sandbox", data=_fields(app, store, number, amount))
    from tests.conftest import wait_for

    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "succeeded")
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "refunded"
    assert "refunded automatically" in _get(app, store, lambda: db.session.scalar(select(Payment.flagged)))
    assert _get(app, store, lambda: db.session.get(Order, order_id).status) == "cancelled"


def test_a_payment_is_reconciled_on_the_gateways_day_not_the_day_we_heard_of_it(app, client, store, fake_gateways):
    from datetime import timedelta

    alipay, _stripe = fake_gateways
    app_id, _public = _alipay_store(app, store, alipay)
    _order, number, _a = _alipay_payment(app, store, price=5200)
    yesterday = _today() - timedelta(days=1)
    client.post(f"/pay/{store.slug}/notify/alipay", data=alipay.notification(
        app_id, out_trade_no=number, trade_no="2026M1", trade_status="TRADE_SUCCESS", total_amount="52.00",
        gmt_payment=f"{yesterday.isoformat()} 23:59:58"))              # paid before midnight, heard of after
    alipay.bills[(app_id, yesterday.isoformat())] = [bill_row("2026M1", number, "交易", "52.00")]
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        on_its_day = reconcile.run("alipay", yesterday)
        today = reconcile.run("alipay", _today())
        db.session.commit()
        assert (on_its_day.matched, on_its_day.differences) == (1, 0)
        assert (today.status, today.differences) == ("done", 0)


def test_a_gateway_switched_off_is_still_reconciled_for_days_it_took_money(app, owner, store):
    from datetime import timedelta, timezone

    _sandbox_paid(app, store, 900)
    owner.form(f"/store/{store.slug}/payments/gateways/sandbox", {})            # switched off
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        from app.blueprints.payments import accounts

        assert "sandbox" not in accounts.enabled_gateways()
        next_morning = datetime.combine(_today() + timedelta(days=1), datetime.min.time(),
                                        tzinfo=ZoneInfo("Asia/Shanghai")).replace(hour=11)
        reconcile.run_due(next_morning.astimezone(timezone.utc))
        db.session.commit()
        assert [(r.gateway, r.matched) for r in db.session.scalars(select(ReconciliationRun))] == [("sandbox", 1)]


def test_a_refund_is_reconciled_on_the_gateways_day(app, client, store, fake_gateways):
    from datetime import timedelta

    from app.blueprints.payments.gateways import Notice

    alipay, _stripe = fake_gateways
    app_id, _public = _alipay_store(app, store, alipay)
    _order, number, _a = _alipay_payment(app, store, price=4000)
    yesterday = _today() - timedelta(days=1)
    client.post(f"/pay/{store.slug}/notify/alipay", data=alipay.notification(
        app_id, out_trade_no=number, trade_no="2026N1", trade_status="TRADE_SUCCESS", total_amount="40.00",
        gmt_payment=f"{yesterday.isoformat()} 10:00:00"))
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        item = refunds.refund(None, db.session.scalar(select(Payment)), f"n-{number}", 1000)
        db.session.flush()
        # the gateway refunded it at 23:59:59 yesterday; we heard today
        refunds.apply_refund_notice(Notice("refund", item.request_id, "succeeded", 1000, "CNY", None, "REFUND_SUCCESS",
                                           datetime.combine(yesterday, datetime.max.time().replace(microsecond=0),
                                                            tzinfo=ZoneInfo("Asia/Shanghai"))))
        db.session.commit()
    alipay.bills[(app_id, yesterday.isoformat())] = [bill_row("2026N1", number, "交易", "40.00"),
                                                     bill_row("2026N1", number, "退款", "-10.00", f"n-{number}")]
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        run = reconcile.run("alipay", yesterday)
        db.session.commit()
        assert (run.matched, run.differences) == (2, 0)

"""Gateway fees: each gateway's statement carries its fee (Alipay's 服务费, WeChat's 手续费,
Stripe's balance-transaction fee, the sandbox's 0.6 %); the payment center keeps the day's fees
with its reconciliation run, and finance posts them once per run as Dr 销售费用—支付手续费 /
Cr the gateway's receivable, a corrected statement posting only the change. The receivables
page compares the ledger with the statement net of its fees."""
from sqlalchemy import select

from app.blueprints.finance import services
from app.blueprints.payments import reconcile, refunds
from app.blueprints.payments.gateways import alipay, sandbox, wechat
from app.blueprints.payments.models import Payment, SandboxTrade
from tests import factories as f
from tests.finance.conftest import balances, entries, legs, settle
from tests.support import fake_gateways, fake_wechatpay


def test_each_gateways_statement_carries_its_fee():
    header = "#支付宝业务明细查询\n"
    rows = [fake_gateways.bill_row("2026A", "P1", "交易", "100.00", fee="-0.60"),
            fake_gateways.bill_row("2026A", "P1", "退款", "-40.00", "R1", fee="0.24")]
    parsed = alipay.parse_bill(header + "\n".join(",".join(r) for r in rows))
    assert [(r.kind, r.amount, r.fee) for r in parsed] == [("payment", 10000, 60), ("refund", 4000, 24)]
    bill = fake_wechatpay.FakeWeChatPay.bill_text([
        fake_wechatpay.bill_row("2026-12-01", "1900", "4200A", "P2", "SUCCESS", "50.00", fee="0.30"),
        fake_wechatpay.bill_row("2026-12-01", "1900", "4200A", "P2", "REFUND", "50.00", "5030R", "R2", "10.00",
                                fee="-0.06")])
    assert [(r.kind, r.amount, r.fee) for r in wechat.parse_bill(bill)] == [("payment", 5000, 30), ("refund", 1000, 6)]
    assert (sandbox.fee_of(10000), sandbox.fee_of(2000), sandbox.fee_of(83), sandbox.fee_of(84)) == (60, 12, 0, 1)


def _booked(store, payment) -> None:
    """The sandbox gateway books the payment the factory made (as its cashier would have)."""
    with f.bound(store) as session:
        p = session.get(Payment, payment.id)
        session.add(SandboxTrade(kind="payment", reference=p.number, trade_no=p.gateway_trade_no, amount=p.amount,
                                 currency="CNY", status="TRADE_SUCCESS"))


def test_a_reconciled_days_fees_are_posted_once_and_a_corrected_statement_posts_the_change(store, owner):
    first = f.payment(store, f.order(store, price=10000))
    second = f.payment(store, f.order(store, price=5000))
    _booked(store, first)
    _booked(store, second)
    with f.bound(store, request=True) as session:
        item = refunds.refund(None, session.get(Payment, first.id), "fee-r1", 2000)
        refunds.send(item.id)                       # the sandbox books the refund and gives its fee back
        day = services.today()
        run = reconcile.run("sandbox", day)
        assert (run.status, run.differences, run.gateway_total) == ("done", 0, 13000)
        assert run.fee_total == 60 + 30 - 12
        run_id = run.id
    settle(store)
    settle(store)                                   # redelivered: posted once
    (fees,) = entries(store, rule="gateway_fee")
    assert legs(fees) == [("1122", 0, 78), ("6601", 78, 0)]
    assert fees.posted_on == day and fees.source_id == str(run_id)
    assert {line.party for line in fees.lines} == {"sandbox"}
    assert balances(store)["1122"] == 13000 - 78
    page = owner.get(f"/store/{store.slug}/finance/receivables").get_data(as_text=True)
    assert page.count('data-differs="no"') == 1 and 'data-differs="yes"' not in page and 'data-fees="78"' in page
    run_page = owner.get(f"/store/{store.slug}/payments/reconciliation/{run_id}").get_data(as_text=True)
    assert 'data-fees="78"' in run_page

    # the statement is corrected (a trade it had missed) and the day is reconciled again
    third = f.payment(store, f.order(store, price=3000))
    _booked(store, third)
    with f.bound(store, request=True):
        assert reconcile.run("sandbox", day).fee_total == 78 + 18
    settle(store)
    assert sorted(sum(l.debit for l in e.lines if l.account.code == "6601") for e in entries(
        store, rule="gateway_fee")) == [18, 78]
    assert balances(store)["6601"] == 96
    with f.bound(store, request=True):             # the same statement once more: nothing new
        reconcile.run("sandbox", day)
    settle(store)
    assert len(entries(store, rule="gateway_fee")) == 2


def test_a_journal_entry_of_fees_links_to_its_reconciliation_run(store, owner):
    payment = f.payment(store, f.order(store, price=2000))
    _booked(store, payment)
    with f.bound(store, request=True):
        run_id = reconcile.run("sandbox", services.today()).id
    settle(store)
    (fees,) = entries(store, rule="gateway_fee")
    page = owner.get(f"/store/{store.slug}/finance/entries/{fees.id}").get_data(as_text=True)
    assert f"/payments/reconciliation/{run_id}" in page
    with f.bound(store) as session:
        assert session.scalar(select(SandboxTrade.id).where(SandboxTrade.reference == payment.number))

"""Payment notifications and reconciliation.

- sandbox notifications through the full WSGI stack (signature, lock, state, outbox event,
  commit, plain `success`): first copies and duplicate copies, latency per notification;
- Alipay RSA2 verification of a notification (the CPU part of an Alipay notify);
- reconciling a day of N payments against the sandbox statement.

    python -m bench.payments [N]
"""
from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

os.environ.setdefault("SANDBOX_GATEWAY", "1")

from bench.common import bench_app, cleanup, store_with_stock, summary  # noqa: E402


def _setup(app, n: int):
    from app.blueprints.orders import services as orders
    from app.blueprints.payments import services as payments
    from app.core.tenancy import store_context
    from app.extensions import db

    bound, (sku_id,), _warehouses = store_with_stock(app, "pay")
    with app.test_request_context(), store_context(bound):
        numbers = []
        for _ in range(n):
            order = orders.place_order([orders.LineRequest(sku_id, 1)],
                                       {"name": "b", "phone": "1", "city": "c", "street": "s"}, shopper={"name": "b"})
            numbers.append((payments.start_payment(order).number, order.payable))
            db.session.commit()
    return bound, numbers


def _notifications(app, bound, numbers):
    from app.blueprints.payments.gateways import sandbox

    client = app.test_client()
    url = f"/pay/{bound.slug}/notify/sandbox"
    with app.app_context():
        key = sandbox.secret(bound.id)
    forms = []
    for i, (number, amount) in enumerate(numbers):
        fields = {"notify_type": "trade_status_sync", "out_trade_no": number, "trade_no": f"B{i}",
                  "total_amount": str(amount), "currency": "CNY", "trade_status": "TRADE_SUCCESS"}
        fields["sign"] = sandbox.sign(fields, key)
        forms.append(fields)
    results = {}
    for label in ("first copies", "duplicate copies"):
        times, started = [], time.monotonic()
        for fields in forms:
            t = time.perf_counter()
            answer = client.post(url, data=fields)
            times.append(time.perf_counter() - t)
            assert answer.get_data(as_text=True) == "success", answer.get_data(as_text=True)
        results[label] = (len(forms) / (time.monotonic() - started), times)
    return results


def _rsa(n: int = 500) -> float:
    from tests.support.fake_gateways import FakeAlipay
    from app.blueprints.payments.gateways.alipay import rsa2_verify, signing_string

    fake = FakeAlipay()
    form = fake.notification("2021000000000001", out_trade_no="P1-000000001", trade_no="2026", total_amount="10.00",
                             trade_status="TRADE_SUCCESS")
    started = time.monotonic()
    for _ in range(n):
        assert rsa2_verify(signing_string(form, ("sign", "sign_type")), form["sign"], fake.public_key)
    return n / (time.monotonic() - started)


def _reconcile(app, bound, numbers) -> float:
    from app.blueprints.payments import reconcile
    from app.blueprints.payments.models import SandboxTrade
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.test_request_context(), store_context(bound):
        db.session.add_all(SandboxTrade(kind="payment", reference=number, trade_no=f"B{i}", amount=amount,
                                        currency="CNY", status="TRADE_SUCCESS") for i, (number, amount) in enumerate(numbers))
        db.session.commit()
        started = time.monotonic()
        run = reconcile.run("sandbox", datetime.now(ZoneInfo(bound.timezone)).date())
        db.session.commit()
        elapsed = time.monotonic() - started
        assert run.differences == 0 and run.matched == len(numbers), (run.differences, run.matched)
    return elapsed


def main(n: int = 2000) -> None:
    app, instance = bench_app()
    bound, numbers = _setup(app, n)
    for label, (rate, times) in _notifications(app, bound, numbers).items():
        print(f"sandbox notifications, {label}, one client through WSGI: {rate:.0f}/s; " + summary("latency", times))
    print(f"Alipay RSA2 notification verification (2048-bit): {_rsa():.0f}/s")
    print(f"reconciliation of one day with {n} payments: {_reconcile(app, bound, numbers) * 1000:.0f} ms")
    cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)

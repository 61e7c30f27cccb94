"""WeChat Pay API v3 notifications: verified (platform certificate RSA-SHA256 over the signed
headers and body), decrypted (AES-256-GCM resource) and applied (row lock, state, outbox event,
commit, 204), through the full WSGI stack; first copies and duplicate copies; and the CPU part
alone (verify + decrypt) for comparison.

    python -m bench.wechatpay [N]
"""
from __future__ import annotations

import sys
import time

from bench.common import bench_app, cleanup, store_with_stock, summary


def _setup(app, n: int):
    from cryptography.hazmat.primitives import serialization

    from app.blueprints.orders import services as orders
    from app.blueprints.payments import accounts, services as payments
    from app.blueprints.payments.gateways.wechat import serial_of
    from app.core.tenancy import store_context
    from app.extensions import db
    from tests.support.fake_wechatpay import FakeWeChatPay

    fake = FakeWeChatPay()
    merchant = fake.merchant("1900000109")
    cert = fake.current[1]
    bound, (sku_id,), _warehouses = store_with_stock(app, "wxpay")
    with app.test_request_context(), store_context(bound):
        accounts.save_account(None, "wechat", True, merchant.settings())
        accounts.remember("wechat", certificates_fetched_at=time.time(), platform_certificates={serial_of(cert): {
            "pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
            "expires": cert.not_valid_after_utc.isoformat()}})
        db.session.commit()
        numbers = []
        for _ in range(n):
            order = orders.place_order([orders.LineRequest(sku_id, 1)],
                                       {"name": "b", "phone": "1", "city": "c", "street": "s"}, shopper={"name": "b"})
            numbers.append((payments.start_payment(order, "wechat", "native").number, order.payable))
            db.session.commit()

    def notices():
        """Signed now (WeChat's timestamps are checked against our clock, five minutes either way)."""
        return [fake.notification(merchant.mchid, "TRANSACTION.SUCCESS", {
            "appid": merchant.appid, "out_trade_no": number, "transaction_id": f"4200{i:024d}",
            "trade_type": "NATIVE", "trade_state": "SUCCESS", "success_time": "2026-12-02T10:00:00+08:00",
            "amount": {"total": amount, "payer_total": amount, "currency": "CNY", "payer_currency": "CNY"}})
            for i, (number, amount) in enumerate(numbers)]

    return bound, notices


def _through_wsgi(app, bound, make_notices):
    client = app.test_client()
    url = f"/pay/{bound.slug}/notify/wechat"
    results = {}
    for label in ("first copies", "duplicate copies"):
        notices = make_notices()
        times, started = [], time.monotonic()
        for body, headers in notices:
            t = time.perf_counter()
            answer = client.post(url, data=body, headers=headers)
            times.append(time.perf_counter() - t)
            assert answer.status_code == 204, answer.get_data(as_text=True)
        results[label] = (len(notices) / (time.monotonic() - started), times)
    return results


def _cpu(app, bound, notices, n: int = 500) -> float:
    from app.blueprints.payments import accounts
    from app.core.tenancy import store_context

    with app.test_request_context(), store_context(bound):
        gateway = accounts.gateway("wechat")
        started = time.monotonic()
        for body, headers in (notices * (n // len(notices) + 1))[:n]:
            assert gateway.parse_notification(body, {}, headers)
        return n / (time.monotonic() - started)


def main(n: int = 500) -> None:
    app, instance = bench_app()
    bound, make_notices = _setup(app, n)
    for label, (rate, times) in _through_wsgi(app, bound, make_notices).items():
        print(f"WeChat Pay notifications verified and applied, {label}, one client through WSGI: {rate:.0f}/s; "
              + summary("latency", times))
    print(f"WeChat Pay notification verify + AES-256-GCM decrypt alone (RSA 2048): {_cpu(app, bound, make_notices()):.0f}/s")
    cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)

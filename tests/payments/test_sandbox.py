"""The sandbox gateway: signed notifications applied exactly once, whatever arrives."""
from sqlalchemy import select

from app.blueprints.orders.models import Order, OrderEvent
from app.blueprints.payments import services
from app.blueprints.payments.gateways import sandbox
from app.blueprints.payments.models import Payment, PaymentNotification
from app.blueprints.platform.models import Store
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.orders.test_orders import _place, _shop


def _payment(app, store, order_id) -> tuple[str, int]:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        payment = services.start_payment(db.session.get(Order, order_id))
        db.session.commit()
        return payment.number, payment.amount


def _fields(app, store, number, amount, status="TRADE_SUCCESS", currency="CNY", key=None):
    with app.app_context():
        fields = {"notify_type": "trade_status_sync", "out_trade_no": number, "trade_no": "SBX1", "total_amount": str(amount), "currency": currency,
                  "trade_status": status}
        fields["sign"] = sandbox.sign(fields, key or sandbox.secret(store.id))
    return fields


def _order_status(app, store, order_id):
    return _get(app, store, lambda: db.session.get(Order, order_id).status)


def test_duplicate_and_shuffled_notifications_change_state_once(app, client, store):
    (sku,), _wh = _shop(app, store, price=1990)
    order_id = _place(app, store, [(sku, 1)])
    number, amount = _payment(app, store, order_id)
    notify = f"/pay/{store.slug}/notify/sandbox"
    success = _fields(app, store, number, amount)
    failure = _fields(app, store, number, amount, "TRADE_FAILED")
    answers = [client.post(notify, data=success).get_data(as_text=True) for _ in range(3)]
    answers.append(client.post(notify, data=failure).get_data(as_text=True))   # late and out of order
    assert answers == ["success"] * 4
    wait_for(lambda: _order_status(app, store, order_id) == "paid")
    outcomes = _get(app, store, lambda: db.session.scalars(select(PaymentNotification.outcome)
                                                           .order_by(PaymentNotification.id)).all())
    assert outcomes == ["applied", "duplicate", "duplicate", "duplicate"]
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "succeeded"
    paid_events = _get(app, store, lambda: len(db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order_id, OrderEvent.action == "paid")).all()))
    assert paid_events == 1


def test_bad_signature_and_wrong_amount_change_nothing(app, client, store):
    (sku,), _wh = _shop(app, store, price=1000)
    order_id = _place(app, store, [(sku, 1)])
    number, amount = _payment(app, store, order_id)
    notify = f"/pay/{store.slug}/notify/sandbox"
    forged = _fields(app, store, number, amount, key="not-the-secret")
    assert client.post(notify, data=forged).status_code == 400
    wrong = _fields(app, store, number, amount - 1)
    assert client.post(notify, data=wrong).status_code == 400
    payment = _get(app, store, lambda: (db.session.scalar(select(Payment.status)), db.session.scalar(select(Payment.flagged))))
    assert payment[0] == "pending" and payment[1]
    assert _order_status(app, store, order_id) == "pending_payment"


def test_payment_after_cancellation_is_flagged_for_a_refund(app, client, store):
    (sku,), _wh = _shop(app, store, price=1000)
    order_id = _place(app, store, [(sku, 1)])
    number, amount = _payment(app, store, order_id)
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        from app.blueprints.orders import services as orders
        orders.cancel_order(None, db.session.get(Order, order_id), "test")
        db.session.commit()
    client.post(f"/pay/{store.slug}/notify/sandbox", data=_fields(app, store, number, amount))
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Payment.flagged))))
    assert _order_status(app, store, order_id) == "cancelled"


def shopper_order(app, store, price: int, email: str):
    """A signed-in shopper with one SKU checked out: (shopper client, order page URL)."""
    import re
    from tests.storefront.test_shop import _add_address, _register

    (sku,), _wh = _shop(app, store, price=price)
    shopper = app.test_client()
    _register(shopper, store.slug, email)
    _add_address(shopper, store.slug)
    shopper.form(f"/shop/{store.slug}/cart", {"sku_id": sku, "quantity": 1, "mode": "add"})
    checkout = shopper.get(f"/shop/{store.slug}/checkout").get_data(as_text=True)
    address_id = re.search(r'name="address_id" value="(\d+)"', checkout).group(1)
    return shopper, shopper.form(f"/shop/{store.slug}/checkout", {"address_id": address_id}).headers["Location"]


def test_shopper_pays_on_the_sandbox_page(app, store, owner):
    shopper, order_url = shopper_order(app, store, 2500, f"payer@{store.slug}.cn")
    pay_page = shopper.form(order_url, {"action": "pay"}).headers["Location"]
    assert "¥25.00" in shopper.get(pay_page).get_data(as_text=True)
    shopper.form(pay_page, {"choice": "success"})
    number = order_url.rsplit("/", 1)[1]
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Order.status).where(Order.number == number)))
             == "paid")
    assert "Succeeded" in owner.get(f"/store/{store.slug}/payments/").get_data(as_text=True)


def test_notifications_are_retried_until_the_shop_answers_success(app, store):
    """The sandbox gateway keeps its own books and retries on its schedule (1 s in tests)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from app.blueprints.payments import jobs
    from app.blueprints.payments.models import SandboxTrade

    (sku,), _wh = _shop(app, store, price=700)
    order_id = _place(app, store, [(sku, 1)])
    number, amount = _payment(app, store, order_id)
    seen = []

    class Down(BaseHTTPRequestHandler):      # the shop is down for the first delivery
        def do_POST(self):
            seen.append(self.path)
            self.send_response(502)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Down)
    threading.Thread(target=server.handle_request, daemon=True).start()
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        with app.app_context(), store_context(db.session.get(Store, store.id)):
            trade = SandboxTrade(kind="payment", reference=number, trade_no="SBX-retry", amount=amount,
                                 currency="CNY", status="TRADE_SUCCESS")
            db.session.add(trade)
            db.session.commit()
            trade_id = trade.id
            assert "next try" in jobs.deliver_sandbox_notice(trade_id)
            db.session.commit()
    finally:
        app.config["PUBLIC_URL"] = ""
        server.server_close()
    assert seen == [f"/pay/{store.slug}/notify/sandbox"]
    # the retry (run by the worker, which reaches the app in-process) is answered `success`
    wait_for(lambda: _get(app, store, lambda: db.session.get(SandboxTrade, trade_id).notified_at is not None))
    assert _get(app, store, lambda: db.session.get(SandboxTrade, trade_id).notify_attempts) == 2
    wait_for(lambda: _order_status(app, store, order_id) == "paid")


def test_daily_statement_lists_what_the_gateway_booked(app, client, owner, store):
    (sku,), _wh = _shop(app, store, price=1200)
    order_id = _place(app, store, [(sku, 1)])
    number, amount = _payment(app, store, order_id)
    client.form(f"/sandbox/{store.slug}/pay/{number}", {"choice": "success"})
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    answer = owner.get(f"/store/{store.slug}/payments/sandbox-statement?day={today}")
    assert answer.headers["Content-Type"].startswith("text/csv")
    lines = answer.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("kind,reference,trade_no,amount")
    assert lines[1].startswith(f"payment,{number},") and f",{amount},CNY,TRADE_SUCCESS," in lines[1]
    assert owner.get(f"/store/{store.slug}/payments/sandbox-statement?day=yesterday").status_code == 302


def test_a_second_successful_attempt_is_flagged_as_paid_twice(app, client, store):
    (sku,), _wh = _shop(app, store, price=800)
    order_id = _place(app, store, [(sku, 1)])
    first, amount = _payment(app, store, order_id)
    second, _amount = _payment(app, store, order_id)        # the shopper opened the pay page twice
    notify = f"/pay/{store.slug}/notify/sandbox"
    client.post(notify, data=_fields(app, store, first, amount))
    wait_for(lambda: _order_status(app, store, order_id) == "paid")
    client.post(notify, data=_fields(app, store, second, amount))
    flagged = wait_for(lambda: _get(app, store, lambda: db.session.scalar(
        select(Payment.flagged).where(Payment.number == second))))
    assert "already paid" in flagged
    assert _get(app, store, lambda: db.session.scalar(select(Payment.flagged).where(Payment.number == first))) is None


def test_the_sandbox_page_does_not_take_a_payment_twice(app, client, store):
    from app.blueprints.payments.models import SandboxTrade

    (sku,), _wh = _shop(app, store, price=800)
    number, _amount = _payment(app, store, _place(app, store, [(sku, 1)]))
    for _ in range(2):
        client.form(f"/sandbox/{store.slug}/pay/{number}", {"choice": "success"})
    assert _get(app, store, lambda: len(db.session.scalars(select(SandboxTrade)).all())) == 1


def test_an_abandoned_attempt_is_closed_once_its_order_is_cancelled(app, store):
    from datetime import timedelta

    from sqlalchemy import update

    from app.blueprints.orders import services as orders
    from app.core.db import utcnow

    (sku,), _wh = _shop(app, store, price=800)
    order_id = _place(app, store, [(sku, 1)])
    _payment(app, store, order_id)                            # the payer abandoned the gateway page
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(hours=1)))
        assert services.query_stale() == 0                    # the order still waits: keep asking later
        assert db.session.scalar(select(Payment.status)) == "pending"
        orders.cancel_order(None, db.session.get(Order, order_id), "timeout")
        db.session.execute(update(Payment).values(last_queried_at=None))
        assert services.query_stale() == 1
        db.session.commit()
        assert db.session.scalar(select(Payment.status)) == "closed"

"""The sandbox gateway: signed notifications applied exactly once, whatever arrives."""
from sqlalchemy import select

from app.blueprints.orders.models import Order, OrderEvent
from app.blueprints.payments import sandbox, services
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
        fields = {"out_trade_no": number, "trade_no": "SBX1", "total_amount": str(amount), "currency": currency,
                  "trade_status": status}
        fields["sign"] = sandbox.sign(fields, key or sandbox.secret(store.id))
    return fields


def _order_status(app, store, order_id):
    return _get(app, store, lambda: db.session.get(Order, order_id).status)


def test_duplicate_and_shuffled_notifications_change_state_once(app, client, store):
    (sku,), _wh = _shop(app, store, price=1990)
    order_id = _place(app, store, [(sku, 1)])
    number, amount = _payment(app, store, order_id)
    notify = f"/sandbox/{store.slug}/notify"
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
    notify = f"/sandbox/{store.slug}/notify"
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
    client.post(f"/sandbox/{store.slug}/notify", data=_fields(app, store, number, amount))
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Payment.flagged))))
    assert _order_status(app, store, order_id) == "cancelled"


def test_shopper_pays_on_the_sandbox_page(app, store, owner):
    import re
    from tests.storefront.test_shop import _add_address, _register

    (sku,), _wh = _shop(app, store, price=2500)
    shopper = app.test_client()
    _register(shopper, store.slug, f"payer@{store.slug}.cn")
    _add_address(shopper, store.slug)
    shopper.form(f"/shop/{store.slug}/cart", {"sku_id": sku, "quantity": 1, "mode": "add"})
    checkout = shopper.get(f"/shop/{store.slug}/checkout").get_data(as_text=True)
    address_id = re.search(r'name="address_id" value="(\d+)"', checkout).group(1)
    order_url = shopper.form(f"/shop/{store.slug}/checkout", {"address_id": address_id}).headers["Location"]
    pay_page = shopper.form(order_url, {"action": "pay"}).headers["Location"]
    assert "¥25.00" in shopper.get(pay_page).get_data(as_text=True)
    shopper.form(pay_page, {"choice": "success"})
    number = order_url.rsplit("/", 1)[1]
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Order.status).where(Order.number == number)))
             == "paid")
    assert "Succeeded" in owner.get(f"/store/{store.slug}/payments/").get_data(as_text=True)

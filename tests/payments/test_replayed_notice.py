"""A replayed or late payment notification never reverses a refund."""
from sqlalchemy import select

from app.blueprints.orders.models import Order
from app.blueprints.payments import refunds
from app.blueprints.payments.models import Payment, PaymentEvent, PaymentNotification, Refund
from app.blueprints.platform.models import Store
from app.core.money import to_decimal_text
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.payments.test_alipay import alipay_paid


def test_a_replayed_trade_success_after_a_full_refund_changes_nothing(app, client, store, fake_gateways):
    alipay, _stripe = fake_gateways
    app_id, order_id, number = alipay_paid(app, client, store, alipay, 2000)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        refunds.refund(None, db.session.scalar(select(Payment)), f"full-{number}", 2000)
        db.session.commit()
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "succeeded")
    wait_for(lambda: _get(app, store, lambda: db.session.get(Order, order_id).status) == "closed")

    def state():
        payment = db.session.scalar(select(Payment))
        order = db.session.get(Order, order_id)
        events = db.session.scalar(select(db.func.count(PaymentEvent.id)))
        return payment.status, payment.flagged, order.status, events

    before = _get(app, store, state)
    assert before[0] == "refunded"
    # the attacker (or a slow gateway) posts the original, validly signed TRADE_SUCCESS again
    replay = alipay.notification(app_id, out_trade_no=number, trade_no=f"2026{number}", trade_status="TRADE_SUCCESS",
                                 total_amount=to_decimal_text(2000))
    answer = client.post(f"/pay/{store.slug}/notify/alipay", data=replay)
    assert answer.get_data(as_text=True) == "success"        # acknowledged, so the gateway stops sending it
    assert _get(app, store, state) == before
    kept = _get(app, store, lambda: db.session.scalars(select(PaymentNotification.outcome)
                                                        .order_by(PaymentNotification.id.desc())).first())
    assert kept == "after_refund"                             # kept in the log with what happened

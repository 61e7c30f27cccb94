"""One timeline: StateMachine.move checks, sets, writes the row and emits; an illegal move changes
nothing; the refund machine; migration 0016 carries every old timeline over."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text

from app.blueprints.orders import services as orders
from app.blueprints.orders.models import Order, OrderEvent
from app.blueprints.payments.refunds import REFUND_STATES
from app.blueprints.platform.models import Store
from app.core.errors import IllegalTransition
from app.core.outbox import OutboxEvent
from app.core.schemas import drop_tenant_schema, upgrade_tenant
from app.core.tenancy import store_context
from app.extensions import db
from tests.orders.test_orders import _place, _shop


class Staff:
    realm, id, email = "store", 1, "ops@example.com"


def _counts(order_id):
    return (db.session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order_id)),
            db.session.scalar(select(func.count()).select_from(OutboxEvent)))


def test_move_checks_sets_writes_the_row_and_emits_and_an_illegal_move_changes_nothing(app, store):
    (sku,), _wh = _shop(app, store)
    order_id = _place(app, store, [(sku, 1)])
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        order = db.session.get(Order, order_id)
        before = _counts(order_id)
        with pytest.raises(IllegalTransition) as err:
            orders.ORDER_STATES.move(order, "shipped", Staff(), "too early", tracking="SF1")
        assert "Pending payment" in err.value.message and "Shipped" in err.value.message   # words, not codes
        assert order.status == "pending_payment" and _counts(order_id) == before

        entry = orders.ORDER_STATES.move(order, "cancelled", Staff(), "shopper phoned", channel="phone")
        db.session.commit()
        assert order.status == "cancelled"
        assert (entry.actor_name, entry.action, entry.from_status, entry.to_status, entry.reason, entry.data) == (
            "ops@example.com", "cancelled", "pending_payment", "cancelled", "shopper phoned", {"channel": "phone"})
        assert _counts(order_id) == (before[0] + 1, before[1] + 1)
        event = db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
        assert (event.topic, event.payload["order_id"], event.payload["from"]) == (
            "order.cancelled", order_id, "pending_payment")


def test_timeline_rows_render_in_the_readers_language_with_money_in_its_currency(app, store):
    (sku,), _wh = _shop(app, store, price=10900)
    order_id = _place(app, store, [(sku, 1)])
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        order = db.session.get(Order, order_id)
        orders.mark_paid(None, order, "BANK-9", offline=True)
        orders.record_refund(order, 10900, refund_id=77, request_id="r-77", full=True)
        orders.record_refund(order, 10900, refund_id=77, request_id="r-77", full=True)   # a copy: nothing more
        db.session.commit()
        rows = orders.ORDER_STATES.history(order)
        assert [r.action for r in rows] == ["created", "paid", "refunded", "closed"]
        assert order.status == "closed"
        with force_locale("en"):
            assert rows[2].title("CNY") == "Refunded ¥109.00"
            assert rows[1].change() == ("Pending payment", "Paid") and ("Reference", "BANK-9") in rows[1].details()
            assert rows[0].who == "System" and ("Payable", "¥109.00") in rows[0].details("CNY")
        with force_locale("zh_Hans_CN"):
            assert rows[1].change() == ("待支付", "已支付")
            assert rows[2].title("CNY") == "已退款 ¥109.00"


def test_refunds_have_a_state_machine():
    assert REFUND_STATES.allowed("pending") == {"succeeded", "failed"}
    for current, target in (("succeeded", "pending"), ("failed", "pending"), ("pending", "refunded")):
        with pytest.raises(IllegalTransition):
            REFUND_STATES.check(current, target)


def test_migration_0016_carries_payment_refund_document_and_order_timelines_over(app):
    schema = "store_900016"
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.commit()
        upgrade_tenant(conn, schema, target="0015")
        conn.execute(text(f"SET search_path TO {schema}"))
        conn.execute(text("""
            INSERT INTO orders (id, number, order_type, status, shopper, address, delivery_method, note, currency,
                                goods_total, discount_total, shipping_fee, payable, source, search_text)
                 VALUES (1, 'O1', 'normal', 'closed', '{}', '{}', 'express', '', 'CNY', 10900, 0, 0, 10900, 'api', '');
            INSERT INTO order_events (order_id, at, actor_name, action, from_status, to_status, reason, data)
                 VALUES (1, now(), 'system', 'refunded', 'paid', 'paid', '10900', '{"amount": 10900, "refund_id": 1}');
            INSERT INTO payments (id, number, order_id, amount, currency, gateway, method, status)
                 VALUES (1, 'P1-1', 1, 10900, 'CNY', 'alipay', '', 'refunded');
            INSERT INTO payment_events (payment_id, at, actor_name, from_status, to_status, reason) VALUES
                 (1, now(), 'system', NULL, 'pending', 'alipay attempt started'),
                 (1, now(), 'system', 'pending', 'succeeded', 'alipay: TRADE_SUCCESS 2026112522001400000001'),
                 (1, now(), 'system', 'succeeded', 'refunded', 'refund r-1 succeeded');
            INSERT INTO refunds (id, payment_id, request_id, amount, lines, reason, status, actor_name, finished_at,
                                 failure)
                 VALUES (1, 1, 'r-1', 10900, '{}', 'damaged', 'succeeded', 'cs@example.com', now(), NULL),
                        (2, 1, 'r-2', 100, '{}', '', 'failed', 'system', now(), 'ACQ.REFUND_AMT_EXCEED');
            INSERT INTO warehouses (id, code, name, kind, address, priority, active) VALUES (1, 'W1', 'W', 'own', '', 1, true);
            INSERT INTO stock_documents (id, number, doc_type, kind, status, warehouse_id, reference, note, blind,
                                         created_by_name)
                 VALUES (1, 'IN-000001', 'inbound', 'purchase', 'receiving', 1, '', '', false, 'wh@example.com');
            INSERT INTO audit_log (at, actor_realm, actor_name, action, object_type, object_id, changes) VALUES
                 (now(), 'store', 'wh@example.com', 'inbound.created', 'StockDocument', '1',
                  '{"status": [null, "draft"], "warehouse": [null, "W1"]}'),
                 (now(), 'store', 'wh@example.com', 'inbound.line_added', 'StockDocument', '1',
                  '{"sku": [null, "TS-1"], "quantity": [null, 5]}'),
                 (now(), 'store', 'wh@example.com', 'inbound.receiving', 'StockDocument', '1',
                  '{"status": ["draft", "receiving"]}'),
                 (now(), 'store', 'x@example.com', 'staff.updated', 'StaffMember', '1', '{}');
        """))
        conn.commit()
        upgrade_tenant(conn, schema)
        conn.execute(text(f"SET search_path TO {schema}"))
        payment = conn.execute(text("SELECT action, from_status, to_status, reason, data FROM payment_events "
                                    "ORDER BY id")).all()
        refund = conn.execute(text("SELECT refund_id, action, from_status, to_status, actor_name, reason, data "
                                   "FROM refund_events ORDER BY refund_id, id")).all()
        document = conn.execute(text("SELECT document_id, actor_name, action, from_status, to_status, data "
                                     "FROM stock_document_events ORDER BY id")).all()
        order = conn.execute(text("SELECT action, reason, data->>'amount' FROM order_events")).all()
        conn.rollback()
        with conn.begin():
            drop_tenant_schema(conn, schema)
    assert payment == [
        ("created", None, "pending", "", {}),
        ("succeeded", "pending", "succeeded", "", {"gateway_status": "TRADE_SUCCESS",
                                                   "trade_no": "2026112522001400000001"}),
        ("refund_succeeded", "succeeded", "refunded", "", {"refund": "r-1"})]
    assert refund == [
        (1, "created", None, "pending", "cs@example.com", "damaged", {"amount": 10900, "currency": "CNY"}),
        (1, "succeeded", "pending", "succeeded", "system", "", {}),
        (2, "created", None, "pending", "system", "", {"amount": 100, "currency": "CNY"}),
        (2, "failed", "pending", "failed", "system", "", {"gateway_status": "ACQ.REFUND_AMT_EXCEED"})]
    assert document == [
        (1, "wh@example.com", "created", None, "draft", {"warehouse": "W1"}),
        (1, "wh@example.com", "line_added", "receiving", "receiving", {"sku": "TS-1", "quantity": 5}),
        (1, "wh@example.com", "receiving", "draft", "receiving", {})]
    assert order == [("refunded", "", "10900")]

"""A failed group's order that staff refunded by hand (group_buy.refunded_by_hand) posts the
money out of the bank against the order's advance: Dr 2203 预收账款—订单, Cr 1002 银行存款,
once however often the event arrives; nothing refunded, nothing posted."""
from app.blueprints.finance import handlers, queries, services
from tests import factories as f
from tests.finance.conftest import deliver, entries, legs, settle


def test_a_group_order_refunded_by_hand_takes_its_advance_out_of_the_bank_once(store):
    order = f.order(store, "pending_payment", price=6_000)
    f.payment(store, order)                     # Dr 1122, Cr 2203 on the order
    settle(store)
    assert f.read(store, lambda: queries.order_balance(order.id, services.ADVANCES)) == order.payable
    payload = {"place_id": 7, "order_id": order.id, "team_id": 3, "amount": order.payable, "currency": "CNY",
               "order_number": order.number, "reference": "ICBC-20261202-9"}
    first = deliver(store, handlers.post_group_refund_by_hand, "group_buy.refunded_by_hand", payload)
    deliver(store, handlers.post_group_refund_by_hand, "group_buy.refunded_by_hand", payload, event_id=first.id)
    (entry,) = entries(store, rule="group_refund_by_hand")
    assert legs(entry) == sorted([("1002", 0, order.payable), ("2203", order.payable, 0)])
    assert (entry.source_number, entry.memo, entry.currency) == ("ICBC-20261202-9", order.number, "CNY")
    assert f.read(store, lambda: queries.order_balance(order.id, services.ADVANCES)) == 0    # nothing left owed


def test_a_hand_refund_of_nothing_posts_nothing(store):
    deliver(store, handlers.post_group_refund_by_hand, "group_buy.refunded_by_hand",
            {"place_id": 8, "order_id": 1, "team_id": 1, "amount": 0, "currency": "CNY", "reference": "X"})
    assert entries(store, rule="group_refund_by_hand") == []

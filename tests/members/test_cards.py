"""Stored-value and gift cards: batches with codes and PINs, activation, binding, paying an
order through the `card` gateway of the payment center, refunds back onto the card, the
liability figure, and a card that is never overdrawn."""
from __future__ import annotations

import csv
import io
import threading

import pytest
from sqlalchemy import select

from app.blueprints.members import cards, queries
from app.blueprints.members.models import Card, CardEntry, Member
from tests import factories as f
from tests.conftest import wait_for


def _batch(store, face=10000, quantity=3, kind="stored_value", activate=True):
    with f.bound(store, request=True) as session:
        batch = cards.create_batch(None, f.unique("batch"), kind, face, quantity)
        if activate:
            cards.activate_batch(None, batch)
        rows = session.scalars(select(Card).where(Card.batch_id == batch.id).order_by(Card.id)).all()
        return batch, [(c.id, c.code, cards.pin_of(c)) for c in rows]


def _card(store, card_id) -> Card:
    return f.get(store, Card, card_id)


def _bind(store, member, code, pin):
    with f.bound(store, request=True) as session:
        return cards.bind_card(session.get(Member, member.id), code, pin).id


def test_a_batch_has_unique_codes_the_export_carries_the_pins_and_activation_loads_the_balance(app, store):
    owner = f.client("store", store=store)
    batch, rows = _batch(store, face=5000, quantity=20, activate=False)
    assert len({code for _i, code, _p in rows}) == 20 and all(len(code) == 16 and len(pin) == 6 for _i, code, pin in rows)
    response = owner.get(f"/store/{store.slug}/members/cards/{batch.id}?export=csv")
    exported = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {(r[1], r[-1]) for r in exported[1:]} == {(code, pin) for _i, code, pin in rows}
    with f.bound(store, request=True):
        assert queries.card_liability().amount == 0
    response = owner.form(f"/store/{store.slug}/members/cards/{batch.id}/activate")
    assert response.status_code in (302, 303)
    assert _card(store, rows[0][0]).balance == 5000 and _card(store, rows[0][0]).status == "active"
    with f.bound(store, request=True):
        assert queries.card_liability().amount == 20 * 5000
    assert "1,000.00" in owner.get(f"/store/{store.slug}/members/cards").get_data(as_text=True)


def test_binding_needs_the_right_number_and_pin_and_one_account(app, store):
    _batch_row, rows = _batch(store)
    (card_id, code, pin), (other_id, other_code, other_pin) = rows[0], rows[1]
    alice, bob = f.member(store), f.member(store)
    with pytest.raises(cards.CardRefused) as wrong_pin:
        _bind(store, alice, code, "000000" if pin != "000000" else "111111")
    with pytest.raises(cards.CardRefused) as wrong_code:
        _bind(store, alice, "1" * 16, pin)
    assert wrong_pin.value.message == wrong_code.value.message     # no way to tell which was wrong
    assert _bind(store, alice, code, pin) == card_id
    with pytest.raises(cards.CardRefused):
        _bind(store, bob, code, pin)                               # bound to Alice already
    shop = f.shopper_client(store, bob)
    response = shop.form(f"/shop/{store.slug}/account/cards", {"code": other_code, "pin": other_pin})
    assert response.status_code == 303
    page = shop.get(f"/shop/{store.slug}/account/cards").get_data(as_text=True)
    assert other_code[-4:] in page and code[-4:] not in page       # Bob sees his card only


def test_a_card_is_never_overdrawn_under_contention(app, store):
    _b, rows = _batch(store, face=10000, quantity=1)
    card_id, code, pin = rows[0]
    member = f.member(store)
    _bind(store, member, code, pin)
    outcomes, lock = [], threading.Lock()

    def pay(i):
        try:
            with f.bound(store, request=True):
                cards.pay(member.id, card_id, f"P-race-{i}", 3000)
            result = "ok"
        except cards.CardRefused:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 3
    assert _card(store, card_id).balance == 1000
    entries = f.read(store, lambda: f.db_session().scalars(select(CardEntry.delta).where(CardEntry.card_id == card_id)).all())
    assert sum(entries) == 1000


def _enable_card_gateway(store):
    from app.blueprints.payments import accounts

    with f.bound(store, request=True):
        accounts.save_account(None, "card", True, {})


def test_a_shopper_pays_an_order_with_a_card_and_a_refund_goes_back_onto_it(app, store):
    from app.blueprints.orders.models import Order
    from app.blueprints.payments import refunds
    from app.blueprints.payments.models import Payment

    _enable_card_gateway(store)
    _b, rows = _batch(store, face=50000, quantity=1)
    card_id, code, pin = rows[0]
    member = f.member(store)
    _bind(store, member, code, pin)
    order = f.order(store, member_obj=member, price=12000)
    shop = f.shopper_client(store, member)
    page = shop.get(f"/shop/{store.slug}/orders/{order.number}").get_data(as_text=True)
    assert 'value="card"' in page
    response = shop.form(f"/shop/{store.slug}/orders/{order.number}", {"action": "pay", "gateway": "card"})
    assert response.status_code == 303 and "/cards/pay/" in response.headers["Location"]
    pay_url = response.headers["Location"]
    assert code[-4:] in shop.get(pay_url).get_data(as_text=True)
    other = f.shopper_client(store, f.member(store))
    assert other.get(pay_url).status_code == 404                 # another shopper's payment is not found
    assert other.form(pay_url, {"card_id": str(card_id)}).status_code == 404
    response = shop.form(pay_url, {"card_id": str(card_id)})
    assert response.status_code == 303
    assert shop.form(pay_url, {"card_id": str(card_id)}).status_code == 303     # a second click takes nothing
    assert _card(store, card_id).balance == 50000 - order.payable
    wait_for(lambda: f.get(store, Order, order.id).status == "paid")
    payment = f.read(store, lambda: f.db_session().scalar(select(Payment).where(Payment.order_id == order.id,
                                                                                 Payment.gateway == "card")))
    assert payment.status == "succeeded"
    with f.bound(store, request=True) as session:
        refunds.refund(None, session.get(Payment, payment.id), "card-back", 2000, reason="late")
    wait_for(lambda: _card(store, card_id).balance == 50000 - order.payable + 2000)
    wait_for(lambda: f.get(store, Payment, payment.id).status == "partially_refunded")


def test_a_card_pays_only_what_it_holds(app, store):
    _enable_card_gateway(store)
    _b, rows = _batch(store, face=1000, quantity=1)
    card_id, code, pin = rows[0]
    member = f.member(store)
    _bind(store, member, code, pin)
    order = f.order(store, member_obj=member, price=5000)
    shop = f.shopper_client(store, member)
    pay_url = shop.form(f"/shop/{store.slug}/orders/{order.number}", {"action": "pay", "gateway": "card"}).headers["Location"]
    assert "enough balance" in shop.get(pay_url).get_data(as_text=True)
    response = shop.form(pay_url, {"card_id": str(card_id)})
    assert response.status_code == 422
    assert _card(store, card_id).balance == 1000

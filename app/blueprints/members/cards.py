"""Stored-value and gift cards (储值卡 / 礼品卡): batches with codes and PINs, activation, a
balance ledger, binding to a shopper's account, paying and refunding through the `card` gateway.

A balance changes only by one conditional ``UPDATE cards SET balance = balance + d WHERE ...
AND balance + d >= 0 RETURNING balance`` plus one ledger row whose (kind, reference) is unique:
a card is never overdrawn, and a payment or refund is booked once however often it is retried.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.blueprints.members.models import Card, CardBatch, CardEntry, Member
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import emit
from app.core.secrets import seal, unseal
from app.core.tenancy import current_store
from app.core.timeline import actor_name
from app.extensions import db

KIND_LABELS = {"stored_value": _l("Stored-value card"), "gift": _l("Gift card")}
STATUS_LABELS = {"issued": _l("Not activated"), "active": _l("Active"), "void": _l("Void")}
ENTRY_LABELS = {"activate": _l("Activated"), "pay": _l("Paid an order"), "refund": _l("Refund back to the card"),
                "adjust": _l("Adjusted"), "void": _l("Voided")}
CODE_DIGITS, PIN_DIGITS = 16, 6
MAX_BATCH = 5000


class CardRefused(DomainError):
    """The card cannot pay (not found, not active, expired, balance too low); nothing changed."""


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def pin_of(card: Card) -> str:
    return unseal(card.pin_sealed).get("pin", "")


def create_batch(actor, name: str, kind: str, face_value: int, quantity: int, expires_on: date | None = None) -> CardBatch:
    """A batch of `quantity` cards of `face_value` (minor units), each with a random 16-digit
    code and 6-digit PIN; they stay inactive (no balance) until activated."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise DomainError(_("This field is required."), field="name")
    if kind not in KIND_LABELS:
        raise DomainError(_("Choose the kind of card."), field="kind")
    if not isinstance(face_value, int) or not 0 < face_value <= 10 ** 8:
        raise DomainError(_("Give an amount above zero."), field="face_value")
    if not isinstance(quantity, int) or not 0 < quantity <= MAX_BATCH:
        raise DomainError(_("Make from 1 to %(n)d cards at once.", n=MAX_BATCH), field="quantity")
    if expires_on is not None and expires_on < date.today():
        raise DomainError(_("The date has passed."), field="expires_on")
    currency = current_store().currency
    batch = CardBatch(name=name, kind=kind, face_value=face_value, quantity=quantity, currency=currency,
                      expires_on=expires_on, actor_name=actor_name(actor))
    db.session.add(batch)
    db.session.flush()
    codes: set[str] = set()
    while len(codes) < quantity:
        codes.add(_digits(CODE_DIGITS))
    taken = set(db.session.scalars(select(Card.code).where(Card.code.in_(codes))))
    while taken:   # a clash with an older card (one in 10^16 per pair): draw again
        codes -= taken
        while len(codes) < quantity:
            codes.add(_digits(CODE_DIGITS))
        taken = set(db.session.scalars(select(Card.code).where(Card.code.in_(codes))))
    db.session.execute(insert(Card), [{"batch_id": batch.id, "code": code, "pin_sealed": seal({"pin": _digits(PIN_DIGITS)}),
                                       "status": "issued", "balance": 0, "currency": currency,
                                       "expires_on": expires_on} for code in sorted(codes)])
    audit.record(actor, "card.batch_created", batch, label=name,
                 changes={"quantity": [None, quantity], "face_value": [None, face_value]})
    return batch


def activate_batch(actor, batch: CardBatch) -> int:
    """Activate every card of the batch not yet active: each gets the face value as its balance
    (a ledger row each). Returns how many were activated."""
    rows = db.session.execute(update(Card).where(Card.batch_id == batch.id, Card.status == "issued")
                              .values(status="active", balance=batch.face_value, activated_at=utcnow())
                              .returning(Card.id).execution_options(synchronize_session=False)).scalars().all()
    if rows:
        who = actor_name(actor)
        db.session.execute(insert(CardEntry), [{"card_id": i, "kind": "activate", "delta": batch.face_value,
                                                "balance_after": batch.face_value, "reference": f"activate:{i}",
                                                "actor_name": who, "at": utcnow()} for i in rows])
        audit.record(actor, "card.batch_activated", batch, label=batch.name, changes={"activated": [None, len(rows)]})
        emit("card.activated", {"batch_id": batch.id, "card_id": None, "cards": len(rows),
                                "amount": batch.face_value * len(rows), "label": batch.name})
    return len(rows)


def activate_card(actor, card: Card) -> Card:
    """Activate one card (sold at the till): its balance becomes the batch's face value."""
    batch = db.session.get(CardBatch, card.batch_id)
    if card.status != "issued":
        raise DomainError(_("Only a card not yet activated can be activated."))
    _move(card.id, batch.face_value, "activate", f"activate:{card.id}", actor, status="active",
          where=[Card.status == "issued"], activated_at=utcnow())
    audit.record(actor, "card.activated", card, label=card.code)
    emit("card.activated", {"batch_id": batch.id, "card_id": card.id, "cards": 1, "amount": batch.face_value,
                            "label": batch.name})
    return card


def void_card(actor, card: Card, reason: str) -> Card:
    """Void a card (lost, refunded at the till): its balance goes to zero and it pays no more."""
    if not (reason or "").strip():
        raise DomainError(_("Give a reason."), field="reason")
    if card.status == "void":
        raise DomainError(_("This card is void already."))
    db.session.refresh(card)
    _move(card.id, -card.balance, "void", f"void:{card.id}", actor, status="void", where=[Card.balance == card.balance])
    audit.record(actor, "card.voided", card, label=card.code, changes={"reason": [None, reason.strip()[:300]]})
    return card


def _move(card_id: int, delta: int, kind: str, reference: str, actor=None, where=(), **values) -> CardEntry:
    """The one conditional UPDATE and its ledger row (in a savepoint: a reference booked already
    returns that entry and changes nothing)."""
    existing = db.session.scalar(select(CardEntry).where(CardEntry.kind == kind, CardEntry.reference == reference))
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            balance = db.session.scalar(update(Card).where(Card.id == card_id, Card.balance + delta >= 0, *where)
                                        .values(balance=Card.balance + delta, **values).returning(Card.balance)
                                        .execution_options(synchronize_session=False))
            if balance is None:
                raise CardRefused(_("The card's balance does not cover this amount."))
            entry = CardEntry(card_id=card_id, kind=kind, delta=delta, balance_after=balance, reference=reference,
                              actor_name=actor_name(actor))
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        existing = db.session.scalar(select(CardEntry).where(CardEntry.kind == kind, CardEntry.reference == reference))
        if existing is None:
            raise
        return existing
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Card) and obj.id == card_id:
            db.session.expire(obj)
    return entry


def bind_card(member: Member, code: str, pin: str) -> Card:
    """A shopper adds an active card to the account with its number and PIN. A wrong number or
    PIN gets the same answer (no way to tell which was wrong)."""
    from app.blueprints.members.loyalty import MEMBER_STATES

    code = "".join((code or "").split())
    card = db.session.scalar(select(Card).where(Card.code == code).with_for_update()) if code.isdigit() else None
    wrong = CardRefused(_("The card number or PIN is wrong."), field="code")
    if card is None or not hmac.compare_digest(pin_of(card).encode(), "".join((pin or "").split()).encode()):
        raise wrong
    if card.member_id is not None and card.member_id != member.id:
        raise wrong
    if card.status != "active":
        raise CardRefused(_("This card is not active."), field="code")
    if card.expires_on is not None and card.expires_on < date.today():
        raise CardRefused(_("This card has expired."), field="code")
    if card.member_id is None:
        card.member_id = member.id
        MEMBER_STATES.record(member, member, "card_bound", card=masked(card.code))
    return card


def masked(code: str) -> str:
    return f"•••• {code[-4:]}"


def usable_cards(member_id: int, amount: int = 0) -> list[Card]:
    """The member's active, unexpired cards with a balance of at least `amount`."""
    return db.session.scalars(select(Card).where(
        Card.member_id == member_id, Card.status == "active", Card.balance >= max(amount, 1),
        or_(Card.expires_on.is_(None), Card.expires_on >= func.current_date())).order_by(Card.id)).all()


def pay(member_id: int, card_id: int, reference: str, amount: int) -> CardEntry:
    """Take `amount` from one of the member's active cards for a payment (once per reference).
    Raises CardRefused when the card is not the member's, not active, expired or too low."""
    if amount <= 0:
        raise CardRefused(_("Nothing to pay."))
    return _move(card_id, -amount, "pay", reference,
                 where=[Card.member_id == member_id, Card.status == "active",
                        or_(Card.expires_on.is_(None), Card.expires_on >= func.current_date())])


def payment_entry(reference: str) -> CardEntry | None:
    return db.session.scalar(select(CardEntry).where(CardEntry.kind == "pay", CardEntry.reference == reference))


def refund(payment_reference: str, refund_reference: str, amount: int) -> CardEntry:
    """Put `amount` of a card payment back on the card it came from (once per refund), even if
    the card expired meanwhile; never more than the payment took."""
    paid = payment_entry(payment_reference)
    if paid is None:
        raise CardRefused(_("No card payment %(ref)s.", ref=payment_reference))
    given = int(db.session.scalar(select(func.coalesce(func.sum(CardEntry.delta), 0)).where(
        CardEntry.kind == "refund", CardEntry.card_id == paid.card_id,
        CardEntry.reference.like(f"{payment_reference}:%"))) or 0)
    if amount <= 0 or given + amount > -paid.delta:
        raise CardRefused(_("A refund cannot give back more than the card paid."))
    return _move(paid.card_id, amount, "refund", f"{payment_reference}:{refund_reference}"[:64])


def refund_entry(payment_reference: str, refund_reference: str) -> CardEntry | None:
    return db.session.scalar(select(CardEntry).where(
        CardEntry.kind == "refund", CardEntry.reference == f"{payment_reference}:{refund_reference}"[:64]))


def entries_between(start, end) -> list[CardEntry]:
    """Card payments and refunds booked in [start, end) (the gateway's daily statement)."""
    return db.session.scalars(select(CardEntry).where(CardEntry.kind.in_(("pay", "refund")), CardEntry.at >= start,
                                                      CardEntry.at < end).order_by(CardEntry.id)).all()

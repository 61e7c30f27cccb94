"""The `card` payment gateway: a shopper pays an order with the balance of a stored-value or
gift card bound to the account, behind the payment center's gateway interface.

Its "hosted page" is the shop's own card page (members' shop routes): the shopper picks a card
there, the card is debited and the payment notice applied in the same transaction, so money
never leaves the card without the payment succeeding. Queries, refunds and the daily statement
read the card ledger, which is the gateway's own book.
"""
from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.blueprints.members import cards
from app.blueprints.payments.gateways import (BadNotification, Checkout, Gateway, Notice, StatementRow, day_bounds,
                                              register)

NAME = "card"


def notice_of_payment(entry, payment) -> Notice:
    return Notice("payment", payment.number, "succeeded", -entry.delta, payment.currency, f"CARD{entry.id:012d}",
                  "CARD_PAID", entry.at)


@register
class CardGateway(Gateway):
    name = NAME
    label = _l("Stored-value and gift cards (the shopper's card balance)")
    short_label = _l("Card balance")
    fields = []

    def checkout(self, payment, order, return_url, notify_url) -> Checkout:
        return Checkout(redirect_url=url_for("members_shop.card_pay", slug=self.store.slug, number=payment.number))

    def parse_notification(self, body, form, headers):
        raise BadNotification("the card gateway sends no notifications")

    def query(self, payment) -> Notice | None:
        entry = cards.payment_entry(payment.number)
        return notice_of_payment(entry, payment) if entry is not None else None

    def refund(self, payment, refund) -> Notice:
        """Back onto the card the payment came from, at once."""
        entry = cards.refund(payment.number, refund.request_id, refund.amount)
        return Notice("refund", refund.request_id, "succeeded", entry.delta, payment.currency,
                      f"CARDR{entry.id:012d}", "CARD_REFUNDED", entry.at)

    def refund_query(self, payment, refund) -> Notice | None:
        entry = cards.refund_entry(payment.number, refund.request_id)
        if entry is None:
            return None
        return Notice("refund", refund.request_id, "succeeded", entry.delta, payment.currency,
                      f"CARDR{entry.id:012d}", "CARD_REFUNDED", entry.at)

    def statement(self, day: date) -> list[StatementRow]:
        start, end = day_bounds(self.store, day)
        out = []
        for entry in cards.entries_between(start, end):
            if entry.kind == "pay":
                out.append(StatementRow("payment", entry.reference, f"CARD{entry.id:012d}", -entry.delta,
                                        self.store.currency))
            else:
                reference = entry.reference.partition(":")[2]
                out.append(StatementRow("refund", reference, f"CARDR{entry.id:012d}", entry.delta,
                                        self.store.currency))
        return out

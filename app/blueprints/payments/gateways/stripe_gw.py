"""Stripe through the official library: PaymentIntents confirmed by Stripe.js on our pay page,
webhooks verified with the endpoint secret and a timestamp tolerance, refunds, and balance
transactions as the daily statement."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import stripe
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

from app.blueprints.payments.gateways import (BadNotification, Checkout, Field, Gateway, GatewayError, Notice,
                                              StatementRow, day_bounds)
from app.core.errors import DomainError

INTENT_STATUS = {"succeeded": "succeeded", "canceled": "closed", "processing": "pending"}
REFUND_STATUS = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed", "pending": "pending",
                 "requires_action": "pending"}
TOLERANCE = 300   # seconds: Stripe's own default for replayed webhooks


def _stamp(obj) -> datetime | None:
    """A Stripe object's `created` (its balance transaction is dated by it)."""
    created = obj.to_dict().get("created")
    return datetime.fromtimestamp(created, timezone.utc) if isinstance(created, int) else None


class StripeGateway(Gateway):
    name = "stripe"
    label = _l("Stripe")
    fields = [Field("publishable_key", _l("Publishable key")),
              Field("secret_key", _l("Secret key"), secret=True),
              Field("webhook_secret", _l("Webhook signing secret"), secret=True)]

    @classmethod
    def check_settings(cls, settings: dict, secrets: dict) -> None:
        for name, prefixes in (("publishable_key", ("pk_",)), ("secret_key", ("sk_", "rk_")),
                               ("webhook_secret", ("whsec_",))):
            value = settings.get(name) or secrets.get(name)
            if value and not value.startswith(prefixes):
                raise DomainError(_("Stripe's %(field)s starts with %(prefix)s.", field=name, prefix=prefixes[0]),
                                  field=name)

    ack_ok = ('{"received": true}', 200, {"Content-Type": "application/json"})
    ack_fail = ('{"received": false}', 400, {"Content-Type": "application/json"})

    def _client(self) -> stripe.StripeClient:
        base = current_app.config.get("STRIPE_API_BASE")
        return stripe.StripeClient(self.secrets.get("secret_key", ""), max_network_retries=1,
                                   **({"base_addresses": {"api": base}} if base else {}))

    def _do(self, call):
        try:
            return call()
        except stripe.StripeError as err:
            raise GatewayError(f"Stripe: {err.user_message or err}") from err

    def checkout(self, payment, order, return_url, notify_url) -> Checkout:
        intent = self._do(lambda: self._client().v1.payment_intents.create(
            params={"amount": payment.amount, "currency": payment.currency.lower(),
                    "metadata": {"payment_number": payment.number, "order_number": order.number,
                                 "store": self.store.slug},
                    "automatic_payment_methods": {"enabled": True}},
            options={"idempotency_key": f"houtai-{payment.number}"}))
        payment.gateway_trade_no = intent.id
        return Checkout(template="payments/stripe_pay.html",
                        context={"publishable_key": self.settings.get("publishable_key", ""),
                                 "client_secret": intent.client_secret, "return_url": return_url})

    def parse_notification(self, body, form, headers) -> list[Notice]:
        try:
            event = stripe.Webhook.construct_event(body, headers.get("Stripe-Signature"),
                                                   self.secrets.get("webhook_secret", ""), tolerance=TOLERANCE)
        except (stripe.SignatureVerificationError, ValueError) as err:
            raise BadNotification(str(err)) from err
        data = json.loads(body)                       # verified above: read it as plain JSON
        obj = data["data"]["object"]
        if event.type.startswith("payment_intent."):
            status = {"payment_intent.succeeded": "succeeded", "payment_intent.payment_failed": "failed",
                      "payment_intent.canceled": "closed"}.get(event.type)
            if status is None:
                return []
            amount = obj.get("amount_received") if status == "succeeded" else obj.get("amount")
            at = datetime.fromtimestamp(data["created"], timezone.utc) if isinstance(data.get("created"), int) else None
            return [Notice("payment", (obj.get("metadata") or {}).get("payment_number", ""), status, amount,
                           str(obj.get("currency", "")).upper(), obj.get("id"), event.type, at)]
        if event.type in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
            at = datetime.fromtimestamp(obj["created"], timezone.utc) if isinstance(obj.get("created"), int) else None
            return [Notice("refund", (obj.get("metadata") or {}).get("request_id", ""),
                           REFUND_STATUS.get(obj.get("status"), "pending"), obj.get("amount"),
                           str(obj.get("currency", "")).upper(), obj.get("id"), event.type, at)]
        return []

    def query(self, payment) -> Notice | None:
        if not payment.gateway_trade_no:
            return None
        intent = self._do(lambda: self._client().v1.payment_intents.retrieve(payment.gateway_trade_no))
        status = INTENT_STATUS.get(intent.status, "pending")
        amount = intent.amount_received if status == "succeeded" else intent.amount
        return Notice("payment", payment.number, status, amount, intent.currency.upper(), intent.id, intent.status)

    def refund(self, payment, refund) -> Notice:
        made = self._do(lambda: self._client().v1.refunds.create(
            params={"payment_intent": payment.gateway_trade_no, "amount": refund.amount,
                    "metadata": {"request_id": refund.request_id, "payment_number": payment.number}},
            options={"idempotency_key": f"houtai-refund-{refund.request_id}"}))
        return Notice("refund", refund.request_id, REFUND_STATUS.get(made.status, "pending"), made.amount,
                      made.currency.upper(), made.id, made.status, _stamp(made))

    def refund_query(self, payment, refund) -> Notice | None:
        if not refund.gateway_refund_no:
            return None
        found = self._do(lambda: self._client().v1.refunds.retrieve(refund.gateway_refund_no))
        return Notice("refund", refund.request_id, REFUND_STATUS.get(found.status, "pending"), found.amount,
                      found.currency.upper(), found.id, found.status, _stamp(found))

    def statement(self, day: date) -> list[StatementRow]:
        start, end = day_bounds(self.store, day)
        params = {"created": {"gte": int(start.timestamp()), "lt": int(end.timestamp())},
                  "limit": 100, "expand": ["data.source"]}
        page = self._do(lambda: self._client().v1.balance_transactions.list(params=params))
        rows = []
        for item in page.auto_paging_iter():
            tx = item.to_dict()
            source = tx.get("source") or {}
            if isinstance(source, str):
                source = {"id": source}
            fee = abs(int(tx.get("fee") or 0))      # Stripe's processing fee on this transaction
            if tx["type"] in ("charge", "payment"):
                rows.append(StatementRow("payment", "", source.get("payment_intent") or "", abs(tx["amount"]),
                                         tx["currency"].upper(), fee))
            elif tx["type"] in ("refund", "payment_refund"):
                rows.append(StatementRow("refund", (source.get("metadata") or {}).get("request_id", ""),
                                         source.get("id") or "", abs(tx["amount"]), tx["currency"].upper(), fee))
        return rows

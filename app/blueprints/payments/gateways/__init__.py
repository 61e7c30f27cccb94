"""Gateway adapters behind one interface.

An adapter turns our payment into the gateway's checkout, reads the gateway's notifications
(signature first, then the fields), asks the gateway about a payment, refunds and fetches the
daily statement. Everything it returns is a plain `Notice` or `StatementRow`; the payment
services decide what a notice means for our records, so every gateway is applied by the same
exactly-once code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar


class BadNotification(Exception):
    """Signature, timestamp or shape wrong: the notification changes nothing."""


class GatewayError(Exception):
    """The gateway refused or could not be reached; the message is safe to show staff."""


@dataclass
class Notice:
    """What the gateway says happened, in our terms."""

    kind: str                   # payment | refund
    reference: str              # our payment number, or our refund request id
    status: str                 # succeeded | failed | closed | pending
    amount: int | None = None   # minor units
    currency: str | None = None
    trade_no: str | None = None
    raw_status: str = ""
    at: datetime | None = None  # when the gateway says it happened (it files its statement by this)


@dataclass
class Checkout:
    """Where to send the payer: a redirect, or a page of ours (Stripe's card form)."""

    redirect_url: str | None = None
    template: str | None = None
    context: dict = field(default_factory=dict)


@dataclass
class StatementRow:
    kind: str                   # payment | refund
    reference: str
    trade_no: str
    amount: int
    currency: str
    fee: int = 0                # minor units: the fee the gateway kept on a payment row, gave back on a refund row


@dataclass
class Field:
    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""


class Gateway:
    """The interface. `settings` are plain values, `secrets` the unsealed credentials."""

    name: ClassVar[str]
    label: ClassVar[str]
    fields: ClassVar[list[Field]] = []
    currencies: ClassVar[tuple[str, ...]] = ()      # empty: any
    ack_ok: ClassVar[tuple] = ("success", 200, {"Content-Type": "text/plain"})
    ack_fail: ClassVar[tuple] = ("fail", 400, {"Content-Type": "text/plain"})

    def __init__(self, store, settings: dict, secrets: dict):
        self.store, self.settings, self.secrets = store, settings, secrets

    @classmethod
    def check_settings(cls, settings: dict, secrets: dict) -> None:
        """Raise DomainError (with the field) when a value cannot work, before it is saved."""

    def checkout(self, payment, order, return_url: str, notify_url: str) -> Checkout:
        raise NotImplementedError

    def parse_notification(self, body: bytes, form: dict, headers: dict) -> list[Notice]:
        """Verified notices, or BadNotification."""
        raise NotImplementedError

    def query(self, payment) -> Notice | None:
        raise NotImplementedError

    def refund(self, payment, refund) -> Notice:
        raise NotImplementedError

    def refund_query(self, payment, refund) -> Notice | None:
        """The refund as the gateway sees it; None when it has no such refund."""
        raise NotImplementedError

    def statement(self, day: date) -> list[StatementRow]:
        raise NotImplementedError

    def close(self, payment) -> None:
        """Close the trade at the gateway so it can no longer be paid (gateways that need it)."""


_REGISTERED: dict[str, type[Gateway]] = {}


def register(cls: type[Gateway]) -> type[Gateway]:
    """Add another center's gateway (the member center's `card` gateway pays with card balances)."""
    _REGISTERED[cls.name] = cls
    return cls


def registry() -> dict[str, type[Gateway]]:
    from app.blueprints.payments.gateways.alipay import Alipay
    from app.blueprints.payments.gateways.sandbox import Sandbox
    from app.blueprints.payments.gateways.stripe_gw import StripeGateway
    from app.blueprints.payments.gateways.wechat import WeChatPay

    return {**{g.name: g for g in (Sandbox, Alipay, WeChatPay, StripeGateway)}, **_REGISTERED}


def day_bounds(store, day: date):
    """[start, end) of a calendar day in the store's time zone, as aware datetimes."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    start = datetime.combine(day, time(), tzinfo=ZoneInfo(store.timezone or "Asia/Shanghai"))
    return start, start + timedelta(days=1)


def gateway_label(name: str) -> str:
    """A gateway's short name for lists ("支付宝", "沙箱"); the code if it is not installed."""
    cls = registry().get(name)
    return str(getattr(cls, "short_label", None) or cls.label) if cls else name

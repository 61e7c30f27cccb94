"""One timeline for every object with a state machine (DESIGN rule 6, after Saleor's order events).

A center declares its object's timeline table with the mixin and names the owner column::

    class RefundEvent(TimelineEntry, db.Model):
        __tablename__ = "refund_events"
        __table_args__ = tenant_args()
        owner_key = "refund_id"
        refund_id: Mapped[int] = mapped_column(ForeignKey("tenant.refunds.id", ondelete="CASCADE"), index=True)

and passes it to its StateMachine (``timeline=RefundEvent``), which writes every row. A row
keeps codes and plain values (action, from, to, amounts in minor units); the page turns them
into words in the reader's language: ``components/_timeline.html`` renders any timeline with
the machine's labels and money formatted with its currency.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import utcnow
from app.core.money import format_money

SYSTEM = "system"
# keys of a row's data that hold money in minor units (shown with the owner's currency)
MONEY_KEYS = {"amount", "payable", "refunded", "paid"}
# data keys worth showing beside the row, with their labels; other keys stay in the data only
DETAIL_LABELS = {
    "amount": _l("Amount"), "payable": _l("Payable"), "reference": _l("Reference"),
    "tracking": _l("Tracking number"), "payment": _l("Payment"), "refund": _l("Refund"),
    "trade_no": _l("Gateway trade no."), "gateway_status": _l("Gateway status"), "sku": _l("SKU"),
    "quantity": _l("Quantity"), "received": _l("Received"), "location": _l("Location"),
    "warehouse": _l("Warehouse"), "skus": _l("SKUs"), "lines": _l("Lines"), "request_id": _l("Request id"),
    "failure": _l("Gateway answer"), "document": _l("Document"),
    "carrier": _l("Carrier"), "waybill": _l("Waybill number"), "wave": _l("Wave"), "notice": _l("Delivery notice"),
}
ACTOR_LABELS = {SYSTEM: _l("System")}


def actor_name(actor) -> str:
    """Who to write down: a user's email, a plain name (a gateway, a job), or the system."""
    if isinstance(actor, str):
        return actor[:254] or SYSTEM
    return (getattr(actor, "email", None) or SYSTEM)[:254]


class _Params(dict):
    def __missing__(self, key):
        return ""


class TimelineEntry:
    """Columns of a timeline row, and how a page describes it."""

    owner_key: ClassVar[str]
    machine: ClassVar = None     # set by StateMachine(timeline=...)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_name: Mapped[str] = mapped_column(String(254), default=SYSTEM)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")
    data: Mapped[dict] = mapped_column(JSONB, default=dict)

    def _value(self, key, value, currency):
        if key in MONEY_KEYS and isinstance(value, int):
            return format_money(value, (self.data or {}).get("currency") or currency)
        labels = (self.machine.labels if self.machine else {})
        return str(labels.get(value, value)) if isinstance(value, str) else value

    def title(self, currency: str = "CNY") -> str:
        """The action in words: its label from the machine (with the data filled in), else the
        label of the state it moved to."""
        machine = self.machine
        label = machine.actions.get(self.action) if machine else None
        if label is None:
            label = machine.labels.get(self.action) if machine else None
        if label is None:
            return str(self.action).replace("_", " ")
        params = _Params({k: self._value(k, v, currency) for k, v in (self.data or {}).items()})
        return str(label) % params if "%(" in str(label) else str(label)

    def change(self) -> tuple[str, str] | None:
        """(from, to) in words when the row moved the state."""
        if self.from_status == self.to_status or self.to_status is None:
            return None
        labels = self.machine.labels if self.machine else {}
        return (str(labels.get(self.from_status, self.from_status or "")) if self.from_status else "",
                str(labels.get(self.to_status, self.to_status)))

    def details(self, currency: str = "CNY") -> list[tuple[str, str]]:
        """[(label, value)] for the data keys worth showing, money formatted."""
        label = str(self.machine.actions.get(self.action, "")) if self.machine else ""
        return [(str(DETAIL_LABELS[key]), self._value(key, value, currency))
                for key, value in (self.data or {}).items()
                if key in DETAIL_LABELS and f"%({key})s" not in label and not isinstance(value, (dict, list))]

    @property
    def who(self) -> str:
        return str(ACTOR_LABELS.get(self.actor_name, self.actor_name))

    @property
    def internal(self) -> bool:
        return bool(self.machine and self.action in self.machine.internal)

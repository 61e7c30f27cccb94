"""Invoice tables: one invoice request per order, and the invoice issued for it."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import CreatedAt, tenant_args
from app.extensions import db

KINDS = ("personal", "company")
STATUSES = ("requested", "issued")


class InvoiceRequest(CreatedAt, db.Model):
    """A shopper's request for an invoice (发票) on one order; the issued invoice fills it in."""

    __tablename__ = "invoice_requests"
    __table_args__ = tenant_args(CheckConstraint(f"kind IN {KINDS}", name="kind"),
                                 CheckConstraint(f"status IN {STATUSES}", name="status"),
                                 CheckConstraint("kind = 'personal' OR tax_number <> ''", name="company_tax_number"),
                                 CheckConstraint("status = 'requested' OR (invoice_number <> '' AND issued_on IS NOT NULL "
                                                 "AND file_key <> '')", name="issued"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    shopper_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(100))            # 发票抬头: the person's or company's name
    tax_number: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    amount: Mapped[int] = mapped_column(BigInteger)            # what the order cost the shopper, minor units
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(12), default="requested")
    invoice_number: Mapped[str] = mapped_column(String(40), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    file_key: Mapped[str] = mapped_column(String(200), default="")
    provider: Mapped[str] = mapped_column(String(40), default="")
    issued_by: Mapped[str] = mapped_column(String(254), default="")
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def issued(self) -> bool:
        """The invoice exists: its number and PDF can be shown."""
        return self.status == "issued"

    @property
    def awaiting_issue(self) -> bool:
        return self.status == "requested"

"""Read side of the cross-border center: an order's declaration as the order pages show it,
and the declarations of a day for the customs export."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.blueprints.crossborder.models import CustomsDeclaration
from app.extensions import db

REGIME_LABELS = {"cross_border": _l("Cross-border retail import (duty 0 %, VAT and consumption tax at 70 %)"),
                 "general_trade": _l("Taxed in full as general trade")}
REASON_LABELS = {"": "", "order_limit": _l("over the ¥5,000 limit per order"),
                 "year_limit": _l("over the payer's ¥26,000 limit for the year")}


@dataclass(frozen=True)
class DeclarationView:
    order_number: str
    payer_name: str
    payer_id_masked: str
    regime: str
    regime_label: str
    reason_label: str
    dutiable: int
    year_before: int
    duty: int
    consumption_tax: int
    vat: int
    tax_total: int
    void: bool
    lines: list


def _view(row: CustomsDeclaration) -> DeclarationView:
    return DeclarationView(row.order_number, row.payer_name, row.payer_id_masked, row.regime,
                           str(REGIME_LABELS[row.regime]), str(REASON_LABELS.get(row.reason, "")), row.dutiable,
                           row.year_before, row.duty, row.consumption_tax, row.vat, row.tax_total, row.void,
                           list(row.lines or []))


def declaration_for(order_id: int) -> DeclarationView | None:
    row = db.session.scalar(select(CustomsDeclaration).where(CustomsDeclaration.order_id == order_id))
    return _view(row) if row is not None else None


def declarations(order_ids) -> dict[int, CustomsDeclaration]:
    """The live declarations of these orders, by order id (for the export; one query)."""
    ids = list(order_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(CustomsDeclaration).where(CustomsDeclaration.order_id.in_(ids),
                                                               CustomsDeclaration.void.is_(False)))
    return {row.order_id: row for row in rows}

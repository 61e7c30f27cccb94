"""Cross-border operations: the store's setting, the payer's identity, the tax of an order
assessed at checkout and recorded with it (once), and a declaration voided when its order is
cancelled or closed (it no longer counts in the payer's year). The caller commits."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from app.blueprints.catalog import queries as catalog_queries
from app.blueprints.crossborder import tax
from app.blueprints.crossborder.models import CrossBorderSettings, CustomsDeclaration
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.secrets import seal
from app.core.tenancy import current_store
from app.extensions import db

SETTING_FIELDS = ("ebp_code", "ebp_name", "ebc_code", "ebc_name", "pay_code", "pay_name", "logistics_code",
                  "logistics_name", "dxp_id")
CODE_FIELDS = ("ebp_code", "ebc_code", "pay_code", "logistics_code")


def settings() -> CrossBorderSettings:
    """The store's cross-border settings (unsaved defaults: not selling cross-border)."""
    row = db.session.get(CrossBorderSettings, 1)
    if row is None:
        row = CrossBorderSettings(id=1, enabled=False, **{f: "" for f in SETTING_FIELDS})
    return row


def enabled() -> bool:
    return bool(db.session.scalar(select(CrossBorderSettings.enabled).where(CrossBorderSettings.id == 1)))


def save_settings(actor, enabled: bool, values: dict) -> CrossBorderSettings:
    """Turn cross-border sales on or off and set the customs registration codes (海关注册登记编号,
    10 or 18 characters, letters and digits) and names the declarations carry. Selling
    cross-border needs the e-commerce platform and enterprise registered."""
    clean = {f: str(values.get(f) or "").strip() for f in SETTING_FIELDS}
    for f in CODE_FIELDS:
        code = clean[f].upper()
        if code and not (len(code) in (10, 18) and code.isalnum() and code.isascii()):
            raise DomainError(_("A customs registration code has 10 or 18 letters and digits."), field=f)
        clean[f] = code
    if enabled and not (clean["ebp_code"] and clean["ebp_name"] and clean["ebc_code"] and clean["ebc_name"]):
        field = next(f for f in ("ebp_code", "ebp_name", "ebc_code", "ebc_name") if not clean[f])
        raise DomainError(_("Selling cross-border needs the e-commerce platform and enterprise with their customs "
                            "codes."), field=field)
    row = db.session.get(CrossBorderSettings, 1)
    if row is None:
        row = CrossBorderSettings(id=1)
        db.session.add(row)
    before = bool(row.enabled)
    row.enabled = bool(enabled)
    for f, value in clean.items():
        setattr(row, f, value)
    db.session.flush()
    audit.record(actor, "crossborder.settings", row, label=clean["ebp_name"] or "—",
                 changes={"sells_cross_border": [before, row.enabled]} if before != row.enabled else None)
    return row


# --- the payer ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Payer:
    """The person who orders and pays (订购人 = 支付人 for customs), identified by a PRC resident
    identity card number (18 characters, checked with its check digit)."""

    name: str
    id_number: str
    phone: str = ""

    @property
    def masked(self) -> str:
        return self.id_number[:6] + "*" * 8 + self.id_number[-4:]


def check_payer(name, id_number, phone="") -> Payer:
    """The payer as given, or a DomainError on the field that is wrong."""
    name = str(name or "").strip()
    if not name or len(name) > 60:
        raise DomainError(_("Enter the payer's real name, as on the identity card."), field="payer_name")
    try:
        number = ric.validate(str(id_number or ""))
    except ValidationError:
        raise DomainError(_("Enter an 18-character resident identity card number (the last may be X)."),
                          field="payer_id_number") from None
    return Payer(name, number.upper(), str(phone or "").strip()[:30])


def payer_key(id_number: str) -> str:
    """A keyed hash of the identity number: finds the payer's declarations without storing the
    number in the clear (the key comes from the app's secret; the store is part of it)."""
    secret = hashlib.sha256(b"houtai-payer:" + current_app.config["SECRET_KEY"].encode()).digest()
    message = f"{current_store().id}:{id_number.upper()}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _year(at: datetime | None = None) -> int:
    return (at or utcnow()).astimezone(ZoneInfo(current_store().timezone or "Asia/Shanghai")).year


def today():
    """Today in the store's time zone."""
    return utcnow().astimezone(ZoneInfo(current_store().timezone or "Asia/Shanghai")).date()


def year_total(key: str, year: int) -> int:
    """The payer's dutiable value in cross-border orders of that year (void ones left out)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(CustomsDeclaration.dutiable), 0)).where(
        CustomsDeclaration.payer_key == key, CustomsDeclaration.year == year, CustomsDeclaration.void.is_(False))))


# --- the tax of an order ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomsLine:
    sku_id: int
    paid: int          # the line's amount after discounts


@dataclass(frozen=True)
class Estimate:
    """The tax of a cross-border order, with the customs data of its lines as they are now."""

    assessment: tax.Assessment
    lines: list        # [{sku_id, sku_code, title, barcode, hs_code, origin_country, declared_value, ...}]
    payer_checked: bool   # the year limit was checked with the payer's identity (else assumed unused)
    year: int

    @property
    def total(self) -> int:
        return self.assessment.total


def estimate(lines: list[CustomsLine], freight: int, payer: Payer | None = None, *, lock: bool = False,
             at: datetime | None = None) -> Estimate:
    """The tax of this order in a store that sells cross-border (the caller checked). Every SKU needs
    its HS code and origin. With the payer, the year limit counts the payer's orders of the year;
    `lock` (placing the order) makes concurrent orders of the same payer wait for each other,
    so two of them cannot both pass the limit."""
    info = catalog_queries.customs_info([line.sku_id for line in lines])
    missing = [info[l.sku_id].code if l.sku_id in info else str(l.sku_id) for l in lines
               if l.sku_id not in info or not info[l.sku_id].declarable]
    if missing:
        raise DomainError(_("%(codes)s cannot be sold cross-border yet: its HS code or country of origin is missing.",
                            codes=", ".join(missing)), field="lines")
    year = _year(at)
    before = 0
    if payer is not None:
        key = payer_key(payer.id_number)
        if lock:
            db.session.execute(select(func.pg_advisory_xact_lock(int(key[:15], 16))))
        before = year_total(key, year)
    assessment = tax.assess([tax.TaxLine(l.sku_id, l.paid, info[l.sku_id].consumption_tax_bp, info[l.sku_id].duty_bp)
                             for l in lines], freight=freight, year_before=before)
    snapshot = []
    for line, taxed in zip(lines, assessment.lines):
        sku = info[line.sku_id]
        snapshot.append({"sku_id": sku.sku_id, "sku_code": sku.code, "title": sku.title, "barcode": sku.barcode,
                         "hs_code": sku.hs_code, "origin_country": sku.origin_country,
                         "declared_value": sku.declared_value, "consumption_tax_bp": sku.consumption_tax_bp,
                         "duty_bp": sku.duty_bp, "paid": line.paid, "base": taxed.base, "duty": taxed.duty,
                         "consumption_tax": taxed.consumption, "vat": taxed.vat})
    return Estimate(assessment, snapshot, payer is not None, year)


def record_declaration(order_id: int, order_number: str, estimate: Estimate, payer: Payer) -> CustomsDeclaration:
    """Keep the order's customs declaration: the payer (identity sealed), the tax as charged
    and the lines' customs data. Once per order: the same order again returns the first."""
    existing = db.session.scalar(select(CustomsDeclaration).where(CustomsDeclaration.order_id == order_id))
    if existing is not None:
        return existing
    a = estimate.assessment
    row = CustomsDeclaration(
        order_id=order_id, order_number=order_number, payer_name=payer.name,
        payer_id_sealed=seal({"id_number": payer.id_number}), payer_id_masked=payer.masked,
        payer_key=payer_key(payer.id_number), payer_phone=payer.phone, year=estimate.year, regime=a.regime,
        reason=a.reason, dutiable=a.dutiable, year_before=a.year_before, duty=a.duty, consumption_tax=a.consumption,
        vat=a.vat, tax_total=a.total, lines=estimate.lines, void=False)
    db.session.add(row)
    db.session.flush()
    return row


def void_declaration(order_id: int) -> bool:
    """The order was cancelled or closed before it went through customs: its value no longer
    counts in the payer's year. Returns whether anything changed."""
    row = db.session.scalar(select(CustomsDeclaration).where(CustomsDeclaration.order_id == order_id)
                            .with_for_update())
    if row is None or row.void:
        return False
    row.void, row.voided_at = True, utcnow()
    return True


# --- the customs export -------------------------------------------------------------------------

def export_day(day, now: datetime | None = None):
    """The customs export (manifest.Export) of the cross-border orders paid on `day`, a day in
    the store's time zone: CEB311 orders, CEB411 payments, CEB511 waybills."""
    from app.blueprints.crossborder import manifest, queries
    from app.blueprints.logistics import queries as logistics_queries
    from app.blueprints.orders import queries as order_queries
    from app.blueprints.payments import queries as payment_queries
    from app.core.secrets import unseal

    store = current_store()
    start, end = manifest.day_window(day, store.timezone)
    orders = order_queries.paid_between(start, end)
    declarations = queries.declarations(o.id for o in orders)
    orders = [o for o in orders if o.id in declarations]
    ids = [o.id for o in orders]
    id_numbers = {d.id: unseal(d.payer_id_sealed)["id_number"] for d in declarations.values()}
    return manifest.build(store.id, store.slug, day, settings(), orders, declarations,
                          payment_queries.paid_payments(ids), logistics_queries.waybills_for_orders(ids), id_numbers,
                          now or utcnow())

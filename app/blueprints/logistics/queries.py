"""Logistics read side: carriers, shipments and their tracking, as plain snapshots for the
back office, the storefront, the API and other centers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from app.blueprints.logistics import carriers as registry


def carriers() -> list[tuple[str, str]]:
    """[(code, localised name)] for every carrier Houtai knows, in the registry's order."""
    return [(c.code, str(c.name)) for c in registry.CARRIERS.values()]


def carrier_name(code: str | None) -> str:
    """The carrier's name in the reader's language; an unknown code is shown as such, never raw."""
    carrier = registry.get(code)
    if carrier is not None:
        return str(carrier.name)
    return _("Other carrier (%(code)s)", code=code) if code else _("No carrier")


@dataclass(frozen=True)
class TrackingView:
    at: datetime
    status: str
    status_label: str
    description: str
    location: str


@dataclass(frozen=True)
class ShipmentView:
    """A shipment as the shopper, the order pages and the API show it."""

    id: int
    number: str
    order_id: int
    order_number: str
    notice_number: str
    carrier_code: str
    carrier_name: str
    waybill_no: str
    status: str
    status_label: str
    shipped_at: datetime
    signed_at: datetime | None
    last_event_at: datetime | None
    flag: str | None = None
    flag_label: str = ""
    lines: list = field(default_factory=list)
    events: list[TrackingView] = field(default_factory=list)     # newest first


def _views(shipments, staff: bool) -> list[ShipmentView]:
    from sqlalchemy import select

    from app.blueprints.logistics.models import TrackingEvent
    from app.blueprints.logistics.services import FLAG_LABELS, STATUS_LABELS
    from app.extensions import db

    ids = [s.id for s in shipments]
    events: dict[int, list[TrackingView]] = {i: [] for i in ids}
    if ids:
        for e in db.session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id.in_(ids))
                                    .order_by(TrackingEvent.at.desc(), TrackingEvent.id.desc())):
            events[e.shipment_id].append(TrackingView(e.at, e.status, str(STATUS_LABELS[e.status]), e.description,
                                                      e.location))
    return [ShipmentView(
        id=s.id, number=s.number, order_id=s.order_id, order_number=s.order_number, notice_number=s.notice_number,
        carrier_code=s.carrier_code, carrier_name=carrier_name(s.carrier_code), waybill_no=s.waybill_no,
        status=s.status, status_label=str(STATUS_LABELS[s.status]), shipped_at=s.created_at, signed_at=s.signed_at,
        last_event_at=s.last_event_at, flag=s.flag if staff else None,
        flag_label=str(FLAG_LABELS[s.flag]) if staff and s.flag else "", lines=list(s.lines or []),
        events=events[s.id]) for s in shipments]


def shipments_for_order(order_id: int, staff: bool = False) -> list[ShipmentView]:
    """The order's shipments, oldest first, each with its tracking (newest event first). Two
    queries whatever the number of shipments. `staff` adds the flags shoppers do not see."""
    from sqlalchemy import select

    from app.blueprints.logistics.models import Shipment
    from app.extensions import db

    rows = db.session.scalars(select(Shipment).where(Shipment.order_id == order_id, Shipment.return_of.is_(None))
                              .order_by(Shipment.id)).all()
    return _views(rows, staff)


def shipments_for_order_number(number: str, staff: bool = False) -> list[ShipmentView]:
    """`shipments_for_order` by the order's number (the storefront's snapshots carry the number)."""
    from sqlalchemy import select

    from app.blueprints.logistics.models import Shipment
    from app.extensions import db

    rows = db.session.scalars(select(Shipment).where(Shipment.order_number == number, Shipment.return_of.is_(None))
                              .order_by(Shipment.id)).all()
    return _views(rows, staff)


def shipment_view(shipment_id: int, staff: bool = False) -> ShipmentView | None:
    from app.blueprints.logistics.models import Shipment
    from app.extensions import db

    row = db.session.get(Shipment, shipment_id)
    return _views([row], staff)[0] if row else None


@dataclass(frozen=True)
class CarrierRow:
    code: str
    name: str
    example: str
    account_label: str
    enabled: bool
    has_account: bool


def carrier_rows() -> list[CarrierRow]:
    """Every carrier of the registry with the store's account state (one query)."""
    from sqlalchemy import select

    from app.blueprints.logistics.models import CarrierAccount
    from app.extensions import db

    accounts = {a.carrier: a.enabled for a in db.session.scalars(select(CarrierAccount))}
    out = []
    for c in registry.CARRIERS.values():
        state = accounts.get(c.code)
        label = _("On") if state else (_("Off") if state is not None else _("No account"))
        out.append(CarrierRow(c.code, str(c.name), c.example, label, bool(state), state is not None))
    return out


def account_summary(account) -> str:
    """The account's non-secret settings in a line, e.g. "Customer ID (customer): 1F2E"."""
    from app.blueprints.logistics.accounts import fields_for
    from app.core.errors import DomainError

    try:
        fields = fields_for(account.carrier)
    except DomainError:       # a carrier no longer in the registry
        fields = []
    values = account.settings or {}
    return " · ".join(f"{f.label}: {values[f.name]}" for f in fields if not f.secret and values.get(f.name))


def waybills_for_orders(order_ids) -> dict[int, list[dict]]:
    """The parcels of these orders, oldest first: carrier, waybill number, weight (one query)."""
    from sqlalchemy import select

    from app.blueprints.logistics.models import Shipment
    from app.extensions import db

    ids = list(order_ids)
    out: dict[int, list[dict]] = {i: [] for i in ids}
    if ids:
        for s in db.session.scalars(select(Shipment).where(Shipment.order_id.in_(ids)).order_by(Shipment.id)):
            out[s.order_id].append({"carrier_code": s.carrier_code, "carrier_name": carrier_name(s.carrier_code),
                                    "waybill_no": s.waybill_no, "weight_grams": s.weight_grams,
                                    "shipped_at": s.created_at})
    return out


def ships_abroad() -> bool:
    """Does the store ship to other countries (addresses abroad are then accepted)?"""
    from sqlalchemy import select

    from app.blueprints.logistics.models import LogisticsSettings
    from app.extensions import db

    return bool(db.session.scalar(select(LogisticsSettings.ships_abroad).where(LogisticsSettings.id == 1)))

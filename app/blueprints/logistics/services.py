"""Logistics operations: checking waybill numbers, shipments made from shipped delivery
notices, tracking applied once per (shipment, time, status), flags for staff. The caller commits."""
from __future__ import annotations

from flask_babel import gettext as _

from app.blueprints.logistics import carriers as registry
from app.core.errors import DomainError


def check_waybill(carrier_code: str, waybill_no: str) -> str:
    """The waybill number as the carrier prints it (upper case, no spaces or dashes), or a
    DomainError naming the field that is wrong: "carrier" (unknown code) or "waybill_no"."""
    carrier = registry.get(carrier_code)
    if carrier is None:
        raise DomainError(_("Choose a carrier from the list."), field="carrier")
    number = registry.normalise_waybill(waybill_no)
    if not number:
        raise DomainError(_("Enter the waybill number."), field="waybill_no")
    if not carrier.matches(number):
        raise DomainError(_("“%(number)s” is not a %(carrier)s waybill number (for example %(example)s).",
                            number=number, carrier=carrier.name, example=carrier.example), field="waybill_no")
    return number

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

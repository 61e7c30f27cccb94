"""The store's carrier accounts (credentials sealed at rest, like the payment gateway keys) and
the logistics settings."""
from __future__ import annotations

import secrets as token_source

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.blueprints.logistics import carriers as registry
from app.blueprints.logistics.adapters import CarrierAdapter, Field, registry as adapters
from app.blueprints.logistics.models import TRACKING_SERVICE, CarrierAccount, LogisticsSettings
from app.core import audit
from app.core.errors import DomainError
from app.core.secrets import seal, unseal
from app.extensions import db

# a store's monthly account with one carrier, used to request electronic waybills
CARRIER_FIELDS = [
    Field("partner_id", _l("Account ID (partnerId)"), required=False),
    Field("partner_name", _l("Account name (partnerName)"), required=False),
    Field("net", _l("Branch (net)"), required=False),
    Field("exp_type", _l("Service type (expType)"), required=False, help=_l("For example 标准快递; blank for the default.")),
    Field("partner_key", _l("Account key (partnerKey)"), secret=True, required=False),
    Field("partner_secret", _l("Account secret (partnerSecret)"), secret=True, required=False),
]


def fields_for(name: str) -> list[Field]:
    if name == TRACKING_SERVICE:
        return list(adapters()[TRACKING_SERVICE].fields)
    if registry.get(name) is None:
        raise DomainError(_("Choose a carrier from the list."), field="carrier")
    return CARRIER_FIELDS


def label_of(name: str) -> str:
    if name == TRACKING_SERVICE:
        return _("Kuaidi100 (tracking and electronic waybills)")
    carrier = registry.get(name)
    return str(carrier.name) if carrier else name


def account(name: str) -> CarrierAccount | None:
    return db.session.scalar(select(CarrierAccount).where(CarrierAccount.carrier == name))


def account_by_id(account_id: int) -> CarrierAccount | None:
    return db.session.get(CarrierAccount, account_id)


def tracking_adapter() -> CarrierAdapter | None:
    """The store's tracking service with its unsealed credentials, or None when it has none on."""
    row = account(TRACKING_SERVICE)
    if row is None or not row.enabled:
        return None
    return adapters()[TRACKING_SERVICE](dict(row.settings or {}), unseal(row.sealed))


def carrier_account(code: str) -> dict:
    """Settings and secrets of the store's account with a carrier ({} when none is on)."""
    row = account(code)
    if row is None or not row.enabled:
        return {}
    return {**(row.settings or {}), **unseal(row.sealed)}


def masked(name: str) -> dict:
    """Secret fields as '••••1234' for the settings page; never the full value."""
    row = account(name)
    values = unseal(row.sealed) if row else {}
    secret_names = {f.name for f in fields_for(name) if f.secret}
    return {k: ("••••" + v[-4:] if len(v) > 8 else "••••") for k, v in values.items() if v and k in secret_names}


def save_account(actor, name: str, enabled: bool, values: dict) -> CarrierAccount:
    """Save an account; a blank secret field keeps the stored one. Enabling needs every required
    field. The tracking service's push-signing salt is made once, here, and kept sealed."""
    fields = fields_for(name)
    row = account(name) or CarrierAccount(carrier=name, settings={}, sealed="", enabled=False)
    before = {"enabled": row.enabled, **(row.settings or {})}
    settings, secrets = dict(row.settings or {}), unseal(row.sealed)
    for f in fields:
        value = (values.get(f.name) or "").strip()
        if len(value) > 500:
            raise DomainError(_("At most %(max)d characters.", max=500), field=f.name)
        if f.secret:
            if value:
                secrets[f.name] = value
        else:
            settings[f.name] = value
    if enabled:
        missing = [f for f in fields if f.required and not (secrets if f.secret else settings).get(f.name)]
        if missing:
            raise DomainError(_("Fill in %(fields)s before enabling.", fields=", ".join(str(f.label) for f in missing)),
                              field=missing[0].name)
    if name == TRACKING_SERVICE and not secrets.get("salt"):
        secrets["salt"] = token_source.token_hex(16)
    row.enabled, row.settings, row.sealed = enabled, settings, seal(secrets) if secrets else ""
    db.session.add(row)
    db.session.flush()
    after = {"enabled": enabled, **settings}
    changes = {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
    for k in sorted(f.name for f in fields if f.secret and (values.get(f.name) or "").strip()):
        changes[k] = ["••••", "•••• (replaced)"]    # that it changed, never the value
    audit.record(actor, "logistics.account_saved", row, changes, label=label_of(name))
    return row


def settings() -> LogisticsSettings:
    return db.session.get(LogisticsSettings, 1) or LogisticsSettings(id=1, stale_hours=72)


def save_settings(actor, stale_hours: int, default_carrier: str | None,
                  ships_abroad: bool | None = None) -> LogisticsSettings:
    """The store's logistics settings; `ships_abroad` (None: unchanged) opens addresses in other
    countries to shoppers (free-form; the mainland's keep the region cascade)."""
    if not isinstance(stale_hours, int) or not 1 <= stale_hours <= 720:
        raise DomainError(_("Between 1 and 720 hours."), field="stale_hours")
    if default_carrier and registry.get(default_carrier) is None:
        raise DomainError(_("Choose a carrier from the list."), field="default_carrier")
    row = db.session.get(LogisticsSettings, 1) or LogisticsSettings(id=1, ships_abroad=False)
    before = {"stale_hours": row.stale_hours, "default_carrier": row.default_carrier,
              "ships_abroad": bool(row.ships_abroad)}
    row.stale_hours, row.default_carrier = stale_hours, default_carrier or None
    if ships_abroad is not None:
        row.ships_abroad = bool(ships_abroad)
    db.session.add(row)
    db.session.flush()
    after = {"stale_hours": stale_hours, "default_carrier": row.default_carrier, "ships_abroad": bool(row.ships_abroad)}
    audit.record(actor, "logistics.settings_saved", row, {k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return row

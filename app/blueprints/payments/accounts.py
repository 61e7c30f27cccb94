"""Per-store gateway accounts (credentials sealed at rest) and store-wide payment options."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.blueprints.payments.gateways import Gateway, registry
from app.blueprints.payments.models import GatewayAccount, PaymentOptions
from app.core import audit
from app.core.errors import DomainError
from app.core.secrets import seal, unseal
from app.core.tenancy import current_store
from app.extensions import db

SANDBOX = "sandbox"


def account(name: str) -> GatewayAccount | None:
    return db.session.scalar(select(GatewayAccount).where(GatewayAccount.gateway == name))


def enabled_gateways() -> list[str]:
    """What shoppers can pay with, in a stable order. The sandbox gateway exists only where
    SANDBOX_GATEWAY is on (development, demos, tests); there it is on until a store turns it off."""
    from flask import current_app

    rows = {a.gateway: a for a in db.session.scalars(select(GatewayAccount))}
    names = []
    for name in registry():
        if name == SANDBOX and not current_app.config["SANDBOX_GATEWAY"]:
            continue
        row = rows.get(name)
        if (row.enabled if row else name == SANDBOX):
            names.append(name)
    return names


def gateway(name: str) -> Gateway:
    """The adapter for `name`, loaded with this store's settings and unsealed credentials."""
    from flask import current_app

    cls = registry().get(name)
    if cls is None or (name == SANDBOX and not current_app.config["SANDBOX_GATEWAY"]):
        raise DomainError(_("Unknown payment gateway %(name)s.", name=name))
    row = account(name)
    return cls(current_store(), dict(row.settings or {}) if row else {}, unseal(row.sealed) if row else {})


def remember(name: str, **values) -> None:
    """Keep plain values a gateway learnt by itself (WeChat Pay's platform certificates) with
    the store's account, beside the settings staff entered; nothing is audited (nobody changed it)."""
    row = account(name)
    if row is not None:
        row.settings = {**(row.settings or {}), **values}
        db.session.flush()


def masked(name: str) -> dict:
    """Secret fields as '••••1234' for the settings page; never the full value."""
    row = account(name)
    values = unseal(row.sealed) if row else {}
    return {k: ("••••" + v[-4:] if len(v) > 8 else "••••") for k, v in values.items() if v}


def save_account(actor, name: str, enabled: bool, values: dict) -> GatewayAccount:
    """Save settings; a blank secret field keeps the stored one. Enabling needs every required field."""
    cls = registry().get(name)
    if cls is None:
        raise DomainError(_("Unknown payment gateway %(name)s.", name=name))
    row = account(name) or GatewayAccount(gateway=name, settings={}, sealed="")
    before = {"enabled": row.enabled, **(row.settings or {})}
    settings, secrets = dict(row.settings or {}), unseal(row.sealed)
    for f in cls.fields:
        value = (values.get(f.name) or "").strip()
        if f.secret:
            if value:
                secrets[f.name] = value
        else:
            settings[f.name] = value
    cls.check_settings(settings, secrets)
    if enabled:
        missing = [str(f.label) for f in cls.fields if f.required and not (secrets if f.secret else settings).get(f.name)]
        if missing:
            raise DomainError(_("Fill in %(fields)s before enabling.", fields=", ".join(missing)))
    row.enabled, row.settings, row.sealed = enabled, settings, seal(secrets) if secrets else ""
    db.session.add(row)
    db.session.flush()
    after = {"enabled": enabled, **settings}
    changes = {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
    for k in sorted(f.name for f in cls.fields if f.secret and (values.get(f.name) or "").strip()):
        changes[k] = ["••••", "•••• (replaced)"]    # that it changed, never the value
    audit.record(actor, "payments.gateway_saved", row, changes, label=name)
    return row


def options() -> PaymentOptions:
    return db.session.get(PaymentOptions, 1) or PaymentOptions(id=1, late_payment="flag")


def save_options(actor, late_payment: str) -> PaymentOptions:
    if late_payment not in ("refund", "flag"):
        raise DomainError(_("Choose what happens to a late payment."), field="late_payment")
    row = db.session.get(PaymentOptions, 1) or PaymentOptions(id=1)
    before = row.late_payment
    row.late_payment = late_payment
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "payments.options_saved", row, {"late_payment": [before, late_payment]})
    return row

"""The carriers dispatch ships with, from the logistics center's registry (its public
queries and services): names, the waybill check and electronic waybills."""
from __future__ import annotations


def _logistics(module: str):
    """The logistics center's module, or None while that center is not installed."""
    import importlib

    try:
        return importlib.import_module(f"app.blueprints.logistics.{module}")
    except ModuleNotFoundError:
        return None


def choices() -> list[tuple[str, str]]:
    queries = _logistics("queries")
    return queries.carriers() if queries else []


def known(code: str | None) -> bool:
    return any(c == (code or "").strip() for c, _name in choices())


def name(code: str | None) -> str:
    queries = _logistics("queries")
    return queries.carrier_name(code) if queries else (code or "")


def check(code: str, waybill_no: str) -> str:
    """The normalised waybill number, or a DomainError on the field "carrier" or "waybill_no"."""
    from app.blueprints.logistics import services

    return services.check_waybill(code, waybill_no)


def issue(actor, code: str, **request) -> str:
    """An electronic waybill number from the carrier (reference, sender, receiver, items)."""
    services = _logistics("services")
    if services is None or not hasattr(services, "issue_waybill"):
        from flask_babel import gettext as _

        from app.core.errors import DomainError

        raise DomainError(_("Electronic waybills are not set up: type the carrier and waybill number instead."),
                          field="carrier")
    return services.issue_waybill(actor, code, **request)

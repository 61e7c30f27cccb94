"""Permissions named ``<center>.<action>``, declared by each center, checked on every view.

Every view function carries a declaration, set by one of the decorators below; a test walks
``app.url_map`` and fails when a route has none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from flask_babel import lazy_gettext as _l
from flask_login import current_user

PUBLIC = "public"
PLATFORM = "platform"
SUPPLIER = "supplier"

BUILTIN_ROLES = {
    "owner": _l("Owner"),
    "operations": _l("Operations"),
    "customer_service": _l("Customer service"),
    "warehouse": _l("Warehouse"),
    "finance": _l("Finance"),
    "purchasing": _l("Purchasing"),
}


@dataclass(frozen=True)
class Permission:
    code: str
    label: object
    center: object
    default_roles: tuple[str, ...] = field(default=())


REGISTRY: dict[str, Permission] = {}


def register(code: str, label, center, default_roles: tuple[str, ...] = ()) -> str:
    """Declare a permission; `default_roles` are the built-in roles that get it."""
    if "." not in code:
        raise ValueError(f"permission {code!r} must be named <center>.<action>")
    REGISTRY[code] = Permission(code, label, center, default_roles)
    return code


def defaults_for(role_code: str) -> list[str]:
    return sorted(p.code for p in REGISTRY.values() if role_code in p.default_roles)


def builtin_role_label(code: str) -> str:
    return str(BUILTIN_ROLES.get(code, code))


def grouped() -> list[tuple[str, list[Permission]]]:
    """Permissions grouped by center, for the role editor."""
    groups: dict[str, list[Permission]] = {}
    for perm in REGISTRY.values():
        groups.setdefault(str(perm.center), []).append(perm)
    return list(groups.items())


class MissingPermission(Exception):
    """The signed-in user lacks `permission`; rendered as a 403 page naming it."""

    def __init__(self, permission: str):
        self.permission = permission


def _mark(fn, kind: str):
    fn.permission = kind
    return fn


def public(fn):
    """Open to anyone (login pages, health)."""
    return _mark(fn, PUBLIC)


def _realm_user(realm: str):
    from app.extensions import login_manager

    if not current_user.is_authenticated or getattr(current_user, "realm", None) != realm:
        return login_manager.unauthorized()
    return None


def platform_staff(fn):
    """Only signed-in platform staff."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        refused = _realm_user("platform")
        return refused if refused is not None else fn(*args, **kwargs)

    return _mark(wrapper, PLATFORM)


def supplier_user(fn):
    """Only signed-in supplier accounts."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        refused = _realm_user("supplier")
        return refused if refused is not None else fn(*args, **kwargs)

    return _mark(wrapper, SUPPLIER)


def requires(code: str):
    """Only staff of the bound store whose role grants `code`."""
    if code not in REGISTRY:
        raise ValueError(f"unknown permission {code!r}: register it in the center's __init__.py")

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            refused = _realm_user("store")
            if refused is not None:
                return refused
            if not current_user.can(code):
                raise MissingPermission(code)
            return fn(*args, **kwargs)

        return _mark(wrapper, code)

    return decorate


def signed_in_staff(fn):
    """Any active staff member of the bound store (own account page, language)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        refused = _realm_user("store")
        return refused if refused is not None else fn(*args, **kwargs)

    return _mark(wrapper, "store.signed_in")


def can(code: str) -> bool:
    """For templates: may the current store user use `code`?"""
    return bool(current_user.is_authenticated and getattr(current_user, "realm", None) == "store"
                and current_user.can(code))


def check(code: str) -> None:
    """Raise MissingPermission unless the current store user has `code` (for bulk actions)."""
    if not can(code):
        raise MissingPermission(code)

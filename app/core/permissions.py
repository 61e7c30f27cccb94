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
    rank: int = 500          # the declaring center's position (role editor order)


REGISTRY: dict[str, Permission] = {}


def register(code: str, label, center, default_roles: tuple[str, ...] = (), rank: int = 500) -> str:
    """Declare a permission; `default_roles` are the built-in roles that get it. Centers
    declare theirs in their `Center(...)` (app/core/centers.py)."""
    if "." not in code:
        raise ValueError(f"permission {code!r} must be named <center>.<action>")
    REGISTRY[code] = Permission(code, label, center, default_roles, rank)
    return code


def sort_by_rank() -> None:
    """List the permissions in the centers' order, whatever order their packages loaded in."""
    ordered = sorted(REGISTRY.values(), key=lambda p: p.rank)
    REGISTRY.clear()
    REGISTRY.update((p.code, p) for p in ordered)


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


def _realm_only(realm: str, declaration: str):
    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            refused = _realm_user(realm)
            return refused if refused is not None else fn(*args, **kwargs)

        return _mark(wrapper, declaration)

    return decorate


platform_staff = _realm_only("platform", PLATFORM)
platform_staff.__doc__ = "Only signed-in platform staff."
supplier_user = _realm_only("supplier", SUPPLIER)
supplier_user.__doc__ = "Only signed-in supplier accounts."
# any active staff member of the bound store (own account page, language)
signed_in_staff = _realm_only("store", "store.signed_in")


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


def guard(view, realm: str, permission: str | None):
    """Wrap a class-based view's function with its realm's declaration (shared views)."""
    if realm == "platform":
        return platform_staff(view)
    if realm == "supplier":
        return supplier_user(view)
    return requires(permission)(view)


def can(code: str) -> bool:
    """For templates: may the current store user use `code`?"""
    return bool(current_user.is_authenticated and getattr(current_user, "realm", None) == "store"
                and current_user.can(code))


def check(code: str) -> None:
    """Raise MissingPermission unless the current store user has `code` (for bulk actions)."""
    if not can(code):
        raise MissingPermission(code)

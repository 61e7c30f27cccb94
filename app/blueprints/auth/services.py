"""Sign-in, password reset and the Flask-Login identity for the three kinds of account:
platform staff, store staff (valid in one store only) and supplier accounts."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.blueprints.platform.models import PlatformUser, SupplierAccount
from app.blueprints.members.models import Member
from app.blueprints.store.models import StaffUser
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.security import (BadToken, hash_password, make_token, needs_rehash, password_fingerprint,
                               read_token, verify_password)
from app.core.tenancy import bound_store
from app.extensions import db

MODELS = {"platform": PlatformUser, "supplier": SupplierAccount, "store": StaffUser, "shopper": Member}
STORE_REALMS = ("store", "shopper")   # accounts that live in one store's schema


def find_account(realm: str, email: str):
    """The account of `realm` with this email (case-insensitive), or None.
    For store staff the store must be bound."""
    model = MODELS[realm]
    return db.session.scalar(select(model).where(func.lower(model.email) == email.strip().lower()))


def _usable(user) -> bool:
    return user is not None and user.is_active


def authenticate(realm: str, email: str, password: str):
    """The account when email and password match an active account; None otherwise.
    Records the sign-in (last login, audit) so the caller only commits."""
    user = find_account(realm, email)
    if not verify_password(user.password_hash if user else None, password) or not _usable(user):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    if realm == "store":
        audit.record(user, "auth.login", user, label=user.email)
    elif realm == "shopper":
        pass  # shoppers' sign-ins are not staff actions
    else:
        audit.record_platform(user, f"auth.{realm}_login", user, label=user.email)
    return user


def load_identity(identity: str):
    """Flask-Login's user loader: ``platform:ID``, ``supplier:ID`` or ``store:STORE_ID:ID``.
    A store identity loads only while that same store is bound, so a session from
    store A is anonymous on store B."""
    kind, _, rest = identity.partition(":")
    try:
        if kind == "platform":
            user = db.session.get(PlatformUser, int(rest))
        elif kind == "supplier":
            user = db.session.get(SupplierAccount, int(rest))
        elif kind in STORE_REALMS:
            store_id, _, user_id = rest.partition(":")
            store = bound_store()
            if store is None or store.id != int(store_id):
                return None
            user = db.session.get(MODELS[kind], int(user_id))
        else:
            return None
    except ValueError:
        return None
    return user if _usable(user) else None


def _token_data(realm: str, user) -> dict:
    store = bound_store() if realm in STORE_REALMS else None
    return {"r": realm, "s": store.id if store else None, "u": user.id, "f": password_fingerprint(user.password_hash)}


def start_password_reset(realm: str, email: str):
    """(account, token) for an active account with this email, else None. The token works
    once: it dies when the password changes, and after RESET_TOKEN_MAX_AGE seconds."""
    user = find_account(realm, email)
    if not _usable(user):
        return None
    return user, make_token("reset", _token_data(realm, user))


def _account_from_token(purpose: str, realm: str, token: str, max_age: int):
    data = read_token(purpose, token, max_age)
    store = bound_store() if realm in STORE_REALMS else None
    if data.get("r") != realm or data.get("s") != (store.id if store else None):
        raise BadToken()
    user = db.session.get(MODELS[realm], data.get("u"))
    if user is None or password_fingerprint(user.password_hash) != data.get("f"):
        raise BadToken()
    return user


def check_reset_token(realm: str, token: str):
    """The account a reset link is for; raises BadToken when it is invalid, used or expired."""
    user = _account_from_token("reset", realm, token, current_app.config["RESET_TOKEN_MAX_AGE"])
    if not _usable(user):
        raise BadToken()
    return user


def reset_password(realm: str, token: str, password: str):
    """Set a new password through a reset link; the link cannot be used again."""
    user = check_reset_token(realm, token)
    user.password_hash = hash_password(password)
    if realm == "store":
        audit.record(user, "auth.password_reset", user, label=user.email)
    elif realm == "shopper":
        pass
    else:
        audit.record_platform(user, f"auth.{realm}_password_reset", user, label=user.email)
    return user


def change_password(user, current: str, new: str) -> None:
    """Change one's own password, given the current one."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is wrong."), field="current")
    user.password_hash = hash_password(new)
    if user.realm == "store":
        audit.record(user, "auth.password_changed", user, label=user.email)
    else:
        audit.record_platform(user, f"auth.{user.realm}_password_changed", user, label=user.email)

"""Platform operations: the life of a store (create, suspend, reactivate, delete), platform
staff and supplier accounts. Each function flushes and audits; the caller commits."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, null, select

from app.blueprints.platform import schema_pool
from app.blueprints.platform.models import DEFAULT_PLANS, Plan, PlatformUser, Store, SupplierAccount, SupplierLink
from app.core import audit, jobs
from app.core.db import utcnow
from app.core.errors import DomainError, DuplicateCode, IllegalTransition
from app.core.schemas import create_tenant_schema, drop_tenant_schema
from app.core.security import MIN_PASSWORD_LENGTH, hash_password
from app.core.tenancy import store_context
from app.extensions import db

SLUG_RE = re.compile(r"^[a-z0-9-]{3,40}$")
RESERVED_SLUGS = frozenset({
    "admin", "api", "app", "assets", "auth", "help", "houtai", "login", "logout", "mail", "platform",
    "public", "root", "shop", "static", "status", "store", "stores", "supplier", "support", "system",
    "www", "healthz", "new", "settings",
})
LOCALES = ("zh_CN", "en")
CURRENCIES = ("CNY", "USD", "EUR", "HKD", "JPY")

# allowed store status changes: from -> {to}
STORE_TRANSITIONS = {
    "active": {"suspended", "deleted"},
    "suspended": {"active", "deleted"},
    "deleted": set(),
}


def validate_slug(slug: str) -> str:
    """The normalised slug, or a DomainError that says what rule it broke."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise DomainError(_("Use 3 to 40 characters: lower-case letters a–z, digits and hyphens."), field="slug")
    if slug.startswith("-") or slug.endswith("-") or "--" in slug:
        raise DomainError(_("A hyphen cannot start or end the address, nor follow another hyphen."), field="slug")
    if slug in RESERVED_SLUGS:
        raise DomainError(_("“%(slug)s” is reserved. Choose another address.", slug=slug), field="slug")
    return slug


def _check_password(password: str, field: str = "owner_password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH), field=field)


def _email(value: str, field: str = "email") -> str:
    value = (value or "").strip()
    if "@" not in value or len(value) > 254:
        raise DomainError(_("Enter a valid email address."), field=field)
    return value


def create_store(actor, slug: str, name: str, owner_email: str, owner_password: str | None = None,
                 owner_name: str | None = None, plan_code: str | None = None, default_locale: str = "zh_CN",
                 timezone: str = "Asia/Shanghai", currency: str = "CNY") -> Store:
    """Create a store with its own schema, its tables, the built-in roles and its owner,
    all in the caller's transaction: if anything fails, no half store is left. The schema
    comes from the pool of pre-built ones when it has one (schema_pool.claim).

    With no owner password the owner is invited (the caller mails the returned
    store's `invitation_token`)."""
    from app.blueprints.store import services as store_services

    slug = validate_slug(slug)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the store a name."), field="name")
    owner_email = _email(owner_email, "owner_email")
    if owner_password:
        _check_password(owner_password)
    if default_locale not in LOCALES:
        raise DomainError(_("Choose a supported language."), field="default_locale")
    if currency not in CURRENCIES:
        raise DomainError(_("Choose a supported currency."), field="currency")
    # one round trip: is the slug free, the plan's id, and the store's id ahead of its INSERT
    # (so that the schema is named and claimed before the row is written, in one INSERT)
    taken, plan_id, store_id = db.session.execute(select(
        select(Store.id).where(Store.slug == slug, Store.status != "deleted").limit(1).scalar_subquery(),
        select(Plan.id).where(Plan.code == plan_code).scalar_subquery() if plan_code else null(),
        func.nextval(func.pg_get_serial_sequence("platform.stores", "id")))).one()
    if taken:
        raise DuplicateCode(_("The address “%(slug)s” is taken. Choose another.", slug=slug), field="slug")
    schema = f"store_{store_id}"
    version = schema_pool.claim(schema) or create_tenant_schema(db.session.connection(), schema)
    store = Store(id=store_id, slug=slug, name=name, owner_email=owner_email, plan_id=plan_id,
                  default_locale=default_locale, timezone=timezone, currency=currency, status="active",
                  schema_name=schema, schema_version=version, staff_count=1, last_activity_at=utcnow())
    db.session.add(store)
    db.session.flush()
    if schema_pool.pool_size():
        jobs.after_commit(lambda: jobs.enqueue("app.blueprints.platform.jobs.refill_schema_pool"))
    with store_context(store):
        owner, token = store_services.seed_store(owner_email, owner_name or owner_email.split("@")[0],
                                                 owner_password)
        audit.record(actor, "store.created", owner, label=name, activity_touched=True)
        db.session.flush()
    store.invitation_token = token
    audit.record_platform(actor, "store.created", store, label=slug,
                          changes=audit.snapshot(store, ["slug", "name", "owner_email", "schema_name"]))
    return store


def _transition(store: Store, to: str) -> str:
    if to not in STORE_TRANSITIONS[store.status]:
        raise IllegalTransition(_("A %(from)s store cannot become %(to)s.", **{"from": store.status, "to": to}))
    before, store.status = store.status, to
    return before


def suspend_store(actor, store: Store, reason: str = "") -> Store:
    """Staff and shoppers then get the 'suspended' page; the data stays untouched."""
    before = _transition(store, "suspended")
    store.suspended_at = utcnow()
    store.suspend_reason = (reason or "").strip()[:500] or None
    audit.record_platform(actor, "store.suspended", store, label=store.slug,
                          changes={"status": [before, "suspended"], "reason": [None, store.suspend_reason]})
    return store


def reactivate_store(actor, store: Store) -> Store:
    before = _transition(store, "active")
    store.suspended_at = None
    store.suspend_reason = None
    audit.record_platform(actor, "store.reactivated", store, label=store.slug, changes={"status": [before, "active"]})
    return store


def delete_store(actor, store: Store, confirmation: str) -> Store:
    """Drop the store's schema for good; the platform keeps the store's record.
    `confirmation` must repeat the slug."""
    if (confirmation or "").strip() != store.slug:
        raise DomainError(_("Type the store address “%(slug)s” exactly to confirm.", slug=store.slug),
                          field="confirmation")
    before = _transition(store, "deleted")
    drop_tenant_schema(db.session.connection(), store.schema_name)
    store.deleted_at = utcnow()
    db.session.execute(db.delete(SupplierLink).where(SupplierLink.store_id == store.id))
    audit.record_platform(actor, "store.deleted", store, label=store.slug, changes={"status": [before, "deleted"]})
    return store


def update_store_settings(actor, store_id: int, name: str, default_locale: str, timezone: str,
                          currency: str) -> Store:
    """Settings a store's owner edits; audited in the store's own log."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    store = db.session.get(Store, store_id)
    if not (name or "").strip():
        raise DomainError(_("Give the store a name."), field="name")
    if default_locale not in LOCALES:
        raise DomainError(_("Choose a supported language."), field="default_locale")
    if currency not in CURRENCIES:
        raise DomainError(_("Choose a supported currency."), field="currency")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(_("Unknown time zone; use a name such as Asia/Shanghai."), field="timezone")
    store.name, store.default_locale, store.timezone, store.currency = name.strip(), default_locale, timezone, currency
    changes = audit.changes_of(store, {"name", "default_locale", "timezone", "currency"})
    if changes:
        from app.core.outbox import emit

        audit.record(actor, "store.settings_changed", None, changes=changes, label=store.name)
        emit("store.settings_changed", {"changes": changes})
    return store


def create_platform_user(actor, email: str, name: str, password: str) -> PlatformUser:
    email = _email(email)
    _check_password(password, "password")
    if db.session.scalar(select(PlatformUser.id).where(func.lower(PlatformUser.email) == email.lower())):
        raise DuplicateCode(_("An account with this email exists already."), field="email")
    user = PlatformUser(email=email, name=(name or email).strip(), password_hash=hash_password(password))
    db.session.add(user)
    audit.record_platform(actor, "platform_user.created", user, label=email)
    return user


def set_platform_user_active(actor, user: PlatformUser, active: bool) -> PlatformUser:
    if actor is not None and actor.id == user.id and not active:
        raise DomainError(_("You cannot disable your own account."))
    user.active = active
    audit.record_platform(actor, "platform_user.enabled" if active else "platform_user.disabled", user,
                          label=user.email, changes=audit.changes_of(user))
    return user


def create_supplier_account(actor, email: str, name: str, company: str, password: str) -> SupplierAccount:
    email = _email(email)
    _check_password(password, "password")
    if db.session.scalar(select(SupplierAccount.id).where(func.lower(SupplierAccount.email) == email.lower())):
        raise DuplicateCode(_("An account with this email exists already."), field="email")
    account = SupplierAccount(email=email, name=(name or email).strip(), company=(company or "").strip(),
                              password_hash=hash_password(password))
    db.session.add(account)
    audit.record_platform(actor, "supplier_account.created", account, label=email)
    return account


def link_supplier(actor, account: SupplierAccount, store_slug: str, supplier_code: str) -> SupplierLink:
    """Let a supplier account serve a store, as that store's supplier `supplier_code`."""
    store = db.session.scalar(select(Store).where(Store.slug == store_slug.strip(), Store.status != "deleted"))
    if store is None:
        raise DomainError(_("No store has that address."), field="store_slug")
    code = (supplier_code or "").strip()
    if not code:
        raise DomainError(_("Give the supplier's code in that store."), field="supplier_code")
    if any(link.store_id == store.id for link in account.links):
        raise DuplicateCode(_("This account is linked to that store already."), field="store_slug")
    link = SupplierLink(account=account, store=store, supplier_code=code)
    db.session.add(link)
    audit.record_platform(actor, "supplier_account.linked", account, label=account.email,
                          changes={"store": [None, store.slug], "supplier_code": [None, code]})
    return link


def ensure_plans() -> None:
    """The default plans; idempotent."""
    defaults = [(code, DEFAULT_PLANS[code][0], staff, price)
                for code, staff, price in (("free", 3, 0), ("standard", 20, 29900), ("pro", 200, 99900))]
    existing = set(db.session.scalars(select(Plan.code)))
    for code, name, staff, price in defaults:
        if code not in existing:
            db.session.add(Plan(code=code, name=name, max_staff=staff, price_minor=price))


def link_supplier_account(actor, account_id: int, store_id: int, supplier_code: str) -> SupplierLink:
    """Link a supplier (its first account) to a store whose purchasing approved it; idempotent."""
    account = db.session.get(SupplierAccount, account_id)
    if account is None:
        raise DomainError(_("That supplier account no longer exists."))
    account = db.session.get(SupplierAccount, account.supplier_id)
    link = db.session.scalar(select(SupplierLink).where(SupplierLink.account_id == account.id,
                                                        SupplierLink.store_id == store_id))
    if link is not None:
        link.supplier_code = supplier_code
        return link
    link = SupplierLink(account_id=account.id, store_id=store_id, supplier_code=supplier_code)
    db.session.add(link)
    audit.record_platform(actor, "supplier_account.linked", account, label=account.email,
                          changes={"store": [None, store_id], "supplier_code": [None, supplier_code]})
    return link


def register_supplier(email: str, name: str, company: str, password: str) -> SupplierAccount:
    """A supplier signs up in the portal: its first account, the supplier's admin."""
    if not (company or "").strip():
        raise DomainError(_("Give the company's registered name."), field="company")
    account = create_supplier_account(None, email, name, company, password)
    account.role = "admin"
    return account


def add_supplier_user(admin: SupplierAccount, email: str, name: str, role: str, password: str) -> SupplierAccount:
    """A supplier's admin adds a user of the same supplier with a role."""
    from app.blueprints.platform.models import SUPPLIER_ROLES

    if admin.role != "admin":
        raise DomainError(_("Only the supplier's admin manages its users."))
    if role not in SUPPLIER_ROLES:
        raise DomainError(_("Choose a role."), field="role")
    owner = db.session.get(SupplierAccount, admin.supplier_id)
    user = create_supplier_account(admin, email, name, owner.company, password)
    user.org_id, user.role = owner.id, role
    return user


def set_supplier_user(admin: SupplierAccount, user_id: int, role: str, active: bool) -> SupplierAccount:
    """Change a user's role or switch it off; only within the admin's own supplier, and never
    the supplier's first account (it holds the links to the stores)."""
    from app.blueprints.platform.models import SUPPLIER_ROLES

    if admin.role != "admin":
        raise DomainError(_("Only the supplier's admin manages its users."))
    user = db.session.get(SupplierAccount, user_id)
    if user is None or user.org_id != admin.supplier_id:
        raise DomainError(_("That user does not work for your company."))
    if role not in SUPPLIER_ROLES:
        raise DomainError(_("Choose a role."), field="role")
    user.role, user.active = role, bool(active)
    audit.record_platform(admin, "supplier_account.updated", user, label=user.email, changes=audit.changes_of(user))
    return user


def record_store_usage(store_id: int, **figures) -> None:
    """Write one store's row of the usage summary (days, orders, gmv, refunds, currency, bytes,
    refreshed_at), replacing what it held. Called from inside the store (finance's periodic job)."""
    from sqlalchemy.dialects.postgresql import insert

    from app.blueprints.platform.models import StoreUsage

    stmt = insert(StoreUsage).values(store_id=store_id, **figures)
    db.session.execute(stmt.on_conflict_do_update(index_elements=[StoreUsage.store_id], set_=figures))

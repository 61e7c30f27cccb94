"""Platform administration: stores, platform staff, supplier accounts, health, mail."""
from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp
from flask import Blueprint

from app.core.centers import Center

bp = Blueprint("platform", __name__, url_prefix="/platform")

center = Center(__name__, position=20, blueprints=[bp], models=["models"], jobs=["jobs"],
    audit_actions={"store.created": _l("Store opened"), "store.suspended": _l("Store suspended"),
                   "store.reactivated": _l("Store reactivated"), "store.deleted": _l("Store deleted"),
                   "platform_user.created": _l("Platform staff added"),
                   "platform_user.enabled": _l("Platform staff enabled"),
                   "platform_user.disabled": _l("Platform staff disabled"),
                   "supplier_account.created": _l("Supplier account created"),
                   "supplier_account.linked": _l("Supplier linked to a store"),
                   "supplier_account.updated": _l("Supplier user's role or sign-in changed")},
    audit_fields={"store.status": (_l("Status"), {"active": _l("Active"), "suspended": _l("Suspended"),
                                                   "deleted": _l("Deleted")}),
                  "slug": _lp("web address of a store", "Address"), "default_locale": _l("Default language"),
                  "timezone": _l("Time zone"), "currency": _l("Currency"), "owner_email": _l("Owner email"),
                  "store.schema_name": _l("Database schema"), "store.reason": _l("Reason"),
                  "supplier_account.store": _l("Store"), "supplier_account.supplier_code": _l("Supplier code")},
)

from app.blueprints.platform import jobs_views, views  # noqa: E402,F401

"""Sign-in for the three kinds of account. The URLs sit under each realm's prefix
(/platform, /store/<slug>, /supplier); the logic is shared."""
from flask_babel import lazy_gettext as _l
from flask import Blueprint

from app.core.centers import Center
from app.core.tenancy import StoreBlueprint

platform_bp = Blueprint("platform_auth", __name__, url_prefix="/platform")
supplier_bp = Blueprint("supplier_auth", __name__, url_prefix="/supplier")
store_bp = StoreBlueprint("store_auth", __name__)
shop_bp = StoreBlueprint("shop_auth", __name__, base="/shop")

center = Center(__name__, position=10, blueprints=[platform_bp, supplier_bp, store_bp, shop_bp],
    audit_actions={**{f"auth.{realm}login": _l("Signed in") for realm in ("", "platform_", "supplier_")},
                   **{f"auth.{realm}password_reset": _l("Password reset by email")
                      for realm in ("", "platform_", "supplier_")},
                   **{f"auth.{realm}password_changed": _l("Password changed") for realm in ("", "platform_", "supplier_")}},
)

from app.blueprints.auth import views  # noqa: E402,F401

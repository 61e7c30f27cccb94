"""The storefront: shopper pages under /shop/<slug>/ (the JSON API comes next)."""
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("storefront", __name__, base="/shop")

from app.blueprints.storefront import views  # noqa: E402,F401

"""The storefront: shopper pages under /shop/<slug>/, the shopper JSON API under
/api/v1/shop/<slug>/ and its OpenAPI document."""
from app.core.centers import Center
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("storefront", __name__, base="/shop")

center = Center(__name__, position=90, blueprints=[bp, "api:api", "openapi:doc_bp", "root:root_bp"])

from app.blueprints.storefront import group_api, group_views, guest_api, service_api, views  # noqa: E402,F401

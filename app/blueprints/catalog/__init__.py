"""Product center (商品中心): categories, brands, attribute templates, products and SKUs."""
from flask_babel import lazy_gettext as _l

from app.core import menu
from app.core.permissions import register
from app.core.tenancy import StoreBlueprint

CENTER = _l("Products")
ALL_STAFF = ("operations", "customer_service", "warehouse", "finance", "purchasing")

register("catalog.view", _l("See products"), CENTER, ALL_STAFF)
register("catalog.edit", _l("Create and edit products, SKUs and prices"), CENTER, ("operations",))
register("catalog.publish", _l("Put products on sale and take them off"), CENTER, ("operations",))
register("catalog.setup", _l("Edit categories, brands and attribute templates"), CENTER, ("operations",))

bp = StoreBlueprint("catalog", __name__, url_prefix="/catalog")

menu.add("catalog.products", _l("Products"), "catalog.view", order=100, section=CENTER)
menu.add("catalog.categories", _l("Categories"), "catalog.setup", order=110, section=CENTER)
menu.add("catalog.brands", _l("Brands"), "catalog.setup", order=120, section=CENTER)
menu.add("catalog.templates", _l("Attribute templates"), "catalog.setup", order=130, section=CENTER)

from app.blueprints.catalog import views, setup_views  # noqa: E402,F401

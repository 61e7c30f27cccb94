"""Product center (商品中心): categories, brands, attribute templates, products and SKUs."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

ALL_STAFF = ("operations", "customer_service", "warehouse", "finance", "purchasing")

bp = StoreBlueprint("catalog", __name__, url_prefix="/catalog")

center = Center(
    __name__, _l("Products"), position=40, blueprints=[bp], models=["models"], jobs=["jobs"],
    topics={"product.published": _l("A product went on sale"),
            "product.unpublished": _l("A product was taken off sale"),
            "sku.price_changed": _l("A SKU's sale price changed")},
    permissions=[Perm("catalog.view", _l("See products"), ALL_STAFF),
                 Perm("catalog.edit", _l("Create and edit products, SKUs and prices"), ("operations",)),
                 Perm("catalog.publish", _l("Put products on sale and take them off"), ("operations",)),
                 Perm("catalog.setup", _l("Edit categories, brands and attribute templates"), ("operations",))],
    menu=[Entry("catalog.products", _l("Products"), "catalog.view", order=100),
          Entry("catalog.categories", _l("Categories"), "catalog.setup", order=110),
          Entry("catalog.brands", _l("Brands"), "catalog.setup", order=120),
          Entry("catalog.templates", _l("Attribute templates"), "catalog.setup", order=130)],
)

from app.blueprints.catalog import views, setup_views  # noqa: E402,F401

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
    audit_actions={"product.*": _l("Product"), "product.created": _l("Product created"),
                   "product.updated": _l("Product edited"), "product.deleted": _l("Product deleted"),
                   "product.sku_grid": _l("SKUs edited"), "product.tagged": _l("Products tagged"),
                   "product.scheduled": _l("Sale scheduled"), "product.schedule_refused": _l("Scheduled sale refused"),
                   "product.moved": _l("Product moved to another category"), "product.image_added": _l("Image added"),
                   "product.image_removed": _l("Image removed"), "price.tier_added": _l("Tier price added"),
                   "price.tier_removed": _l("Tier price removed"), "category.created": _l("Category created"),
                   "category.updated": _l("Category edited"), "category.moved": _l("Category moved"),
                   "category.enabled": _l("Category enabled"), "category.disabled": _l("Category disabled"),
                   "brand.created": _l("Brand created"), "brand.updated": _l("Brand edited"),
                   "attribute_template.created": _l("Attribute template created"),
                   "attribute.created": _l("Attribute added"), "attribute.deleted": _l("Attribute removed"),
                   "sku.customs": _l("Customs data of a SKU edited")},
    audit_fields={"title": _l("Title"), "category_id": _l("Category"), "products": _l("Products"),
                  "price": _l("Price"), "list_price": _l("List price"), "cost": _l("Cost"), "enabled": _l("Enabled"),
                  "name_en": _l("English name"), "template_id": _l("Attribute template"), "parent_id": _l("Parent category"),
                  "hs_code": _l("HS code"), "origin_country": _l("Country of origin"),
                  "declared_value": _l("Declared value"), "consumption_tax_bp": _l("Consumption tax (basis points)"),
                  "duty_bp": _l("General duty (basis points)")},
)

from app.blueprints.catalog import views, setup_views  # noqa: E402,F401

"""Promotion center (促销中心): the pricing pipeline that explains every discount, promotions
(limited-time discounts, 满减, 满折, N件M折, 满赠, 包邮), coupons, flash sales and group buys."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("promotions", __name__, url_prefix="/promotions")

center = Center(
    __name__, _l("Promotions"), position=78, blueprints=[bp], models=["models"], jobs=["jobs"],
    handlers=["handlers"],
    topics={"group_buy.succeeded": _l("A group buy filled: its orders ship"),
            "group_buy.refund_due": _l("A failed group buy's order must be refunded by hand"),
            "group_buy.refunded_by_hand": _l("A failed group buy's order was refunded by hand")},
    audit_fields={"group_buy.name": _l("Name"), "group_buy.sku_id": _l("SKU"), "group_buy.group_price": _l("Group price"),
                  "group_buy.group_size": _l("Shoppers per group"),
                  "group_buy.time_limit_minutes": _l("Minutes a group has to fill"),
                  "group_buy.starts_at": _l("Starts"), "group_buy.ends_at": _l("Ends"),
                  "group_buy.status": (_l("Status"), {"draft": _l("Draft"), "active": _l("Live"),
                                                       "ended": _l("Ended")})},
    audit_actions={"group_buy.saved": _l("Group buy saved"), "group_buy.status": _l("Group buy published or ended"),
                   "group_buy.refunded_by_hand": _l("Group buy order refunded by hand"),
                   "promotion.created": _l("Promotion created"), "promotion.changed": _l("Promotion changed"),
                   "promotion.status": _l("Promotion published, paused or ended"),
                   "coupon.template_saved": _l("Coupon template saved"), "coupon.granted": _l("Coupons granted"),
                   "coupon.codes_generated": _l("Coupon codes generated")},
    permissions=[Perm("promotions.view", _l("See promotions, coupons and their figures"),
                      ("operations", "customer_service")),
                 Perm("promotions.manage", _l("Create, publish and end promotions and coupons"), ("operations",))],
    menu=[Entry("promotions.promotions", _l("Promotions"), "promotions.view", order=78),
          Entry("promotions.coupons", _l("Coupons"), "promotions.view", order=79),
          Entry("promotions.flash_sessions", _l("Flash sales"), "promotions.view", order=80),
          Entry("promotions.group_buys", _l("Group buys"), "promotions.view", order=80),
          Entry("promotions.simulator", _l("Price simulator"), "promotions.view", order=81)],
)

from app.blueprints.promotions import views  # noqa: E402,F401

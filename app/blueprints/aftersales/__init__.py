"""After-sales center (售后): shoppers' requests for a refund, a return or an exchange, the
store's answers and rules, return parcels, inspection back into stock, refunds through the
payment center and replacements through dispatch."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("aftersales", __name__, url_prefix="/aftersales")
shop_bp = StoreBlueprint("aftersales_shop", __name__, base="/shop", url_prefix="/aftersales")

center = Center(
    __name__, _l("After-sales"), position=75, blueprints=[bp, shop_bp], models=["models"], jobs=["jobs"],
    handlers=["handlers"],
    topics={"aftersales.requested": _l("A shopper asked for a refund, return or exchange"),
            "aftersales.updated": _l("An after-sales request moved a step"),
            "aftersales.closed": _l("An after-sales request ended")},
    permissions=[Perm("aftersales.view", _l("See after-sales requests and their photos"),
                      ("operations", "customer_service", "warehouse", "finance")),
                 Perm("aftersales.manage", _l("Approve and reject after-sales requests"),
                      ("operations", "customer_service")),
                 Perm("aftersales.inspect", _l("Receive and inspect returned goods"), ("operations", "warehouse")),
                 Perm("aftersales.settings", _l("Change after-sales rules, reasons and return addresses"))],
    menu=[Entry("aftersales.requests", _l("After-sales requests"), "aftersales.view", order=70),
          Entry("aftersales.reasons", _l("After-sales reasons"), "aftersales.settings", order=72),
          Entry("aftersales.settings_page", _l("After-sales settings"), "aftersales.settings", order=74)],
    audit_actions={"aftersales.*": _l("After-sales request"),
                   "aftersales.settings_changed": _l("After-sales settings changed"),
                   "aftersales.reason_created": _l("After-sales reason added"),
                   "aftersales.reason_changed": _l("After-sales reason changed"),
                   "aftersales.return_address_saved": _l("Return address saved")},
    audit_fields={"auto_approve_unshipped": _l("Approve refunds before shipment automatically"),
                  "auto_approve_under": _l("Approve automatically up to"), "refund_shipping": _l("Shipping refunded"),
                  "reply_hours": _l("Hours to answer"), "ship_back_days": _l("Days to send goods back"),
                  "quarantine_warehouse_id": _l("Quarantine warehouse"), "return_shipping_payer":
                  _l("Return shipping paid by")},
)

from app.blueprints.aftersales import views, shop_views  # noqa: E402,F401

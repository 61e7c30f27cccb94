"""Invoices for shoppers (发票): a shopper asks for an invoice on a paid order — personal, or a
company with its tax number — staff record the invoice the tax system issued (number, date, PDF)
or have an e-invoice provider issue it, and the shopper downloads it."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("invoices", __name__, url_prefix="/invoices")
shop_bp = StoreBlueprint("invoices_shop", __name__, base="/shop", url_prefix="/invoices")

center = Center(
    __name__, _l("Invoices"), position=78, blueprints=[bp, shop_bp], models=["models"],
    topics={"invoice.requested": _l("A shopper asked for an invoice"),
            "invoice.issued": _l("An invoice was issued for an order")},
    permissions=[Perm("invoices.view", _l("See invoice requests and issued invoices"),
                      ("operations", "customer_service", "finance")),
                 Perm("invoices.issue", _l("Record issued invoices"), ("finance",))],
    menu=[Entry("invoices.requests", _l("Invoices"), "invoices.view", order=76)],
    audit_actions={"invoices.*": _l("Invoice"), "invoices.issued": _l("Invoice issued")},
)

from app.blueprints.invoices import shop_views, views  # noqa: E402,F401

"""Purchasing (采购中心) and the supplier portal: suppliers and their applications, what they
supply, replenishment suggestions, purchase orders, shipping notices, receiving, returns,
supplier invoices and scorecards. The portal (/supplier/...) is one sign-in for every store a
supplier serves; under /supplier/stores/<slug>/... it sees only its own business with that store."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("purchasing", __name__, url_prefix="/purchasing")
portal_bp = Blueprint("portal", __name__, url_prefix="/supplier")
portal_store_bp = StoreBlueprint("portal_store", __name__, base="/supplier/stores")

center = Center(
    __name__, _l("Purchasing"), position=80, blueprints=[bp, portal_bp, portal_store_bp],
    models=["models"], jobs=["jobs"], handlers=["handlers"],
    topics={"purchasing.invoice_matched": _l("A supplier invoice matched its order and receipts and is due"),
            "purchasing.payment_recorded": _l("A payment to a supplier was recorded"),
            "purchasing.returned_to_supplier": _l("Goods went back to a supplier")},
    permissions=[
        Perm("purchasing.view", _l("See suppliers, purchase orders, shipping notices and supplier invoices"),
             ("purchasing", "operations", "warehouse", "finance")),
        Perm("purchasing.suppliers", _l("Manage suppliers, their applications and what they supply"), ("purchasing",)),
        Perm("purchasing.orders", _l("Write, submit, send and cancel purchase orders; work the suggestions"),
             ("purchasing",)),
        Perm("purchasing.approve", _l("Approve purchase orders above the store's approval amount")),
        Perm("purchasing.receive", _l("Receive suppliers' shipments and return goods to suppliers"), ("warehouse",)),
        Perm("purchasing.invoices", _l("Enter supplier invoices, accept match exceptions and record payments"),
             ("finance",)),
        Perm("purchasing.settings", _l("Change the purchasing settings")),
    ],
    menu=[Entry("purchasing.dashboard", _l("Purchasing"), "purchasing.view", order=300),
          Entry("purchasing.suppliers", _l("Suppliers"), "purchasing.view", order=301),
          Entry("purchasing.applications", _l("Supplier applications"), "purchasing.suppliers", order=302),
          Entry("purchasing.supplier_skus", _l("Supplier SKUs"), "purchasing.view", order=303),
          Entry("purchasing.suggestions", _l("Replenishment suggestions"), "purchasing.view", order=304),
          Entry("purchasing.orders", _l("Purchase orders"), "purchasing.view", order=305),
          Entry("purchasing.asns", _l("Shipping notices"), "purchasing.view", order=306),
          Entry("purchasing.invoices", _l("Supplier invoices"), "purchasing.view", order=307),
          Entry("purchasing.payments", _l("Supplier payments"), "purchasing.view", order=308),
          Entry("purchasing.settings", _l("Purchasing settings"), "purchasing.settings", order=309)],
    audit_actions={"purchasing.settings": _l("Purchasing settings changed"), "supplier.created": _l("Supplier added"),
                   "supplier.updated": _l("Supplier edited"), "supplier.contact_added": _l("Supplier contact added"),
                   "supplier.contact_removed": _l("Supplier contact removed"),
                   "supplier.document_added": _l("Supplier document added"),
                   "supplier.invited": _l("Supplier invited to apply"),
                   "supplier.application_approved": _l("Supplier application approved"),
                   "supplier.application_rejected": _l("Supplier application rejected"),
                   "supplier_sku.saved": _l("Supplier SKU saved"), "supplier_sku.removed": _l("Supplier SKU removed"),
                   "supplier_invoice.paid": _l("Supplier invoice paid"),
                   "supplier_invoice.accepted": _l("Supplier invoice's match exception accepted"),
                   "supplier_payment.recorded": _l("Supplier payment recorded"), "purchase_order.*": _l("Purchase order")},
    audit_fields={"approval_threshold": _l("Approval amount"), "open_to_applications": _l("Open to applications"),
                  "over_tolerance_pct": _l("Over-delivery tolerance"), "under_tolerance_pct": _l("Under-delivery tolerance"),
                  "velocity_days": _l("Sales window (days)"), "cover_days": _l("Days of cover"),
                  "default_tax_rate": _l("Default tax rate"), "rating": _l("Rating"), "credit_code": _l("Credit code"),
                  "bank_account": _l("Bank account"), "lead_time_days": _l("Lead time (days)"), "price": _l("Price"),
                  "price_tolerance_pct": _l("Invoice price tolerance"),
                  "quantity_tolerance_pct": _l("Invoice quantity tolerance"),
                  "payment_terms_days": _l("Payment terms (days)")},
)

from app.blueprints.purchasing import views, portal  # noqa: E402,F401

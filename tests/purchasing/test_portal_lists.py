"""The supplier portal's lists through the shared portal page base: a supplier sees only its own
rows of the store (not the store's other supplier's), a supplier of another store, the store's
owner and anonymous visitors are refused, and the list costs the same for 3 rows as for 30
(tests/purchasing/test_portal_access.py walks every portal route with the ids of others)."""
from datetime import date

from sqlalchemy import select

from app.blueprints.purchasing import orders, payables
from app.blueprints.purchasing.models import Asn, PurchaseOrder, SupplierInvoice, SupplierPayment, SupplierReturn
from tests import factories as f
from tests.support.crud import PortalPages


def _received(store, supplier):
    return f.purchase_order(store, supplier, lines=[(f.sku(store), 6)], state="received")


def _notice(store, po):
    return f.read(store, lambda: f.db_session().scalar(
        select(Asn).where(Asn.supplier_id == po.supplier_id, Asn.lines.any(po_line_id=po.lines[0].id))))


def _invoice(store, supplier):
    po = _received(store, supplier)
    with f.bound(store, request=True):
        return orders.enter_invoice(None, po, f.unique("INV"), date.today(), {po.lines[0].id: 6})


class TestPortalOrderPages(PortalPages):
    list_path = "orders"
    model = PurchaseOrder
    few, many = 3, 12

    def make(self, store, supplier, i):
        return f.purchase_order(store, supplier, state="sent")


class TestPortalNoticePages(PortalPages):
    list_path = "asns"
    model = Asn
    few, many = 3, 12

    def make(self, store, supplier, i):
        return _notice(store, f.purchase_order(store, supplier, state="shipped"))


class TestPortalReceiptPages(PortalPages):
    list_path = "receipts"
    model = Asn
    few, many = 3, 12

    def make(self, store, supplier, i):
        return _notice(store, _received(store, supplier))


class TestPortalReturnPages(PortalPages):
    list_path = "returns"
    model = SupplierReturn
    few, many = 3, 12

    def make(self, store, supplier, i):
        po = _received(store, supplier)
        with f.bound(store, request=True):
            return orders.return_to_supplier(None, po, {po.lines[0].id: 1}, "破损")


class TestPortalInvoicePages(PortalPages):
    list_path = "invoices"
    model = SupplierInvoice
    few, many = 3, 12

    def make(self, store, supplier, i):
        return _invoice(store, supplier)


class TestPortalPaymentPages(PortalPages):
    list_path = "payments"
    model = SupplierPayment
    few, many = 3, 12

    def make(self, store, supplier, i):
        invoice = _invoice(store, supplier)
        with f.bound(store, request=True):
            return payables.pay_in_full(None, invoice, date.today(), reference=f.unique("BANK"))

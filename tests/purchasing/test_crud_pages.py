"""The purchasing back office's pages through the shared page test base: suppliers, their SKUs,
applications, purchase orders, shipping notices, supplier invoices and payments, replenishment
suggestions: permission, another store's row out of reach, bad forms refused, rows in a fixed
number of queries (tests/purchasing/test_pages.py counts every purchasing list as well)."""
from datetime import date

from sqlalchemy import select

from app.blueprints.purchasing.models import (Asn, PurchaseOrder, Suggestion, Supplier, SupplierApplication,
                                              SupplierInvoice, SupplierPayment, SupplierSku)
from tests import factories as f
from tests.support.crud import StorePages


class TestSupplierPages(StorePages):
    list_path = "purchasing/suppliers"
    create_path = "purchasing/suppliers/new"
    edit_path = "purchasing/suppliers/{id}/edit"
    detail_path = "purchasing/suppliers/{id}"
    permission = "purchasing.suppliers"
    list_permission = "purchasing.view"
    model = Supplier
    form = {"code": "SUP-NEW", "name": "新供应商", "status": "active", "rating": "3", "categories": "服装",
            "lead_time_days": "5", "payment_terms_days": "30"}
    bad_form = {"lead_time_days": "forever"}

    def make(self, store, i):
        return f.supplier_record(store, code=f"S{i:03d}", name=f"供应商{i}")

    def edit_data(self, row):
        return {**self.form, "code": row.code, "name": row.name}


class TestPurchaseOrderPages(StorePages):
    list_path = "purchasing/purchase-orders"
    detail_path = "purchasing/purchase-orders/{id}"
    permission = "purchasing.view"
    model = PurchaseOrder
    few, many = 3, 12

    def make(self, store, i):
        return f.purchase_order(store)


def _received_order(store):
    """A received purchase order of one new SKU × 10 (so its notice is received too)."""
    return f.purchase_order(store, lines=[(f.sku(store), 10)], state="received")


class TestSupplierSkuPages(StorePages):
    list_path = "purchasing/supplier-skus"
    create_path = "purchasing/supplier-skus/new"
    edit_path = "purchasing/supplier-skus/{id}/edit"
    permission = "purchasing.suppliers"
    list_permission = "purchasing.view"
    model = SupplierSku
    bad_form = {"moq": "0"}
    few, many = 3, 12

    def make(self, store, i):
        sku = f.sku(store)
        row = f.supplier_sku(store, f.supplier_record(store), sku)
        row.sku_code = sku.code             # for the edit form (the link keeps the SKU's id only)
        return row

    def shown(self, row):
        return row.supplier_code

    def create_data(self, store):
        supplier, sku = f.supplier_record(store), f.sku(store)
        return {"supplier_id": str(supplier.id), "sku_code": sku.code, "supplier_code": f.unique("SC"),
                "price": "4.50", "moq": "1", "pack_size": "1", "lead_time_days": "5"}

    def edit_data(self, row):
        return {"supplier_id": str(row.supplier_id), "sku_code": row.sku_code, "supplier_code": row.supplier_code,
                "price": "5.00", "moq": "2", "pack_size": "1", "lead_time_days": "5"}


class TestSupplierApplicationPages(StorePages):
    list_path = "purchasing/applications"
    detail_path = "purchasing/applications/{id}"
    permission = "purchasing.suppliers"
    model = SupplierApplication

    def make(self, store, i):
        from app.blueprints.purchasing import services

        applicant = f.supplier()
        with f.bound(store, request=True):
            services.invite(None, applicant.email)
            return services.apply(applicant, company=f.unique("申请公司"), credit_code="91110000600037341L",
                                  contact_name="王", contact_email=applicant.email,
                                  files=[("licence.pdf", b"%PDF-1.4")])

    def shown(self, row):
        return row.company


class TestShippingNoticePages(StorePages):
    list_path = "purchasing/asns"
    detail_path = "purchasing/asns/{id}"
    permission = "purchasing.view"
    model = Asn
    few, many = 3, 12

    def make(self, store, i):
        po = f.purchase_order(store, state="shipped")
        return f.read(store, lambda: f.db_session().scalar(select(Asn).where(Asn.supplier_id == po.supplier_id)))


class TestSupplierInvoicePages(StorePages):
    list_path = "purchasing/supplier-invoices"
    detail_path = "purchasing/supplier-invoices/{id}"
    permission = "purchasing.view"
    model = SupplierInvoice
    few, many = 3, 12

    def make(self, store, i):
        from app.blueprints.purchasing import orders

        po = _received_order(store)
        with f.bound(store, request=True):
            return orders.enter_invoice(None, po, f.unique("INV"), date.today(), {po.lines[0].id: 10})


class TestSupplierPaymentPages(StorePages):
    list_path = "purchasing/supplier-payments"
    detail_path = "purchasing/supplier-payments/{id}"
    permission = "purchasing.view"
    model = SupplierPayment
    few, many = 3, 12

    def make(self, store, i):
        from app.blueprints.purchasing import orders, payables

        po = _received_order(store)
        with f.bound(store, request=True):
            invoice = orders.enter_invoice(None, po, f.unique("INV"), date.today(), {po.lines[0].id: 10})
            return payables.pay_in_full(None, invoice, date.today(), reference=f.unique("BANK"))


class TestReplenishmentSuggestionPages(StorePages):
    list_path = "purchasing/suggestions"
    permission = "purchasing.view"
    model = Suggestion
    few, many = 3, 12

    def make(self, store, i):
        from app.blueprints.inventory import services as inventory
        from app.blueprints.purchasing import replenishment

        with f.bound(store, request=True) as session:
            sku, warehouse = f.sku(store), f.warehouse(store)
            f.supplier_sku(store, f.supplier_record(store), sku)
            f.stock(store, sku, warehouse, 5)
            inventory.set_thresholds(None, sku.id, warehouse.id, 1, 10)
            replenishment.compute([sku.id], warehouse.id)
            row = session.scalar(select(Suggestion).where(Suggestion.sku_id == sku.id))
            row.sku_code = sku.code
            return row

    def shown(self, row):
        return row.sku_code

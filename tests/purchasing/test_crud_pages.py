"""The purchasing back office's supplier and purchase order pages through the shared page test
base: permission, another store's row out of reach, bad forms refused, rows in a fixed number
of queries (tests/purchasing/test_pages.py counts every purchasing list as well)."""
from app.blueprints.purchasing.models import PurchaseOrder, Supplier
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

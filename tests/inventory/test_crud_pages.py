"""Inventory's list and edit pages through the shared page test base."""
from sqlalchemy import select

from app.blueprints.inventory.models import Reservation, StockDocument, StockMovement, Warehouse
from app.blueprints.catalog.models import Sku
from tests import factories as f
from tests.support.crud import StorePages


class TestWarehousePages(StorePages):
    list_path = "inventory/warehouses"
    create_path = "inventory/warehouses/new"
    edit_path = "inventory/warehouses/{id}"
    permission = "inventory.setup"
    model = Warehouse
    form = {"code": "NEWWH", "name": "新仓库", "kind": "own", "priority": "5", "active": "y"}
    bad_form = {"code": "", "name": "x", "kind": "own"}

    def make(self, store, i):
        return f.warehouse(store, name=f"Warehouse {f.unique('w')}")

    def edit_data(self, row):
        return {"code": row.code, "name": f"{row.name} renamed", "kind": "own", "priority": "7", "active": "y"}


class TestStockPages(StorePages):
    """The stock list (one row per SKU) and a SKU's stock card."""
    list_path = "inventory/stock"
    detail_path = "inventory/skus/{id}"
    permission = "inventory.view"
    model = Sku

    def make(self, store, i):
        return f.sku(store, title=f"Stocked {f.unique('s')}", stock=5)

    def shown(self, row):
        return row.code


class TestLedgerPages(StorePages):
    """The stock ledger of every SKU (one row per movement)."""
    list_path = "inventory/ledger"
    permission = "inventory.view"
    model = StockMovement

    def make(self, store, i):
        return f.sku(store, title=f"Moved {f.unique('s')}", stock=5)

    def shown(self, row):
        return row.code


class TestReservationPages(StorePages):
    list_path = "inventory/reservations"
    permission = "inventory.view"
    model = Reservation

    def make(self, store, i):
        order = f.order(store)
        return f.read(store, lambda: f.db_session().scalar(
            select(Reservation).where(Reservation.reference == f"order:{order.number}")))

    def shown(self, row):
        return row.reference


class _DocumentPages(StorePages):
    detail_path = "inventory/documents/{id}"
    permission = "inventory.documents"
    list_permission = "inventory.view"
    model = StockDocument
    doc_type = "inbound"
    error_text = "Not a valid choice"   # the kind field says so itself

    def make(self, store, i):
        return f.document(store, self.doc_type, lines=[] if self.doc_type != "inbound" else None)

    def shown(self, row):
        return row.number

    def create_data(self, store):
        kind = {"inbound": "purchase", "outbound": "other", "transfer": "transfer", "stocktake": "full"}[self.doc_type]
        data = {"kind": kind, "warehouse_id": str(f.warehouse(store).id), "reference": "crud"}
        if self.doc_type == "transfer":
            data["to_warehouse_id"] = str(f.warehouse(store).id)
        return data


class TestInboundPages(_DocumentPages):
    list_path = "inventory/inbound"
    create_path = "inventory/documents/new/inbound"
    bad_form = {"kind": "nonsense"}


class TestOutboundPages(_DocumentPages):
    list_path = "inventory/outbound"
    create_path = "inventory/documents/new/outbound"
    doc_type = "outbound"
    bad_form = {"kind": "nonsense"}


class TestTransferPages(_DocumentPages):
    list_path = "inventory/transfer"
    create_path = "inventory/documents/new/transfer"
    doc_type = "transfer"
    bad_form = {"kind": "nonsense"}


class TestStocktakePages(_DocumentPages):
    list_path = "inventory/stocktake"
    create_path = "inventory/documents/new/stocktake"
    doc_type = "stocktake"
    bad_form = {"kind": "nonsense"}

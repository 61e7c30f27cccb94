"""The order center's list and detail pages through the shared page test base."""
from app.blueprints.orders.models import Order
from tests import factories as f
from tests.support.crud import StorePages


class TestOrderPages(StorePages):
    list_path = "orders/"
    create_path = "orders/new"
    detail_path = "orders/{id}"
    permission = "orders.manage"
    list_permission = "orders.view"
    model = Order
    bad_form = {"lines-0-sku_code": "NO-SUCH-SKU", "lines-0-quantity": "1"}
    error_text = "NO-SUCH-SKU"

    def make(self, store, i):
        return f.order(store, state="paid" if i % 2 else "pending_payment")

    def create_data(self, store):
        sku = f.sku(store, stock=5)
        return {"lines-0-sku_code": sku.code, "lines-0-quantity": "1", "shopper_name": "王五", "shopper_phone": "13900000000",
                **{f"address_{k}": v for k, v in f.ADDRESS.items()}}

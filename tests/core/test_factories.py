"""The test factories build valid objects of every kind, each in one line."""
import pytest
from sqlalchemy import select

from app.blueprints.inventory.models import StockLevel
from app.blueprints.orders.models import Order
from app.blueprints.payments.models import Payment
from app.extensions import db
from tests import factories as f


@pytest.fixture()
def store(module_store):
    """Building objects only needs the database: the module's tests share one store."""
    return module_store


def test_every_order_state_is_one_line(store):
    for state in f.ORDER_PATHS:
        order = f.order(store, state=state)
        assert f.get(store, Order, order.id).status == state


def test_product_with_a_grid_stock_payment_and_refund(store):
    product = f.product(store, price=2500, stock=4, options={"颜色": ["红", "蓝"], "尺码": ["S", "M", "L"]})
    assert len(product.skus) == 6
    levels = f.read(store, lambda: db.session.scalars(
        select(StockLevel.on_hand).where(StockLevel.sku_id.in_([s.id for s in product.skus]))).all())
    assert levels == [4] * 6
    order = f.order(store, lines=[(product.skus[0], 2)])
    payment = f.payment(store, order)
    assert f.get(store, Order, order.id).status == "paid" and payment.amount == 5000
    f.refund(store, payment, 1000)
    assert f.get(store, Payment, payment.id).status == "partially_refunded"
    f.refund(store, payment, 4000)
    assert f.get(store, Payment, payment.id).status == "refunded"


def test_everything_else_builds(store):
    with f.bound(store, request=True):
        staff = f.staff(store, "warehouse")
        f.staff(store, permissions=["store.dashboard"], status="invited")
        f.webhook_delivery(store, f.webhook(store))
        f.saved_filter(store, staff.id)
        f.event(store, status="dead")
        f.task(store)
        f.brand(store)
        f.tier_price(store, f.sku(store))
        f.image(store)
        f.attribute(store)
        f.location(store)
        for kind in ("inbound", "outbound", "transfer", "stocktake"):
            f.document(store, kind)
        f.address(store, f.member(store))
        f.reconciliation(store)

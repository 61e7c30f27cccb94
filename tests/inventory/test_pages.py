"""Inventory pages as staff use them."""
from sqlalchemy import select

from app.blueprints.inventory.models import Warehouse
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import add_staff
from tests.inventory.test_stock import _level, _setup


def test_warehouse_stock_card_adjust_and_low_filter(app, owner, store):
    response = owner.form(f"/store/{store.slug}/inventory/warehouses/new",
                          {"code": "sh1", "name": "上海仓", "kind": "own", "priority": 10, "active": "y"})
    assert response.status_code == 303
    wh = _get(app, store, lambda: db.session.scalar(select(Warehouse.id).where(Warehouse.code == "SH1")))
    owner.form(f"/store/{store.slug}/inventory/warehouses/{wh}/locations", {"zone": "a", "aisle": "01", "bin": "3"})
    assert "A-01-3" in owner.get(f"/store/{store.slug}/inventory/warehouses/{wh}").get_data(as_text=True)
    (sku,), _ = _setup(app, store, stock=(0,))
    card = f"/store/{store.slug}/inventory/skus/{sku}"
    assert owner.form(f"{card}/adjust", {"warehouse_id": wh, "counted": "12", "reason": "首次盘点"}).status_code == 303
    assert _level(app, store, sku, wh) == (12, 0)
    html = owner.get(card).get_data(as_text=True)
    assert "0 → 12" in html and "首次盘点" in html
    owner.form(f"{card}/adjust", {"warehouse_id": wh, "delta": "-20", "reason": "破损"})
    assert _level(app, store, sku, wh) == (12, 0)          # refused: would go negative
    owner.form(f"{card}/thresholds", {"warehouse_id": wh, "safety_stock": "2", "reorder_point": "15"})
    listing = owner.get(f"/store/{store.slug}/inventory/stock?low=1").get_data(as_text=True)
    assert f"/inventory/skus/{sku}" in listing
    owner.form(f"/store/{store.slug}/inventory/stock/verify")
    assert "equal their ledger" in owner.get(f"/store/{store.slug}/inventory/stock").get_data(as_text=True)


def test_staff_without_adjust_permission_cannot_adjust(app, store):
    (sku,), (wh,) = _setup(app, store, stock=(5,))
    email = add_staff(app, store, permissions=["store.dashboard", "inventory.view"])
    viewer = app.test_client()
    viewer.login("store", email, slug=store.slug)
    card = f"/store/{store.slug}/inventory/skus/{sku}"
    assert viewer.get(card).status_code == 200
    assert viewer.form(f"{card}/adjust", {"warehouse_id": wh, "counted": "0", "reason": "x"}).status_code == 403
    assert _level(app, store, sku, wh) == (5, 0)

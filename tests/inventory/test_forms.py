"""The stock card's adjust and threshold forms and the warehouse's location form: bad input is
said under its field, with what was typed kept, and nothing changes."""
import re

from sqlalchemy import func, select

from app.blueprints.inventory.models import Location, StockLevel
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.inventory.test_stock import _level, _setup


def _errors(html: str, field_id: str) -> list[str]:
    block = html.split(f'id="field-{field_id}"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', block)


def test_a_count_that_is_not_a_number_is_said_under_counted_and_stock_stays(app, owner, store):
    (sku,), (wh,) = _setup(app, store, stock=(5,))
    card = f"/store/{store.slug}/inventory/skus/{sku}"
    response = owner.form(f"{card}/adjust", {"warehouse_id": wh, "counted": "十二", "reason": "盘点"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _errors(html, "counted") == ["Not a valid integer value."]
    assert 'value="盘点"' in html and 'value="十二"' in html
    assert _level(app, store, sku, wh) == (5, 0)


def test_an_adjustment_needs_a_reason_and_one_of_counted_or_change(app, owner, store):
    (sku,), (wh,) = _setup(app, store, stock=(5,))
    card = f"/store/{store.slug}/inventory/skus/{sku}"
    no_reason = owner.form(f"{card}/adjust", {"warehouse_id": wh, "delta": "3"}).get_data(as_text=True)
    assert _errors(no_reason, "reason") == ["Say why stock is adjusted."]
    both = owner.form(f"{card}/adjust", {"warehouse_id": wh, "counted": "3", "delta": "3", "reason": "x"})
    assert both.status_code == 422
    assert _errors(both.get_data(as_text=True), "counted") == ["Give either the counted quantity or a change."]
    negative = owner.form(f"{card}/adjust", {"warehouse_id": wh, "delta": "-9", "reason": "破损"})
    assert negative.status_code == 422 and "破损" in negative.get_data(as_text=True)
    assert _level(app, store, sku, wh) == (5, 0)


def test_a_negative_reorder_point_is_said_under_it(app, owner, store):
    (sku,), (wh,) = _setup(app, store, stock=(5,))
    card = f"/store/{store.slug}/inventory/skus/{sku}"
    response = owner.form(f"{card}/thresholds", {"warehouse_id": wh, "safety_stock": "2", "reorder_point": "-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _errors(html, "threshold-reorder_point") == ["Number must be between 0 and 10000000."]
    assert _get(app, store, lambda: db.session.scalar(
        select(StockLevel.safety_stock).where(StockLevel.sku_id == sku, StockLevel.warehouse_id == wh))) == 0


def test_a_location_without_a_zone_or_twice_is_said_under_the_zone(app, owner, store):
    _skus, (wh,) = _setup(app, store, stock=(5,))
    url = f"/store/{store.slug}/inventory/warehouses/{wh}/locations"
    empty = owner.form(url, {"zone": "", "aisle": "07"})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and _errors(html, "zone") == ["Give at least the zone."]
    assert 'value="07"' in html
    assert owner.form(url, {"zone": "b", "aisle": "1"}).status_code == 303
    twice = owner.form(url, {"zone": "B", "aisle": "1"})
    assert twice.status_code == 422 and "B-1" in _errors(twice.get_data(as_text=True), "zone")[0]
    assert _get(app, store, lambda: db.session.scalar(select(func.count()).select_from(Location))) == 1


def test_a_change_typed_with_the_counted_box_left_empty_is_applied(app, owner, store):
    (sku,), (wh,) = _setup(app, store, stock=(5,))
    card = f"/store/{store.slug}/inventory/skus/{sku}"
    # a browser sends every input of the form, the empty one too
    response = owner.form(f"{card}/adjust", {"warehouse_id": wh, "counted": "", "delta": "3", "reason": "补货"})
    assert response.status_code == 303, _errors(response.get_data(as_text=True), "counted")
    assert _level(app, store, sku, wh)[0] == 8

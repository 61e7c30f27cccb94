"""The forms on a stock document's page (add a line, receive a line, the count grid, scanner
input): a refused one re-renders the page with the error under its field and the input kept,
and changes nothing."""
import re

from app.blueprints.inventory.models import StockDocument, StockDocumentLine
from tests import factories as f


def _error_under(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]+)</p>', html)
    assert found, f"no error under #{field_id}"
    return found.group(1)


def _url(store, doc) -> str:
    return f"/store/{store.slug}/inventory/documents/{doc.id}"


def _lines(store, doc):
    return f.read(store, lambda: [(l.quantity, l.done) for l in f.db_session().get(StockDocument, doc.id).lines])


def test_adding_a_line_with_an_unknown_code_keeps_what_was_typed(module_owner, module_store):
    doc = f.document(module_store, lines=[])
    response = module_owner.form(f"{_url(module_store, doc)}/line", {"sku_code": "NO-SUCH-1", "quantity": "12",
                                                                     "location": "A-01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "NO-SUCH-1" in _error_under(html, "sku_code")
    assert 'value="NO-SUCH-1"' in html and 'value="12"' in html and 'value="A-01"' in html
    assert _lines(module_store, doc) == []


def test_adding_a_line_with_a_quantity_that_is_not_a_number_is_a_field_error(module_owner, module_store):
    sku = f.sku(module_store)
    doc = f.document(module_store, lines=[])
    response = module_owner.form(f"{_url(module_store, doc)}/line", {"sku_code": sku.code, "quantity": "十"})
    assert response.status_code == 422
    assert _error_under(response.get_data(as_text=True), "quantity")
    assert _lines(module_store, doc) == []
    assert module_owner.form(f"{_url(module_store, doc)}/line", {"sku_code": sku.code, "quantity": "3"}).status_code == 303
    assert _lines(module_store, doc) == [(3, 0)]


def test_receiving_more_than_expected_shows_the_error_on_that_line(module_owner, module_store):
    doc = f.document(module_store)                       # one line of 5
    line_id = f.read(module_store, lambda: f.db_session().get(StockDocument, doc.id).lines[0].id)
    response = module_owner.form(f"{_url(module_store, doc)}/receive", {"line_id": line_id, "quantity": "9"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "5 left" in _error_under(html, f"receive-{line_id}-quantity")
    assert f'id="receive-{line_id}-quantity"' in html and 'value="9"' in html
    assert _lines(module_store, doc) == [(5, 0)]
    assert module_owner.form(f"{_url(module_store, doc)}/receive", {"line_id": line_id, "quantity": "2"}).status_code == 303
    assert _lines(module_store, doc) == [(5, 2)]


def test_a_count_that_is_not_a_whole_number_is_an_error_on_its_line_and_saves_nothing(module_owner, module_store):
    warehouse = f.warehouse(module_store)
    a, b = f.sku(module_store), f.sku(module_store)
    f.stock(module_store, a, warehouse, 4)
    f.stock(module_store, b, warehouse, 6)
    doc = f.document(module_store, "stocktake", warehouse_obj=warehouse)
    ids = f.read(module_store, lambda: {l.sku_id: l.id for l in f.db_session().get(StockDocument, doc.id).lines})
    url = _url(module_store, doc)
    assert 'name="count_' in module_owner.get(url).get_data(as_text=True)
    response = module_owner.form(f"{url}/counts", {f"count_{ids[a.id]}": "4", f"count_{ids[b.id]}": "six"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_under(html, f"count_{ids[b.id]}") and 'value="six"' in html
    counted = lambda: f.read(module_store, lambda: f.db_session().query(StockDocumentLine.counted)  # noqa: E731
                             .filter(StockDocumentLine.document_id == doc.id).all())
    assert not any(c for (c,) in counted())
    response = module_owner.form(f"{url}/counts", {f"count_{ids[a.id]}": "-1"})
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), f"count_{ids[a.id]}")
    assert module_owner.form(f"{url}/counts", {f"count_{ids[a.id]}": "4", f"count_{ids[b.id]}": "5"}).status_code == 303
    assert all(c for (c,) in counted())


def test_recording_scans_with_nothing_scanned_is_a_field_error(module_owner, module_store):
    warehouse = f.warehouse(module_store)
    f.stock(module_store, f.sku(module_store), warehouse, 2)
    doc = f.document(module_store, "stocktake", warehouse_obj=warehouse)
    response = module_owner.form(f"{_url(module_store, doc)}/scans", {"scans": "  "})
    assert response.status_code == 422
    assert _error_under(response.get_data(as_text=True), "scans")

"""The per-line grids (confirm, ship, receive, invoice) are WTForms sub-forms: a refused line
shows why right under its own field, with what was typed kept, and nothing changes."""
import re

import pytest
from sqlalchemy import select

from app.blueprints.purchasing.models import Asn, PurchaseOrder, SupplierInvoice
from tests import factories as f


@pytest.fixture(scope="module")
def shop(app, module_store):
    account = f.supplier(company="格子供应商")
    with f.bound(module_store, request=True):
        supplier = f.supplier_record(module_store, account)
        sent = f.purchase_order(module_store, supplier, lines=[(f.sku(module_store), 10), (f.sku(module_store), 4)],
                                state="sent")
        shipped = f.purchase_order(module_store, supplier, lines=[(f.sku(module_store), 20)], state="shipped")
        f.purchase_order(module_store, supplier, lines=[(f.sku(module_store), 5)], state="confirmed")
        received = f.purchase_order(module_store, supplier, lines=[(f.sku(module_store), 8)], state="received",
                                    unit_price=1000)
        asn = f.db_session().scalar(select(Asn).join(Asn.lines).where(Asn.supplier_id == supplier.id,
                                                                        Asn.status == "shipped"))
        ids = {"sent": sent.id, "sent_lines": [l.id for l in sent.lines], "asn": asn.id,
               "asn_line": asn.lines[0].id, "received": received.id, "received_line": received.lines[0].id,
               "shipped": shipped.id}
    return module_store, f.client("supplier", account.email), ids


def _error_under(html: str, field_id: str) -> str:
    found = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' % re.escape(field_id), html)
    return found.group(1) if found else ""


def test_a_confirmation_above_the_ordered_quantity_is_refused_under_its_quantity(shop):
    store, supplier, ids = shop
    url = f"/supplier/stores/{store.slug}/orders/{ids['sent']}/confirm"
    first, second = ids["sent_lines"]
    form = {"lines-0-line_id": first, "lines-0-answer": "confirm", "lines-0-quantity": "11", "lines-0-date": "2030-01-02",
            "lines-1-line_id": second, "lines-1-answer": "reject", "lines-1-reason": ""}
    response = supplier.form(url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Confirm 1 to 10" in _error_under(html, "lines-0-quantity") and 'value="11"' in html
    response = supplier.form(url, {**form, "lines-0-quantity": "ten"})
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), "lines-0-quantity")
    assert f.get(store, PurchaseOrder, ids["sent"]).status == "sent"
    response = supplier.form(url, {**form, "lines-0-quantity": "10"})           # the rejection needs its reason
    assert "Say why" in _error_under(response.get_data(as_text=True), "lines-1-reason")
    supplier.form(url, {**form, "lines-0-quantity": "9", "lines-1-reason": "停产"})
    assert f.get(store, PurchaseOrder, ids["sent"]).status == "confirmed"


def test_a_count_beyond_the_tolerance_is_refused_under_its_count(shop, module_owner):
    store, _supplier, ids = shop
    url = f"/store/{store.slug}/purchasing/asns/{ids['asn']}/receive"
    form = {"lines-0-line_id": ids["asn_line"], "lines-0-counted": "30", "lines-0-rejected": "0"}
    response = module_owner.form(url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "more than the 21 the tolerance allows" in _error_under(html, "lines-0-counted")
    response = module_owner.form(url, {**form, "lines-0-counted": "20", "lines-0-rejected": "25"})
    assert "cannot be more than the count" in _error_under(response.get_data(as_text=True), "lines-0-rejected")
    assert f.get(store, Asn, ids["asn"]).status == "shipped"
    module_owner.form(url, {**form, "lines-0-counted": "20", "lines-0-rejected": "1"})
    assert f.get(store, Asn, ids["asn"]).status == "received"


def test_shipping_more_than_is_left_is_refused_under_that_line(shop):
    store, supplier, ids = shop
    page = supplier.get(f"/supplier/stores/{store.slug}/asns/new").get_data(as_text=True)
    assert 'name="lines-0-quantity"' in page
    line_id = re.search(r'name="lines-0-line_id" type="hidden" value="(\d+)"', page).group(1)
    response = supplier.form(f"/supplier/stores/{store.slug}/asns/new",
                             {"ship_date": "2030-01-01", "boxes": "1", "lines-0-line_id": line_id,
                              "lines-0-quantity": "999"})
    assert response.status_code == 422
    assert "can still ship, not 999" in _error_under(response.get_data(as_text=True), "lines-0-quantity")


def test_the_staff_invoice_grid_takes_the_billed_price_and_refuses_a_line_under_its_field(shop, module_owner):
    store, _supplier, ids = shop
    url = f"/store/{store.slug}/purchasing/purchase-orders/{ids['received']}/invoices"
    form = {"number": "GRID-1", "invoice_date": "2026-11-30", "lines-0-line_id": ids["received_line"],
            "lines-0-quantity": "9", "lines-0-unit_price": "10.00"}
    response = module_owner.form(url, form)
    assert response.status_code == 422
    assert "can still be billed" in _error_under(response.get_data(as_text=True), "lines-0-quantity")
    module_owner.form(url, {**form, "lines-0-quantity": "8", "lines-0-unit_price": "10.50"})   # 5 % above
    invoice = f.read(store, lambda: f.db_session().scalar(select(SupplierInvoice).where(SupplierInvoice.number == "GRID-1")))
    assert invoice.lines[0]["unit_price"] == 1050 and invoice.match_status == "exception"

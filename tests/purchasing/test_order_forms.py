"""The reason and return forms on a staff purchase order page are WTForms: a refused one
re-renders the page (422) with the error under its field and what was typed kept, and
changes nothing; a good one goes through."""
import re

import pytest
from sqlalchemy import select

from app.blueprints.purchasing.models import PurchaseOrder, PurchaseOrderLine, SupplierReturn
from tests import factories as f


def _error_under(html: str, field_id: str) -> str:
    found = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' % re.escape(field_id), html)
    assert found, f"no error under #{field_id}"
    return found.group(1)


@pytest.fixture(scope="module")
def received(module_store):
    with f.bound(module_store, request=True):
        po = f.purchase_order(module_store, lines=[(f.sku(module_store, stock=0), 8)], state="received")
        return po.id, po.lines[0].id


def _returns(store, po_id):
    return f.read(store, lambda: f.db_session().scalars(
        select(SupplierReturn.id).where(SupplierReturn.order_id == po_id)).all())


def test_returning_more_than_was_received_is_refused_under_that_line(module_owner, module_store, received):
    po_id, line_id = received
    url = f"/store/{module_store.slug}/purchasing/purchase-orders/{po_id}/returns"
    posted = {"return-lines-0-line_id": line_id, "return-lines-0-quantity": "9", "return-reason": "破损"}
    response = module_owner.form(url, posted)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "8 can be returned, not 9" in _error_under(html, "return-lines-0-quantity")
    assert 'value="9"' in html and 'value="破损"' in html          # what was typed stays
    response = module_owner.form(url, {**posted, "return-lines-0-quantity": "三"})
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), "return-lines-0-quantity")
    response = module_owner.form(url, {**posted, "return-lines-0-quantity": "2", "return-reason": " "})
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), "return-reason")
    assert _returns(module_store, po_id) == []
    assert f.get(module_store, PurchaseOrderLine, line_id).returned == 0


def test_a_good_return_goes_through(module_owner, module_store, received):
    po_id, line_id = received
    response = module_owner.form(f"/store/{module_store.slug}/purchasing/purchase-orders/{po_id}/returns",
                                 {"return-lines-0-line_id": line_id, "return-lines-0-quantity": "2",
                                  "return-reason": "破损"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert f.get(module_store, PurchaseOrderLine, line_id).returned == 2
    assert len(_returns(module_store, po_id)) == 1


def test_cancelling_without_a_reason_is_a_field_error_and_the_order_stands(module_owner, module_store):
    with f.bound(module_store, request=True):
        po = f.purchase_order(module_store, state="approved")
    url = f"/store/{module_store.slug}/purchasing/purchase-orders/{po.id}/cancel"
    response = module_owner.form(url, {"cancel-reason": "  "})
    assert response.status_code == 422
    assert _error_under(response.get_data(as_text=True), "cancel-reason")
    assert f.get(module_store, PurchaseOrder, po.id).status == "approved"
    assert module_owner.form(url, {"cancel-reason": "供应商停产"}).status_code == 303
    po = f.get(module_store, PurchaseOrder, po.id)
    assert (po.status, po.cancel_reason) == ("cancelled", "供应商停产")


def test_sending_back_to_draft_says_why_under_its_field(module_owner, module_store):
    with f.bound(module_store, request=True):
        po = f.purchase_order(module_store, state="submitted")
    page = module_owner.get(f"/store/{module_store.slug}/purchasing/purchase-orders/{po.id}").get_data(as_text=True)
    assert 'id="draft-form"' in page
    url = f"/store/{module_store.slug}/purchasing/purchase-orders/{po.id}/draft"
    response = module_owner.form(url, {"draft-reason": ""})
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), "draft-reason")
    assert f.get(module_store, PurchaseOrder, po.id).status == "submitted"
    assert module_owner.form(url, {"draft-reason": "数量不对"}).status_code == 303
    assert f.get(module_store, PurchaseOrder, po.id).status == "draft"


def test_a_supplier_applying_to_a_store_by_an_address_that_is_none_gets_a_field_error(app):
    account = f.supplier()
    client = f.client("supplier", account.email)
    for typed in ("", "不是地址", "https://houtai.example/store/ab/"):
        response = client.form("/supplier/apply", {"slug": typed})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, typed
        assert _error_under(html, "slug")
    assert 'value="不是地址"' in client.form("/supplier/apply", {"slug": "不是地址"}).get_data(as_text=True)
    response = client.form("/supplier/apply", {"slug": " https://houtai.example/store/Demo-Shop/ "})
    assert response.status_code == 303 and response.headers["Location"].endswith("/supplier/stores/demo-shop/apply")

"""Portal pages: in Chinese with no English left, a supplier uploads an invoice, the store
switcher lists every store served."""
import io
from datetime import date

import pytest
from sqlalchemy import select

from app.blueprints.purchasing.models import Asn, PurchaseOrder, SupplierInvoice, SupplierReturn
from tests import factories as f
from tests.i18n.pages import Page, duplicate_headers, latin_words

PDF = b"%PDF-1.4\n%%EOF"


@pytest.fixture(scope="module")
def portal(app):
    f.use_app(app)
    one, two = f.store(name="一号店"), f.store(name="二号店")
    account = f.supplier(company="好货", name="王")
    with f.bound(one, request=True) as session:
        supplier = f.supplier_record(one, account, name="好货贸易")
        sku = f.sku(one, title="乌龙茶")
        received = f.purchase_order(one, supplier, lines=[(sku, 6)], state="received")
        f.purchase_order(one, supplier, lines=[(sku, 2)], state="sent")
        f.purchase_order(one, supplier, lines=[(sku, 3)], state="confirmed")
        from app.blueprints.purchasing import orders, scorecard

        orders.return_to_supplier(None, received, {received.lines[0].id: 1}, "破损")
        scorecard.compute([supplier.id])
        ids = {"po": received.id, "asn": session.scalar(select(Asn.id).where(Asn.supplier_id == supplier.id)),
               "debit": session.scalar(select(SupplierReturn.id))}
    f.supplier_record(two, account)
    client = f.client("supplier", account.email)
    yield one, two, client, ids
    f.drop_store(one)
    f.drop_store(two)


def test_a_supplier_uploads_an_invoice_for_what_was_received(portal):
    one, _two, client, ids = portal
    url = f"/supplier/stores/{one.slug}/orders/{ids['po']}/invoice"
    line_id = f.read(one, lambda: f.db_session().get(PurchaseOrder, ids["po"]).lines[0].id)
    too_many = client.post(url, data={"csrf_token": client.csrf_token(), "number": "FP-001", "invoice_date": "2026-12-01",
                                      "lines-0-line_id": str(line_id), "lines-0-quantity": "7", "file": (io.BytesIO(PDF), "fp.pdf")},
                           content_type="multipart/form-data")
    assert too_many.status_code == 422
    not_pdf = client.post(url, data={"csrf_token": client.csrf_token(), "number": "FP-001", "invoice_date": "2026-12-01",
                                     "lines-0-line_id": str(line_id), "lines-0-quantity": "5", "file": (io.BytesIO(b"GIF89a"), "fp.gif")},
                          content_type="multipart/form-data")
    assert not_pdf.status_code == 422
    ok = client.post(url, data={"csrf_token": client.csrf_token(), "number": "FP-001", "invoice_date": "2026-12-01",
                                "lines-0-line_id": str(line_id), "lines-0-quantity": "5", "file": (io.BytesIO(PDF), "fp.pdf")},
                     content_type="multipart/form-data")
    assert ok.status_code == 303
    invoice = f.read(one, lambda: f.db_session().scalar(select(SupplierInvoice).where(SupplierInvoice.number == "FP-001")))
    assert invoice.source == "portal" and invoice.status == "unpaid" and invoice.file_key
    assert "FP-001" in client.get(f"/supplier/stores/{one.slug}/invoices").get_data(as_text=True)


def test_the_store_switcher_lists_every_store_served(portal):
    one, two, client, _ids = portal
    html = client.get(f"/supplier/stores/{one.slug}/").get_data(as_text=True)
    assert f'data-store="{one.slug}"' in html and f'data-store="{two.slug}"' in html


def test_portal_pages_read_in_chinese(portal):
    one, two, client, ids = portal
    client.form("/locale", {"locale": "zh_CN"})          # the supplier's own choice, whatever the store's
    base = f"/supplier/stores/{one.slug}"
    urls = ["/supplier/", "/supplier/users", f"{base}/", f"{base}/orders", f"{base}/orders/{ids['po']}",
            f"{base}/asns", f"{base}/asns/new", f"{base}/asns/{ids['asn']}", f"{base}/receipts", f"{base}/returns",
            f"{base}/returns/{ids['debit']}", f"{base}/invoices", f"{base}/scorecard",
            f"{base}/orders/{ids['po']}/invoice", f"/supplier/stores/{two.slug}/"]
    english, dups = {}, {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = Page(response.get_data(as_text=True))
        if words := latin_words(page, {"PDF"}):
            english[url] = sorted(words)
        if dup := duplicate_headers(page):
            dups[url] = dup
    client.form("/locale", {"locale": "en"})
    assert english == {} and dups == {}


def test_a_big_portal_export_runs_in_the_background_for_that_supplier_only(app, portal, monkeypatch):
    """Over the inline limit the portal's PO list is exported as a task in the store's schema,
    with the progress page and the download on the portal; another supplier account of the same
    store never reaches it."""
    import re

    from openpyxl import load_workbook

    from tests.conftest import wait_for

    one, _two, client, _ids = portal
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 1)
    url = f"/supplier/stores/{one.slug}/orders?export=xlsx&sort=number"
    confirm = client.get(url).get_data(as_text=True)
    assert 'data-export-rows="3"' in confirm and 'id="export-form"' in confirm
    started = client.post(url, data={"csrf_token": client.csrf_token(), "export": "xlsx"})
    assert started.status_code == 303
    job = started.headers["Location"]
    assert f"/supplier/stores/{one.slug}/jobs/" in job
    download = wait_for(lambda: (m := re.search(r'href="([^"]+/jobs/\d+/file)"', client.get(job).get_data(as_text=True)))
                        and m.group(1), timeout=45)
    file = client.get(download)
    assert file.headers["Content-Disposition"].endswith("purchase_orders.xlsx")
    rows = list(load_workbook(io.BytesIO(file.get_data())).active.iter_rows(values_only=True))
    assert len(rows) - 1 == 3 and rows[1][0] < rows[2][0] < rows[3][0]      # its own three POs, sorted
    other = f.supplier(company="别家", name="李")
    f.supplier_record(one, other)
    stranger = f.client("supplier", other.email)
    assert stranger.get(job).status_code == 404 and stranger.get(download).status_code == 404

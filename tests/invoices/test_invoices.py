"""Invoices for shoppers (发票): a shopper asks for a personal or company invoice on a paid order
(the taxpayer number checked), staff record the issued invoice with its PDF or have an e-invoice
provider issue it, the shopper downloads it — and never another shopper's."""
import io
from datetime import date

from sqlalchemy import select

from app.blueprints.invoices import providers, services
from app.blueprints.invoices.models import InvoiceRequest
from tests import factories as f

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _row(store, order_number):
    return f.read(store, lambda: f.db_session().scalar(select(InvoiceRequest).where(
        InvoiceRequest.order_number == order_number)))


def test_taxpayer_numbers_are_checked_by_their_check_character():
    assert services.valid_tax_number("91350100M000100Y43") and services.valid_tax_number("91110000802100433B")
    assert not services.valid_tax_number("91350100M000100Y44")          # wrong check character
    assert not services.valid_tax_number("91350100M000100I43")          # I is not in the alphabet
    assert services.valid_tax_number("110108123456789") and not services.valid_tax_number("1101081234")


def test_a_company_invoice_is_asked_for_recorded_with_its_pdf_and_downloaded_by_its_shopper(store, owner):
    member, other = f.member(store), f.member(store)
    order = f.order(store, "paid", member_obj=member)
    shopper, stranger = f.shopper_client(store, member), f.shopper_client(store, other)
    url = f"/shop/{store.slug}/invoices/{order.number}"
    assert 'id="invoice-form"' in shopper.get(url).get_data(as_text=True)
    assert stranger.get(url).status_code == 404

    bad = shopper.form(url, {"kind": "company", "title": "厦门示例有限公司", "tax_number": "91350100M000100Y44"})
    assert bad.status_code == 422 and "unified social credit code" in bad.get_data(as_text=True) or \
        "统一社会信用代码" in bad.get_data(as_text=True)
    assert _row(store, order.number) is None
    done = shopper.form(url, {"kind": "company", "title": "厦门示例有限公司", "tax_number": "91350100 m000100y43",
                              "email": "fapiao@example.com"})
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    row = _row(store, order.number)
    assert (row.kind, row.tax_number, row.status, row.amount) == ("company", "91350100M000100Y43", "requested",
                                                                  order.payable)
    assert shopper.form(url, {"kind": "personal", "title": "张三"}).status_code == 422          # once per order
    assert shopper.get(f"{url}/pdf").status_code == 404                                       # not issued yet

    listing = owner.get(f"/store/{store.slug}/invoices/").get_data(as_text=True)
    assert order.number in listing and "91350100M000100Y43" in listing
    issue = f"/store/{store.slug}/invoices/{row.id}/issued"
    png = owner.form(issue, {"invoice_number": "04400200211112345678", "issued_on": date.today().isoformat(),
                             "pdf": (io.BytesIO(f.png()), "fapiao.pdf")}, content_type="multipart/form-data")
    assert png.status_code == 422 and _row(store, order.number).status == "requested"
    ok = owner.form(issue, {"invoice_number": "04400200211112345678", "issued_on": date.today().isoformat(),
                            "pdf": (io.BytesIO(PDF), "fapiao.pdf")}, content_type="multipart/form-data")
    assert ok.status_code == 303, ok.get_data(as_text=True)[:2000]
    row = _row(store, order.number)
    assert (row.status, row.invoice_number, row.issued_on) == ("issued", "04400200211112345678", date.today())

    download = shopper.get(f"{url}/pdf")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert stranger.get(f"{url}/pdf").status_code == 404
    assert owner.get(f"/store/{store.slug}/invoices/{row.id}/pdf").data == PDF
    assert "04400200211112345678" in shopper.get(url).get_data(as_text=True)


class FakeProvider:
    """An e-invoice provider as the interface describes it (a real one calls its service)."""

    name, label = "fake-einvoice", "Fake e-invoice"

    def __init__(self):
        self.asked = []

    def issue(self, ask):
        self.asked.append(ask)
        return providers.IssuedInvoice(number=f"EI{len(self.asked):018d}", issued_on=date.today(), pdf=PDF)


def test_an_e_invoice_provider_issues_the_invoice_through_the_interface(store, owner):
    member = f.member(store)
    order = f.order(store, "paid", member_obj=member)
    with f.bound(store, request=True):
        services.request_invoice(member, member.id, order.number, "personal", "张三", tax_number="ignored")
    row = _row(store, order.number)
    assert row.tax_number == ""
    fake = providers.register(FakeProvider())
    try:
        page = owner.get(f"/store/{store.slug}/invoices/{row.id}").get_data(as_text=True)
        assert 'data-action="provider-fake-einvoice"' in page
        assert owner.form(f"/store/{store.slug}/invoices/{row.id}/provider/fake-einvoice").status_code == 303
    finally:
        providers.unregister(fake.name)
    assert [(a.reference, a.kind, a.title, a.amount) for a in fake.asked] == [
        (f"IR{row.id:08d}", "personal", "张三", order.payable)]
    issued = _row(store, order.number)
    assert (issued.status, issued.invoice_number, issued.provider) == ("issued", f"EI{1:018d}", "fake-einvoice")


def test_an_unpaid_order_gets_no_invoice(store):
    member = f.member(store)
    order = f.order(store, member_obj=member)
    shopper = f.shopper_client(store, member)
    page = shopper.get(f"/shop/{store.slug}/invoices/{order.number}").get_data(as_text=True)
    assert 'id="invoice-form"' not in page
    refused = shopper.form(f"/shop/{store.slug}/invoices/{order.number}", {"kind": "personal", "title": "张三"})
    assert refused.status_code == 422 and _row(store, order.number) is None

"""Payables: the three-way match (PO price ↔ receipts ↔ supplier invoice) with each kind of
tolerance breach, matched invoices due on their terms, payments that never pay more than is
owed, the events finance posts from, and the pages (staff and the supplier's portal)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.blueprints.purchasing import orders, payables, services
from app.blueprints.purchasing.models import Asn, SupplierInvoice
from app.core.errors import DomainError, IllegalTransition, NotFound
from app.core.outbox import OutboxEvent
from tests import factories as f

TODAY = date(2026, 11, 20)


def _tolerances(price: int, quantity: int) -> None:
    services.save_settings(None, open_to_applications=False, approval_threshold=10_000_000, over_tolerance_pct=5,
                           under_tolerance_pct=5, velocity_days=30, cover_days=14, default_tax_rate=1300,
                           price_tolerance_pct=price, quantity_tolerance_pct=quantity)


def _events(topic: str) -> list[dict]:
    f.db_session().flush()
    return [e.payload for e in f.db_session().scalars(select(OutboxEvent).where(OutboxEvent.topic == topic)
                                                      .order_by(OutboxEvent.id))]


def _received_po(store, quantity=10, price=1000, terms=30, supplier=None):
    supplier = supplier or f.supplier_record(store)
    supplier.payment_terms_days = terms
    return f.purchase_order(store, supplier, lines=[(f.sku(store), quantity)], state="received", unit_price=price)


def test_an_invoice_within_the_price_tolerance_matches_and_is_due_on_the_suppliers_terms(module_store):
    with f.bound(module_store, request=True):
        _tolerances(price=2, quantity=0)
        po = _received_po(module_store, terms=45)
        before = len(_events("purchasing.invoice_matched"))
        invoice = orders.enter_invoice(None, po, f.unique("INV"), TODAY, {po.lines[0].id: 10},
                                       prices={po.lines[0].id: 1020})          # 2 % above the PO's ¥10.00
        assert invoice.match_status == "matched" and invoice.match_findings == []
        assert invoice.due_on == TODAY + timedelta(days=45)
        assert (invoice.subtotal, invoice.tax, invoice.total) == (10200, 1326, 11526)
        events = _events("purchasing.invoice_matched")[before:]
        assert events == [{"invoice_id": invoice.id, "number": invoice.number, "supplier_id": po.supplier_id,
                           "purchase_order_id": po.id, "amount": 11526, "tax": 1326, "received_value": 10000,
                           "currency": "CNY", "due_on": (TODAY + timedelta(days=45)).isoformat()}]


def test_a_price_above_the_tolerance_is_an_exception_until_someone_accepts_it_with_a_reason(module_store):
    with f.bound(module_store, request=True):
        _tolerances(price=2, quantity=0)
        po = _received_po(module_store)
        before = len(_events("purchasing.invoice_matched"))
        invoice = orders.enter_invoice(None, po, f.unique("INV"), TODAY, {po.lines[0].id: 10},
                                       prices={po.lines[0].id: 1021})          # just over 2 %
        assert invoice.match_status == "exception" and invoice.due_on is None
        (finding,) = invoice.match_findings
        assert finding["kind"] == "price" and (finding["invoiced"], finding["ordered"]) == (1021, 1000)
        assert "¥10.21" in payables.finding_text(finding) and "¥10.00" in payables.finding_text(finding)
        with pytest.raises(DomainError):
            payables.record_payment(None, po.supplier_id, TODAY, {invoice.id: 100})     # not matched: not payable
        with pytest.raises(DomainError):
            payables.accept_exception(None, invoice, " ")
        payables.accept_exception(None, invoice, "涨价已确认")
        assert invoice.match_status == "accepted" and invoice.due_on == TODAY + timedelta(days=30)
        with pytest.raises(IllegalTransition):
            payables.accept_exception(None, invoice, "again")
        assert [e["invoice_id"] for e in _events("purchasing.invoice_matched")[before:]] == [invoice.id]


def test_billing_more_than_was_kept_is_an_exception_unless_within_the_quantity_tolerance(module_store):
    with f.bound(module_store, request=True):
        po = _received_po(module_store)
        orders.return_to_supplier(None, po, {po.lines[0].id: 1}, "破损")          # 9 kept of 10 received
        _tolerances(price=0, quantity=0)
        strict = orders.enter_invoice(None, po, f.unique("INV"), TODAY, {po.lines[0].id: 10})
        (finding,) = strict.match_findings
        assert strict.match_status == "exception" and finding["kind"] == "quantity"
        assert (finding["billed"], finding["received"]) == (10, 9)
        other = _received_po(module_store)
        orders.return_to_supplier(None, other, {other.lines[0].id: 1}, "破损")
        _tolerances(price=0, quantity=20)                                              # 9 × 1.2 = 10.8
        loose = orders.enter_invoice(None, other, f.unique("INV"), TODAY, {other.lines[0].id: 10})
        assert loose.match_status == "matched"
        with pytest.raises(DomainError):
            orders.enter_invoice(None, other, f.unique("INV"), TODAY, {other.lines[0].id: 1})   # 11 of 10 ordered


def test_an_invoice_ahead_of_the_goods_waits_and_matches_when_they_arrive(module_store):
    with f.bound(module_store, request=True) as session:
        _tolerances(price=2, quantity=0)
        sku = f.sku(module_store)
        po = f.purchase_order(module_store, lines=[(sku, 10)], state="confirmed", unit_price=500)
        line = po.lines[0]
        first = orders.create_asn(None, po.supplier_id, {line.id: 6}, TODAY)
        second = orders.create_asn(None, po.supplier_id, {line.id: 4}, TODAY)
        orders.receive_asn(None, first, {first.lines[0].id: (6, 0, "")})
        before = len(_events("purchasing.invoice_matched"))
        invoice = orders.enter_invoice(None, po, f.unique("INV"), TODAY, {line.id: 10})
        assert invoice.match_status == "pending" and invoice.match_findings[0]["kind"] == "quantity"
        assert _events("purchasing.invoice_matched")[before:] == []
        orders.receive_asn(None, session.get(Asn, second.id), {second.lines[0].id: (4, 0, "")})
        assert invoice.match_status == "matched" and invoice.match_findings == []
        assert [e["invoice_id"] for e in _events("purchasing.invoice_matched")[before:]] == [invoice.id]


def test_a_payment_pays_matched_invoices_and_never_more_than_they_owe(module_store):
    with f.bound(module_store, request=True) as session:
        _tolerances(price=2, quantity=0)
        supplier = f.supplier_record(module_store)
        po_a, po_b = _received_po(module_store, supplier=supplier), _received_po(module_store, supplier=supplier)
        a = orders.enter_invoice(None, po_a, f.unique("INV"), TODAY, {po_a.lines[0].id: 10})      # ¥113.00
        b = orders.enter_invoice(None, po_b, f.unique("INV"), TODAY, {po_b.lines[0].id: 5})       # ¥56.50
        before = len(_events("purchasing.payment_recorded"))
        payment = payables.record_payment(None, supplier.id, TODAY, {a.id: 5000, b.id: 5650}, "bank_transfer",
                                          "BANK-1")
        assert (a.status, a.paid_amount, a.outstanding) == ("partially_paid", 5000, 6300)
        assert (b.status, b.paid_amount, b.paid_at is not None) == ("paid", 5650, True)
        assert payment.number.startswith("PAY-") and payment.amount == 10650
        assert _events("purchasing.payment_recorded")[before:] == [
            {"payment_id": payment.id, "supplier_id": supplier.id, "amount": 10650, "currency": "CNY",
             "paid_on": TODAY.isoformat(), "invoice_ids": sorted([a.id, b.id])}]
        other_po = _received_po(module_store)
        other = orders.enter_invoice(None, other_po, f.unique("INV"), TODAY, {other_po.lines[0].id: 1})
        a_id, supplier_id, other_id = a.id, supplier.id, other.id
    for allocations, error in (({a_id: 6301}, DomainError),          # 1 fen more than it owes
                               ({a_id: 100, other_id: 100}, NotFound),   # another supplier's invoice
                               ({a_id: -5}, DomainError)):
        with pytest.raises(error):
            with f.bound(module_store, request=True):
                payables.record_payment(None, supplier_id, TODAY, allocations)
    invoice = f.get(module_store, SupplierInvoice, a_id)
    assert (invoice.paid_amount, invoice.status) == (5000, "partially_paid")
    with f.bound(module_store, request=True):
        payables.record_payment(None, supplier_id, TODAY, {a_id: 6300}, "cash")
    assert f.get(module_store, SupplierInvoice, a_id).status == "paid"


def test_staff_record_a_payment_on_the_invoice_page_with_errors_under_the_field(module_store):
    with f.bound(module_store, request=True):
        _tolerances(price=2, quantity=0)
        po = _received_po(module_store)
        invoice = orders.enter_invoice(None, po, f.unique("INV"), TODAY, {po.lines[0].id: 2},
                                       prices={po.lines[0].id: 1100})          # an exception: 10 % over
        invoice_id = invoice.id
    clerk = f.staff_client(module_store, permissions=["purchasing.view", "purchasing.invoices"])
    url = f"/store/{module_store.slug}/purchasing/supplier-invoices/{invoice_id}"
    page = clerk.get(url).get_data(as_text=True)
    assert "billed at ¥11.00, the order&#39;s price is ¥10.00" in page and 'id="payment-form"' not in page
    response = clerk.form(f"{url}/accept", {"note": ""})
    assert response.status_code == 422
    clerk.form(f"{url}/accept", {"note": "价格已谈妥"})
    assert f.get(module_store, SupplierInvoice, invoice_id).match_status == "accepted"
    response = clerk.form(f"{url}/payments", {"amount": "30.00", "paid_on": "2026-11-25", "method": "bank_transfer"})
    assert response.status_code == 422                                   # ¥24.86 owed
    assert "owes only ¥24.86" in response.get_data(as_text=True)
    assert f.get(module_store, SupplierInvoice, invoice_id).paid_amount == 0
    clerk.form(f"{url}/payments", {"amount": "24.86", "paid_on": "2026-11-25", "method": "bank_transfer",
                                   "reference": "CMB-778"})
    assert f.get(module_store, SupplierInvoice, invoice_id).status == "paid"
    page = clerk.get(url).get_data(as_text=True)
    assert "CMB-778" in page and "PAY-" in page
    listing = clerk.get(f"/store/{module_store.slug}/purchasing/supplier-payments").get_data(as_text=True)
    assert "CMB-778" in listing
    viewer = f.staff_client(module_store, permissions=["purchasing.view"])
    assert viewer.form(f"{url}/payments", {"amount": "1.00", "paid_on": "2026-11-25",
                                           "method": "cash"}).status_code == 403


def test_the_supplier_sees_its_invoices_due_dates_and_payments_in_the_portal(app, module_store):
    account = f.supplier(company="付款供应商")
    with f.bound(module_store, request=True):
        _tolerances(price=2, quantity=0)
        supplier = f.supplier_record(module_store, account)
        po = _received_po(module_store, supplier=supplier, terms=60)
        invoice = orders.enter_invoice(None, po, f.unique("INV"), TODAY, {po.lines[0].id: 10})
        payment = payables.record_payment(None, supplier.id, TODAY, {invoice.id: 3000}, reference="PORTAL-PAY")
        invoice_id, payment_id, number = invoice.id, payment.id, invoice.number
    client = f.client("supplier", account.email)
    base = f"/supplier/stores/{module_store.slug}"
    listing = client.get(f"{base}/invoices").get_data(as_text=True)
    assert number in listing and str(TODAY + timedelta(days=60)) in listing and "Partly paid" in listing
    page = client.get(f"{base}/invoices/{invoice_id}").get_data(as_text=True)
    assert "PORTAL-PAY" in page and "¥30.00" in page and "¥83.00" in page      # ¥113.00 − ¥30.00 still owed
    assert "PORTAL-PAY" in client.get(f"{base}/payments").get_data(as_text=True)
    assert number in client.get(f"{base}/payments/{payment_id}").get_data(as_text=True)

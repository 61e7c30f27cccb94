"""Paper in the warehouse: a wave's pick list sorted by bin across its orders, packing slips
on A4 or 100 × 150 mm, waybill labels of 100 × 180 mm with the waybill as a Code 128 barcode."""
import re

from sqlalchemy import select

from app.blueprints.catalog.models import Sku
from app.blueprints.dispatch import services
from app.blueprints.dispatch.models import DeliveryNotice
from app.blueprints.inventory import documents, services as inventory
from app.blueprints.inventory.models import Warehouse
from app.extensions import db
from tests import factories as f


def _put_away(store, warehouse, sku, bin_code, quantity=10):
    """Receive `quantity` of the SKU into the warehouse at `bin_code` (zone-aisle)."""
    zone, aisle = bin_code.split("-")
    with f.bound(store, request=True):
        inventory.add_location(None, db.session.get(Warehouse, warehouse.id), zone, aisle, "", "")
        doc = documents.create(None, "inbound", "other", warehouse.id)
        line = documents.add_line(None, doc, db.session.get(Sku, sku.id).code, quantity)
        db.session.flush()
        documents.receive_line(None, doc, line.id, quantity, bin_code)
        documents.complete_inbound(None, doc)


def test_the_wave_pick_list_walks_the_bins_once_across_orders(store, owner):
    warehouse = f.warehouse(store, priority=1)
    a, b, c = f.sku(store), f.sku(store), f.sku(store)
    for sku, bin_code in ((a, "C-03"), (b, "A-01"), (c, "B-02")):
        _put_away(store, warehouse, sku, bin_code)
    first = f.notice(store, f.order(store, state="paid", lines=[(a, 1), (b, 2)]))
    second = f.notice(store, f.order(store, state="paid", lines=[(b, 1), (c, 3)]))
    wave = f.wave(store, [first, second])
    html = owner.get(f"/store/{store.slug}/dispatch/waves/{wave.id}/pick-list").get_data(as_text=True)
    assert re.findall(r'data-location="([^"]*)"', html) == ["A-01", "B-02", "C-03"]
    row_b = re.search(r'data-location="A-01".*?</tr>', html, re.S).group(0)
    assert ">3<" in row_b and f"{first.number} × 2" in row_b and f"{second.number} × 1" in row_b


def test_packing_slips_print_on_a4_and_on_100_by_150_labels(store, owner):
    notice = f.notice(store)
    base = f"/store/{store.slug}/dispatch/slips?notices={notice.id}"
    a4 = owner.get(base).get_data(as_text=True)
    small = owner.get(base + "&size=100x150").get_data(as_text=True)
    assert 'class="slip slip-a4"' in a4 and 'class="slip slip-100x150"' in small
    assert notice.lines[0].sku_code in a4 and notice.order_number in small


def test_a_shipped_parcel_prints_its_waybill_label_with_a_code_128_barcode(store, owner):
    notice = f.notice(store)
    with f.bound(store, request=True):
        services.ship(None, db.session.get(DeliveryNotice, notice.id), "shunfeng", "SF1234567890321", 600)
    html = owner.get(f"/store/{store.slug}/dispatch/labels?notices={notice.id}").get_data(as_text=True)
    assert 'data-waybill="SF1234567890321"' in html and 'data-barcode="code128"' in html and "<svg" in html
    assert "600" in html and notice.address["name"] in html


def _waybills_ready(store, fake_kuaidi100):
    """The store's Kuaidi100 account on the fake, a monthly account with SF, SF as the default
    carrier and a sender to print: what "Print waybills" needs."""
    from app.blueprints.logistics import accounts
    from tests.logistics.conftest import kuaidi100_on

    kuaidi100_on(store, fake_kuaidi100)
    with f.bound(store, request=True):
        accounts.save_account(None, "shunfeng", True, {"partner_id": "0210001234", "partner_key": "monthly-key"})
        services.save_settings(None, "priority", "shunfeng", "仓库 张三", "13800000000", "上海市浦东新区 张江路 1 号")


def _print_selection(client, store, order_ids):
    return client.form(f"/store/{store.slug}/orders/", {"bulk_action": "waybills",
                                                        "ids": [str(i) for i in order_ids]})


def test_print_waybills_on_an_order_list_selection_issues_one_per_parcel_and_prints_them(
        store, owner, fake_kuaidi100):
    _waybills_ready(store, fake_kuaidi100)
    f.warehouse(store, priority=1)
    first, second = f.order(store, state="paid"), f.order(store, state="paid")
    pending = f.order(store)                                   # not paid: nothing to ship, skipped
    before = len(fake_kuaidi100.issued)
    response = _print_selection(owner, store, [first.id, second.id, pending.id])
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert "/dispatch/labels?notices=" in location
    with f.bound(store) as session:
        notices = session.scalars(select(DeliveryNotice).order_by(DeliveryNotice.id)).all()
        issued = {n.order_number: n.waybill_no for n in notices}
        ids = [n.id for n in notices]
    assert set(issued) == {first.number, second.number}                  # routed on the way, one parcel each
    assert all(number.startswith("SF") for number in issued.values())
    assert sorted(fake_kuaidi100.issued[-1]["param"]["recMan"]) == ["company", "mobile", "name", "printAddr"]
    assert len(fake_kuaidi100.issued) == before + 2
    assert location.endswith(",".join(str(i) for i in ids))
    html = owner.get(location).get_data(as_text=True)
    assert set(re.findall(r'data-waybill="([^"]+)"', html)) == set(issued.values())
    assert html.count('data-barcode="code128"') == 2

    again = _print_selection(owner, store, [first.id, second.id])           # printing twice reuses the numbers
    assert again.status_code == 303 and len(fake_kuaidi100.issued) == before + 2
    assert set(re.findall(r'data-waybill="([^"]+)"', owner.get(again.headers["Location"]).get_data(as_text=True))) \
        == set(issued.values())


def test_print_waybills_refuses_a_selection_with_nothing_to_ship_and_staff_without_the_right(
        app, store, owner, client, fake_kuaidi100):
    from tests.conftest import add_staff

    _waybills_ready(store, fake_kuaidi100)
    unpaid = f.order(store)
    before = len(fake_kuaidi100.issued)
    response = _print_selection(owner, store, [unpaid.id])
    assert response.status_code == 303 and "/dispatch/labels" not in response.headers["Location"]
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "None of the selected orders has a parcel waiting to ship." in page or "所选订单" in page
    assert len(fake_kuaidi100.issued) == before

    paid = f.order(store, state="paid")
    email = add_staff(app, store, permissions=["orders.view"])
    client.login("store", email, slug=store.slug)
    assert _print_selection(client, store, [paid.id]).status_code == 403
    with f.bound(store) as session:
        assert session.scalars(select(DeliveryNotice.waybill_no)).all() in ([], [""], [None])
    assert len(fake_kuaidi100.issued) == before

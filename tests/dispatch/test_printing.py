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


def _wave_of_two(store, fake_kuaidi100):
    """Two paid orders of one warehouse, routed, in one wave; the store ready to print waybills."""
    _waybills_ready(store, fake_kuaidi100)
    warehouse = f.warehouse(store, priority=1)
    a, b = f.sku(store, stock=5, warehouse=warehouse), f.sku(store, stock=5, warehouse=warehouse)
    notices = [f.notice(store, f.order(store, state="paid", lines=[(sku, 1)])) for sku in (a, b)]
    return f.wave(store, notices), notices


def _labels(html: str) -> dict[str, tuple[str, str]]:
    """The printed labels: notice number -> (waybill, the label's markup)."""
    return {notice: (waybill, body) for notice, waybill, body in re.findall(
        r'<section class="waybill-label" data-notice="([^"]+)" data-waybill="([^"]*)">(.*?)</section>', html, re.S)}


def test_printing_a_waves_waybills_issues_one_per_parcel_and_prints_a_100_by_180_label_with_its_barcode(
        store, owner, fake_kuaidi100):
    from app.core.barcodes import code128_svg

    wave, notices = _wave_of_two(store, fake_kuaidi100)
    url = f"/store/{store.slug}/dispatch/waves/{wave.id}/waybills"
    before = len(fake_kuaidi100.issued)
    response = owner.form(url, {"carrier": "shunfeng"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert location.endswith("/dispatch/labels?notices=" + ",".join(str(n.id) for n in notices))

    # one request to the carrier (through the Kuaidi100 adapter) per notice, each for its own receiver
    issued = fake_kuaidi100.issued[before:]
    assert len(issued) == 2 and {i["kuaidicom"] for i in issued} == {"shunfeng"}
    stored = {n.number: f.get(store, DeliveryNotice, n.id) for n in notices}
    assert {i["kuaidinum"] for i in issued} == {n.waybill_no for n in stored.values()}
    assert all(n.carrier_code == "shunfeng" and n.waybill_no.startswith("SF") for n in stored.values())
    assert [i["param"]["recMan"]["name"] for i in issued] == [n.address["name"] for n in notices]

    # one label per parcel, carrying its own waybill as a Code 128 barcode, on a 100 x 180 mm page
    html = owner.get(location).get_data(as_text=True)
    labels = _labels(html)
    assert {number: waybill for number, (waybill, _body) in labels.items()} == \
        {number: n.waybill_no for number, n in stored.items()}
    for waybill, body in labels.values():
        assert body.count('data-barcode="code128"') == 1 and code128_svg(waybill) in body
    css = owner.get("/static/css/labels.css").get_data(as_text=True)
    assert re.search(r"@page waybill \{ size: 100mm 180mm;", css)
    assert re.search(r"\.waybill-label \{ page: waybill; width: 100mm; height: 180mm;", css)

    # printing the wave again prints the same numbers and asks the carrier for none
    again = owner.form(url, {"carrier": "shunfeng"})
    assert again.status_code == 303 and again.headers["Location"] == location
    assert len(fake_kuaidi100.issued) == before + 2
    assert _labels(owner.get(location).get_data(as_text=True)).keys() == labels.keys()
    assert {w for w, _b in _labels(owner.get(location).get_data(as_text=True)).values()} == \
        {n.waybill_no for n in stored.values()}


def test_two_clicks_at_once_on_print_the_waves_waybills_issue_each_parcel_one_number(
        app, store, fake_kuaidi100, monkeypatch):
    """The print form opens a new tab, so a second click comes easily: while the first request waits
    for the carrier, the second must wait for it, not ask for numbers of its own (the first tab's
    labels would carry numbers the shop then forgets, and those parcels would never be tracked)."""
    import threading

    from sqlalchemy import text

    from tests.conftest import wait_for

    wave, (notice, other) = _wave_of_two(store, fake_kuaidi100)
    url = f"/store/{store.slug}/dispatch/waves/{wave.id}/waybills"
    first_in, carrier_answers = threading.Event(), threading.Event()
    label = fake_kuaidi100._label

    def slow_label(form):              # the carrier keeps the first request waiting
        if not first_in.is_set():
            first_in.set()
            carrier_answers.wait(30)
        return label(form)

    monkeypatch.setattr(fake_kuaidi100, "_label", slow_label)
    before = len(fake_kuaidi100.issued)
    answers = {}

    def click(name):
        client = app.test_client()
        client.login("store", store.owner_email, slug=store.slug)
        answers[name] = client.form(url, {"carrier": "shunfeng"})

    first = threading.Thread(target=click, args=("first",))
    first.start()
    assert first_in.wait(30)
    second = threading.Thread(target=click, args=("second",))
    second.start()

    def second_done_or_waiting_for_the_first():
        with app.app_context():
            with db.engine.connect() as conn:
                waiting = conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                           " AND query ILIKE '%delivery_notices%FOR UPDATE%'"))
        return not second.is_alive() or waiting

    wait_for(second_done_or_waiting_for_the_first, timeout=30)
    carrier_answers.set()
    first.join(30)
    second.join(30)
    assert answers["first"].status_code == answers["second"].status_code == 303
    assert len(fake_kuaidi100.issued) == before + 2                  # one number per parcel, not two
    stored = {n.id: f.get(store, DeliveryNotice, n.id).waybill_no for n in (notice, other)}
    assert {i["kuaidinum"] for i in fake_kuaidi100.issued[before:]} == set(stored.values())

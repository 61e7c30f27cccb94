"""The logistics pages in both languages: shipments (filter, sort, page, export), a shipment with
its tracking and timeline, carriers, carrier accounts (sealed keys, field errors) and settings."""
import csv
import io

from app.blueprints.logistics import accounts
from app.blueprints.logistics.models import CarrierAccount
from tests import factories
from tests.logistics.conftest import kuaidi100_on, ship_parcel
from tests.logistics.test_tracking import _subscribed, post_push


def _zh(client, store):
    client.form(f"/store/{store.slug}/account/locale", {"locale": "zh_CN", "next": f"/store/{store.slug}/"})
    return client


def test_shipments_list_filters_by_carrier_status_and_flag_and_exports(app, owner, store, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    order = factories.order(store, "shipped")
    zto = ship_parcel(store, order, carrier="zhongtong")
    sf = ship_parcel(store, order, carrier="shunfeng", waybill="SF1000000000777")
    _subscribed(store, fake_kuaidi100, sf)
    fake_kuaidi100.scan("shunfeng", sf.waybill_no, "5", "快递员正在派件")
    post_push(owner, fake_kuaidi100.push("shunfeng", sf.waybill_no))
    base = f"/store/{store.slug}/logistics/shipments"
    html = owner.get(base).get_data(as_text=True)
    assert zto.waybill_no in html and sf.waybill_no in html and "SF Express" in html and "Out for delivery" in html
    only_sf = owner.get(f"{base}?carrier=shunfeng").get_data(as_text=True)
    assert sf.waybill_no in only_sf and zto.waybill_no not in only_sf
    waiting = owner.get(f"{base}?status=awaiting_pickup").get_data(as_text=True)
    assert zto.waybill_no in waiting and sf.waybill_no not in waiting
    assert sf.waybill_no not in owner.get(f"{base}?flag=any").get_data(as_text=True)
    assert owner.get(f"{base}?status=nonsense").status_code == 200        # a bad filter value is ignored, not a 500
    rows = list(csv.reader(io.StringIO(owner.get(f"{base}?export=csv&sort=waybill_no").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Shipment", "Order", "Carrier", "Waybill number"]
    assert {r[3] for r in rows[1:]} >= {zto.waybill_no, sf.waybill_no}
    zh = _zh(owner, store).get(base).get_data(as_text=True)
    assert "顺丰速运" in zh and "派送中" in zh and "待揽收" in zh


def test_a_shipment_page_shows_tracking_timeline_and_raw_pushes(app, owner, store, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    order = factories.order(store, "shipped")
    s = ship_parcel(store, order)
    _subscribed(store, fake_kuaidi100, s)
    fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "1", "【杭州市】快件已揽收")
    post_push(owner, fake_kuaidi100.push(s.carrier_code, s.waybill_no))
    html = owner.get(f"/store/{store.slug}/logistics/shipments/{s.id}").get_data(as_text=True)
    assert "【杭州市】快件已揽收" in html and "Tracking subscribed" in html and "Handed to the carrier" in html
    assert "lastResult" in html and "Applied" in html        # the raw push, kept
    zh = _zh(owner, store).get(f"/store/{store.slug}/logistics/shipments/{s.id}").get_data(as_text=True)
    assert "在途" in zh and "已订阅物流轨迹" in zh and "已交给快递" in zh


def test_asking_the_carrier_now_applies_its_answer(app, owner, store, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    order = factories.order(store, "shipped")
    s = ship_parcel(store, order)
    url = f"/store/{store.slug}/logistics/shipments/{s.id}"
    answer = owner.form(f"{url}/refresh", follow_redirects=True).get_data(as_text=True)
    assert "nothing for this waybill yet" in answer                       # the fake has no scans yet
    fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "1", "快件已揽收")
    answer = owner.form(f"{url}/refresh", follow_redirects=True).get_data(as_text=True)
    assert "1 new tracking events" in answer and "快件已揽收" in answer


def test_carrier_accounts_keep_keys_sealed_and_refuse_enabling_without_them(app, owner, store):
    base = f"/store/{store.slug}/logistics/accounts"
    bad = owner.form(f"{base}/kuaidi100", {"customer": "CUST1", "enabled": "1"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="key-error"' in page and "CUST1" in page                  # the error under the field, input kept
    assert factories.count(store, CarrierAccount) == 0
    ok = owner.form(f"{base}/kuaidi100", {"customer": "CUST1", "key": "abcdefgh12345678", "enabled": "1"})
    assert ok.status_code in (302, 303)
    row = factories.read(store, lambda: accounts.account("kuaidi100"))
    assert "abcdefgh12345678" not in row.sealed and row.settings == {"customer": "CUST1", "secret": ""} or \
        row.settings.get("customer") == "CUST1"
    html = owner.get(f"{base}/kuaidi100").get_data(as_text=True)
    assert "abcdefgh12345678" not in html and "••••5678" in html
    listing = owner.get(base).get_data(as_text=True)
    assert "Kuaidi100" in listing and "CUST1" in listing and "abcdefgh" not in listing
    # a carrier's monthly account; an unknown carrier is not a page
    assert owner.form(f"{base}/shunfeng", {"partner_id": "0210000001", "partner_key": "k" * 12, "enabled": "1"}).status_code in (302, 303)
    assert owner.get(f"{base}/dhl-nowhere").status_code == 404
    assert "0210000001" in owner.get(f"{base}?carrier=shunfeng").get_data(as_text=True)


def test_carriers_page_lists_kuaidi100_codes_in_both_languages(app, owner, store):
    url = f"/store/{store.slug}/logistics/carriers"
    html = owner.get(url).get_data(as_text=True)
    assert "shunfeng" in html and "SF Express" in html and "No account" in html
    rows = list(csv.reader(io.StringIO(owner.get(f"{url}?export=csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert ["SF Express", "shunfeng"] == rows[1][:2]
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(owner.get(f"{url}?export=xlsx").data))
    assert [c.value for c in next(book.active.iter_rows(min_row=2, max_row=2))][:2] == ["SF Express", "shunfeng"]
    assert "顺丰速运" in _zh(owner, store).get(url).get_data(as_text=True)


def test_settings_refuse_a_bad_number_of_hours_with_a_field_error(app, owner, store):
    url = f"/store/{store.slug}/logistics/settings"
    bad = owner.form(url, {"stale_hours": "0"})
    assert bad.status_code == 422 and 'id="stale_hours-error"' in bad.get_data(as_text=True)
    assert owner.form(url, {"stale_hours": "abc"}).status_code == 422
    assert owner.form(url, {"stale_hours": "48", "default_carrier": "yunda"}).status_code in (302, 303)
    assert factories.read(store, lambda: accounts.settings().stale_hours) == 48


def test_logistics_pages_need_their_permissions(app, store):
    clerk = factories.staff_client(store, permissions=["orders.view"])
    for path in ("shipments", "carriers", "accounts", "settings", "accounts/kuaidi100"):
        assert clerk.get(f"/store/{store.slug}/logistics/{path}").status_code == 403, path
    viewer = factories.staff_client(store, permissions=["logistics.view"])
    assert viewer.get(f"/store/{store.slug}/logistics/shipments").status_code == 200
    assert viewer.get(f"/store/{store.slug}/logistics/accounts").status_code == 403

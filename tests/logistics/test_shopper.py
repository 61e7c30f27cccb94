"""The shopper follows each parcel: the shop's order page and GET orders/{number} show every
shipment with its carrier, waybill number and tracking timeline; the API document types them.
Staff see the same on the order page, with the flags shoppers do not see."""
from datetime import timedelta

from app.core.db import utcnow
from tests import factories
from tests.logistics.conftest import kuaidi100_on, ship_parcel
from tests.logistics.test_tracking import _subscribed, post_push


def _two_parcels(store, fake, member):
    order = factories.order(store, "shipped", member_obj=member)
    a = ship_parcel(store, order, carrier="zhongtong")
    b = ship_parcel(store, order, carrier="shunfeng", waybill="SF1000000000888")
    for s in (a, b):
        _subscribed(store, fake, s)
    fake.scan(a.carrier_code, a.waybill_no, "1", "【上海市】快件已揽收", at=utcnow() - timedelta(hours=5))
    fake.scan(a.carrier_code, a.waybill_no, "0", "【上海市】已发往 杭州转运中心", at=utcnow() - timedelta(hours=2))
    fake.scan(b.carrier_code, b.waybill_no, "3", "已签收，签收人：门卫", at=utcnow() - timedelta(hours=1))
    return order, a, b


def test_the_shop_order_page_shows_each_parcel_with_its_tracking(app, client, store, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    member = factories.member(store)
    order, a, b = _two_parcels(store, fake_kuaidi100, member)
    for s in (a, b):
        post_push(client, fake_kuaidi100.push(s.carrier_code, s.waybill_no))
    shopper = factories.shopper_client(store, member)
    html = shopper.get(f"/shop/{store.slug}/orders/{order.number}").get_data(as_text=True)
    assert a.waybill_no in html and b.waybill_no in html and "ZTO Express" in html and "SF Express" in html
    assert html.index("已发往 杭州转运中心") < html.index("快件已揽收")      # newest first
    assert "已签收，签收人：门卫" in html and "Signed for" in html
    # another shopper sees none of it
    stranger = factories.shopper_client(store)
    assert stranger.get(f"/shop/{store.slug}/orders/{order.number}").status_code == 404


def test_the_api_order_carries_typed_shipments(app, client, store, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    member = factories.member(store)
    order, a, b = _two_parcels(store, fake_kuaidi100, member)
    post_push(client, fake_kuaidi100.push(a.carrier_code, a.waybill_no))
    token = client.post(f"/api/v1/shop/{store.slug}/auth/token",
                        json={"email": member.email, "password": factories.PASSWORD}).get_json()["token"]
    body = client.get(f"/api/v1/shop/{store.slug}/orders/{order.number}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    shipments = {s["waybill_no"]: s for s in body["shipments"]}
    assert set(shipments) == {a.waybill_no, b.waybill_no}
    zto = shipments[a.waybill_no]
    assert zto["carrier"] == {"code": "zhongtong", "name": "ZTO Express"} and zto["status"] == "in_transit"
    assert [e["description"] for e in zto["events"]] == ["【上海市】已发往 杭州转运中心", "【上海市】快件已揽收"]
    assert shipments[b.waybill_no]["events"] == [] and shipments[b.waybill_no]["status"] == "awaiting_pickup"

    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert schemas["Order"]["properties"]["shipments"]["items"] == {"$ref": "#/components/schemas/Shipment"}
    for name, value in (("Shipment", zto), ("TrackingEvent", zto["events"][0]), ("Carrier", zto["carrier"])):
        schema = schemas[name]
        assert set(schema["required"]) <= set(value) and set(value) <= set(schema["properties"]), name
    assert zto["status"] in schemas["Shipment"]["properties"]["status"]["enum"]


def test_staff_see_the_parcels_and_their_flags_on_the_order_page(app, client, owner, store, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    order = factories.order(store, "shipped")
    s = ship_parcel(store, order)
    _subscribed(store, fake_kuaidi100, s)
    fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "6", "收件人拒收，退回中")
    post_push(client, fake_kuaidi100.push(s.carrier_code, s.waybill_no))
    html = owner.get(f"/store/{store.slug}/orders/{order.id}").get_data(as_text=True)
    assert s.waybill_no in html and "Returned to sender" in html and s.number in html

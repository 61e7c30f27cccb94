"""Cross-store: one store's tracking push never touches another store's shipment, and one
store's staff never open another's shipments or accounts."""
from app.blueprints.logistics import accounts
from app.blueprints.logistics.adapters.kuaidi100 import push_sign
from app.blueprints.logistics.models import Shipment, TrackingEvent, TrackingPush
from app.core.secrets import unseal
from tests import factories
from tests.logistics.conftest import kuaidi100_on, ship_parcel
from tests.logistics.test_tracking import _shipment, _subscribed


def _salt(store) -> str:
    with factories.bound(store):
        return unseal(accounts.account("kuaidi100").sealed)["salt"]


def test_one_stores_push_never_touches_another_stores_shipment(app, client, tracked_store, make_store, fake_kuaidi100):
    other = make_store()
    kuaidi100_on(other, fake_kuaidi100)
    order = factories.order(tracked_store, "shipped")
    s = ship_parcel(tracked_store, order)
    _subscribed(tracked_store, fake_kuaidi100, s)
    fake_kuaidi100.scan(s.carrier_code, s.waybill_no, "3", "已签收", at=None)
    path, form = fake_kuaidi100.push(s.carrier_code, s.waybill_no)       # signed with the first store's salt
    other_path = path.replace(f"/carrier/{tracked_store.slug}/", f"/carrier/{other.slug}/")
    # the right push at the other store's endpoint: its salt does not match
    assert client.post(other_path, data=form).get_json()["result"] is False
    # the other store signs a push naming this waybill: nothing of the other store's has it
    forged = {"param": form["param"], "sign": push_sign(form["param"], _salt(other))}
    assert client.post(other_path, data=forged).get_json()["result"] is True
    assert factories.count(other, TrackingPush, TrackingPush.outcome == "unknown_waybill") == 1
    assert factories.count(other, TrackingEvent) == 0
    assert _shipment(tracked_store, s.id).status == "awaiting_pickup"
    assert factories.count(tracked_store, TrackingEvent, TrackingEvent.shipment_id == s.id) == 0


def test_staff_of_one_store_cannot_open_anothers_shipment(app, tracked_store, make_store, fake_kuaidi100):
    order = factories.order(tracked_store, "shipped")
    s = ship_parcel(tracked_store, order)
    other = make_store()
    intruder = app.test_client()
    intruder.login("store", other.owner_email, slug=other.slug)
    assert intruder.get(f"/store/{other.slug}/logistics/shipments/{s.id}").status_code == 404
    assert intruder.get(f"/store/{tracked_store.slug}/logistics/shipments/{s.id}").status_code in (302, 303, 403, 404)
    assert intruder.form(f"/store/{tracked_store.slug}/logistics/shipments/{s.id}/clear-flag").status_code in (302, 303, 403, 404)
    assert s.number not in intruder.get(f"/store/{other.slug}/logistics/shipments?q={s.waybill_no}").get_data(as_text=True)
    assert factories.count(other, Shipment) == 0

"""Logistics fixtures: a store with its Kuaidi100 account on the fake, and parcels shipped the way
dispatch ships them (its `parcel.shipped` event, payload as the fulfilment contract says)."""
from __future__ import annotations

import itertools

import pytest

from tests import factories

_notices = itertools.count(1)


def ensure_parcel_topic() -> None:
    """Dispatch declares `parcel.shipped`; until it does, the tests declare it to emit it."""
    from app.core import outbox

    outbox.TOPICS.setdefault("parcel.shipped", "A parcel was handed to the carrier")


def kuaidi100_on(store, fake, *, key: str | None = None, customer: str | None = None, secret: str = "s3cret") -> dict:
    from app.blueprints.logistics import accounts

    key = key or factories.unique("key")
    customer = customer or factories.unique("CUST").upper()
    fake.register(key, customer, secret)
    with factories.bound(store, request=True):
        accounts.save_account(None, "kuaidi100", True, {"key": key, "customer": customer, "secret": secret})
    return {"key": key, "customer": customer, "secret": secret}


def parcel_payload(order, *, carrier: str = "zhongtong", waybill: str | None = None, notice_id: int | None = None,
                   lines=None) -> dict:
    notice_id = notice_id or 100000 + next(_notices)
    return {"notice_id": notice_id, "notice_number": f"DN{notice_id}", "order_id": order.id,
            "order_number": order.number, "warehouse_id": None, "outbound_number": f"SO{notice_id}",
            "carrier_code": carrier, "waybill_no": waybill or f"7310{notice_id:010d}", "weight_grams": 1200,
            "lines": lines if lines is not None else [{"order_line_id": line.id, "sku_id": line.sku_id,
                                                      "quantity": line.quantity} for line in order.lines]}


def ship_parcel(store, order, **kwargs):
    """Emit `parcel.shipped` and run the logistics handler here, as the worker would. Returns the shipment."""
    from app.blueprints.logistics import services
    from app.core import outbox

    ensure_parcel_topic()
    payload = parcel_payload(order, **kwargs)
    with factories.bound(store, request=True):
        event = outbox.emit("parcel.shipped", payload)
        event_id = event.id
    run_logistics_handler(store, event_id)
    with factories.bound(store) as session:
        shipment = services.shipment_for_notice(payload["notice_id"])
        session.expunge(shipment)
        return shipment


def run_logistics_handler(store, event_id: int) -> str:
    from app.core import outbox

    name = "app.blueprints.logistics.handlers.parcel_handed_to_carrier"
    with factories.bound(store, request=True):
        return outbox.run_handler(event_id, name)


@pytest.fixture()
def tracked_store(store, fake_kuaidi100):
    """A store whose Kuaidi100 account is on (the fake knows its key, customer and secret)."""
    store.kuaidi100 = kuaidi100_on(store, fake_kuaidi100)
    return store

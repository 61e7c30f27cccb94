"""Reactions of the logistics center to other centers' events."""
from sqlalchemy import func, select

from app.blueprints.logistics import services
from app.blueprints.logistics.models import Shipment
from app.core.outbox import emit, handler
from app.extensions import db


@handler("parcel.shipped", queue="logistics")
def parcel_handed_to_carrier(event) -> None:
    """Dispatch shipped a parcel: it becomes a shipment (once per delivery notice) and its
    tracking is subscribed."""
    p = event.payload
    services.create_shipment(
        None, notice_id=p.get("notice_id"), notice_number=p.get("notice_number", ""), order_id=p["order_id"],
        order_number=p.get("order_number", ""), carrier_code=p.get("carrier_code", ""), waybill_no=p.get("waybill_no", ""),
        warehouse_id=p.get("warehouse_id"), outbound_number=p.get("outbound_number", ""),
        weight_grams=p.get("weight_grams"), lines=p.get("lines") or [])


@handler("order.shipped", queue="logistics")
def order_fully_shipped(event) -> None:
    """Every parcel of the order was signed for before the order itself counted as shipped (a
    fast carrier, a slow event): say so again, now that the order can take it."""
    order_id = event.payload.get("order_id")
    counts = db.session.execute(select(func.count(), func.count().filter(Shipment.status == "signed"))
                                .where(Shipment.order_id == order_id, Shipment.return_of.is_(None))).one()
    if counts[0] and counts[0] == counts[1]:
        last = db.session.scalar(select(Shipment).where(Shipment.order_id == order_id, Shipment.return_of.is_(None))
                                 .order_by(Shipment.signed_at.desc().nulls_last(), Shipment.id.desc()).limit(1))
        emit("shipment.signed", {**services._signed_payload(last, "signed"), "all_signed": True})

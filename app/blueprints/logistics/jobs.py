"""Logistics work on the `logistics` queue: tracking subscriptions, the query fallback and the
flags for stuck shipments, in every store."""
from app.blueprints.logistics import services
from app.blueprints.logistics.models import Shipment
from app.core import jobs
from app.core.periodic import every
from app.extensions import db


@jobs.job(queue="logistics", timeout=60, retry=(30, 300, 1800))
def subscribe_tracking(shipment_id: int) -> str:
    """Subscribe a new shipment's waybill to tracking pushes."""
    shipment = db.session.get(Shipment, shipment_id, with_for_update=True)
    if shipment is None:
        raise jobs.BadJobInput(f"no shipment {shipment_id}")
    return services.subscribe(shipment)


@every(600, queue="logistics")
def follow_up_tracking() -> dict:
    """Retry subscriptions that failed; ask the carrier about shipments that went quiet."""
    return services.follow_up()


@every(3600, queue="logistics")
def flag_stuck_shipments() -> int:
    """No tracking movement for the store's N hours: the shipment goes to staff."""
    return services.flag_stuck()

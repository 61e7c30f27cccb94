"""Reactions of the after-sales center to the payment center's refunds and the logistics
center's return parcels."""
from app.blueprints.aftersales import services
from app.core.outbox import handler


def _ours(payload: dict) -> bool:
    return str(payload.get("request_id") or "").startswith("AS")


@handler("refund.succeeded", queue="finance")
def refund_went_through(event) -> None:
    """One of a request's refunds succeeded: when all did, the request is refunded and closes."""
    if _ours(event.payload):
        services.record_refund_result(event.payload["request_id"], event.payload["refund_id"],
                                      event.payload.get("amount", 0), True)


@handler("refund.failed", queue="finance")
def refund_failed(event) -> None:
    """The gateway refused a request's refund: its timeline says so (staff send it again)."""
    if _ours(event.payload):
        services.record_refund_result(event.payload["request_id"], event.payload["refund_id"],
                                      event.payload.get("amount", 0), False)


@handler("shipment.signed", queue="logistics")
def return_parcel_signed(event) -> None:
    """A parcel a shopper sent back was signed for at the warehouse: the request is received and
    waits for inspection there."""
    number = event.payload.get("return_of")
    if number:
        services.record_return_signed(number)


@handler("parcel.shipped", queue="logistics")
def replacement_shipped(event) -> None:
    """The replacement of an exchange left the warehouse: the request is exchange-shipped and closes."""
    from app.blueprints.inventory import documents

    outbound = documents.by_number(event.payload.get("outbound_number", ""))
    if outbound is not None:
        services.record_replacement_shipped(event.payload.get("notice_number", ""), outbound.reservation_ref)

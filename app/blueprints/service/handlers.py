"""Reactions of customer service to the after-sales center's events (contract in the team brief):
one ticket per request, a timeline row per step, the ticket resolved when the request closes."""
from app.blueprints.service import services
from app.core.outbox import handler


@handler("aftersales.requested")
def ticket_for_request(event) -> None:
    """A new after-sales request gets its ticket (once, however often the event arrives)."""
    services.ticket_for_request(event.payload)


@handler("aftersales.updated")
def request_updated(event) -> None:
    services.request_updated(event.payload)


@handler("aftersales.closed")
def request_closed(event) -> None:
    """The request is over: its ticket is resolved and the shopper is offered a rating."""
    services.request_closed(event.payload)

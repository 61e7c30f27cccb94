"""Store management's reactions to events."""
from app.blueprints.store import webhooks
from app.core.outbox import handler


@handler("*", queue="webhooks")
def deliver_to_webhooks(event) -> None:
    """Every event fans out to the endpoints subscribed to its topic."""
    webhooks.queue_deliveries(event)

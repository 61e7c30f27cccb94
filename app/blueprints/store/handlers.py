"""Store management's reactions to events."""
from flask_babel import lazy_gettext as _l

from app.blueprints.store import webhooks
from app.core.outbox import handler, register_topic

register_topic("staff.invited", _l("A staff member was invited"))
register_topic("staff.joined", _l("An invited staff member joined"))
register_topic("staff.updated", _l("A staff member's name or role changed"))
register_topic("staff.status_changed", _l("A staff member was disabled or enabled"))
register_topic("role.changed", _l("A role was created, changed or deleted"))
register_topic("store.settings_changed", _l("The store settings changed"))


@handler("*", queue="webhooks")
def deliver_to_webhooks(event) -> None:
    """Every event fans out to the endpoints subscribed to its topic."""
    webhooks.queue_deliveries(event)

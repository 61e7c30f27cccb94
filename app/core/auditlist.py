"""The columns of an audit-log list page; the store and the platform logs share them."""
from flask_babel import lazy_gettext as _l

from app.core.listview import Column


def audit_columns(model) -> list[Column]:
    return [
        Column("at", _l("When"), sort=model.at, kind="datetime"),
        Column("actor_name", _l("Who"), sort=model.actor_name),
        Column("action", _l("Action"), sort=model.action, badge=True),
        Column("object_label", _l("Object"), value=lambda e: e.object_label or ""),
        Column("changes", _l("Changes"), value=lambda e: e.changes),
        Column("ip", _l("IP address")),
    ]

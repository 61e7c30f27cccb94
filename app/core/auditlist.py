"""The columns of an audit-log list page; the store and the platform logs share them."""
import json

from flask_babel import lazy_gettext as _l

from app.core.audit import action_label, actor_label, changes_view
from app.core.listview import Column


def audit_columns(model) -> list[Column]:
    return [
        Column("at", _l("When"), sort=model.at, kind="datetime"),
        Column("actor_name", _l("Who"), sort=model.actor_name, value=lambda e: actor_label(e.actor_name)),
        Column("action", _l("Action"), sort=model.action, badge=True, value=lambda e: action_label(e.action)),
        Column("object_label", _l("Object"), value=lambda e: e.object_label or ""),
        # the page draws the dict; an export writes it as JSON text a spreadsheet or a script can read
        Column("changes", _l("Changes"), value=lambda e: changes_view(e.action, e.changes),
               raw=lambda e: json.dumps(changes_view(e.action, e.changes), ensure_ascii=False) if e.changes else ""),
        Column("ip", _l("IP address")),
    ]

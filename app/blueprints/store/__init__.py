"""Store management (店铺管理): dashboard, settings, staff, roles and the audit log."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

ALL_STAFF = ("owner", "operations", "customer_service", "warehouse", "finance", "purchasing")

bp = StoreBlueprint("store", __name__)

center = Center(
    __name__, _l("Store"), position=30, blueprints=[bp], models=["models", "webhooks"], jobs=["webhooks"],
    handlers=["handlers"],
    topics={"staff.invited": _l("A staff member was invited"),
            "staff.joined": _l("An invited staff member joined"),
            "staff.updated": _l("A staff member's name or role changed"),
            "staff.status_changed": _l("A staff member was disabled or enabled"),
            "role.changed": _l("A role was created, changed or deleted"),
            "store.settings_changed": _l("The store settings changed")},
    permissions=[Perm("store.dashboard", _l("See the dashboard"), ALL_STAFF),
                 Perm("store.staff_view", _l("See staff"), ("operations",)),
                 Perm("store.staff_manage", _l("Invite, edit and disable staff")),
                 Perm("store.roles", _l("Edit roles and permissions")),
                 Perm("store.audit", _l("Read the audit log"), ("operations", "finance")),
                 Perm("store.settings", _l("Change store settings")),
                 Perm("store.jobs", _l("See background jobs and events; cancel and retry them"), ("operations",)),
                 Perm("store.webhooks", _l("Manage webhooks"))],
    menu=[Entry("store.dashboard", _l("Dashboard"), "store.dashboard", order=0, section=None),
          Entry("store.staff", _l("Staff"), "store.staff_view", order=900),
          Entry("store.roles", _l("Roles"), "store.roles", order=910),
          Entry("store.audit", _l("Audit log"), "store.audit", order=920),
          Entry("store.settings", _l("Settings"), "store.settings", order=930),
          Entry("store.jobs", _l("Jobs"), "store.jobs", order=940),
          Entry("store.events", _l("Events"), "store.jobs", order=950),
          Entry("store.webhooks", _l("Webhooks"), "store.webhooks", order=960)],
    audit_actions={"store.settings_changed": _l("Store settings changed"),
                   "staff.invited": _l("Staff invited"), "staff.invitation_resent": _l("Invitation sent again"),
                   "staff.joined": _l("Staff joined"), "staff.updated": _l("Staff edited"),
                   "staff.enabled": _l("Staff enabled"), "staff.disabled": _l("Staff disabled"),
                   "role.created": _l("Role created"), "role.updated": _l("Role edited"),
                   "role.deleted": _l("Role deleted"), "webhook.created": _l("Webhook created"),
                   "webhook.updated": _l("Webhook edited"), "webhook.deleted": _l("Webhook deleted"),
                   "webhook.disabled": _l("Webhook disabled"), "webhook.pinged": _l("Webhook test sent"),
                   "webhook.secret_rotated": _l("Webhook secret changed"),
                   "webhook.resent": _l("Webhook delivery sent again"), "event.retried": _l("Event retried")},
    audit_fields={"name": _l("Name"), "email": _l("Email"), "role": _l("Role"), "permissions": _l("Permissions"),
                  "description": _l("Description"), "url": _l("URL"), "topics": _l("Topics"), "active": _l("Active"),
                  "status": _l("Status"),
                  "staff.status": (_l("Status"), {"invited": _l("Invited"), "active": _l("Active"),
                                                   "disabled": _l("Disabled")})},
)

from app.blueprints.store import views, job_views, webhook_views  # noqa: E402,F401

"""Store management (店铺管理): dashboard, settings, staff, roles and the audit log."""
from flask_babel import lazy_gettext as _l

from app.core import menu
from app.core.permissions import register
from app.core.tenancy import StoreBlueprint

CENTER = _l("Store")
ALL_STAFF = ("owner", "operations", "customer_service", "warehouse", "finance", "purchasing")

register("store.dashboard", _l("See the dashboard"), CENTER, ALL_STAFF)
register("store.staff_view", _l("See staff"), CENTER, ("operations",))
register("store.staff_manage", _l("Invite, edit and disable staff"), CENTER)
register("store.roles", _l("Edit roles and permissions"), CENTER)
register("store.audit", _l("Read the audit log"), CENTER, ("operations", "finance"))
register("store.settings", _l("Change store settings"), CENTER)
register("store.jobs", _l("See background jobs and events; cancel and retry them"), CENTER, ("operations",))
register("store.webhooks", _l("Manage webhooks"), CENTER)

bp = StoreBlueprint("store", __name__)

menu.add("store.dashboard", _l("Dashboard"), "store.dashboard", order=0)
menu.add("store.staff", _l("Staff"), "store.staff_view", order=900, section=_l("Store"))
menu.add("store.roles", _l("Roles"), "store.roles", order=910, section=_l("Store"))
menu.add("store.audit", _l("Audit log"), "store.audit", order=920, section=_l("Store"))
menu.add("store.settings", _l("Settings"), "store.settings", order=930, section=_l("Store"))
menu.add("store.jobs", _l("Jobs"), "store.jobs", order=940, section=_l("Store"))
menu.add("store.events", _l("Events"), "store.jobs", order=950, section=_l("Store"))
menu.add("store.webhooks", _l("Webhooks"), "store.webhooks", order=960, section=_l("Store"))

from app.blueprints.store import views, job_views, webhook_views  # noqa: E402,F401

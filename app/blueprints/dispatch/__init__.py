"""Dispatch center (调度中心): delivery notices from paid orders, routing to warehouses,
waves, packing and shipping."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("dispatch", __name__, url_prefix="/dispatch")

center = Center(
    __name__, _l("Dispatch"), position=65, blueprints=[bp], models=["models"], jobs=["jobs"], handlers=["handlers"],
    topics={"parcel.shipped": _l("A parcel left the warehouse with its carrier and waybill")},
    permissions=[Perm("dispatch.view", _l("See delivery notices and waves"),
                      ("operations", "customer_service", "warehouse")),
                 Perm("dispatch.manage", _l("Hold and re-route delivery notices"), ("operations",)),
                 Perm("dispatch.work", _l("Pick in waves, pack and ship parcels"), ("operations", "warehouse")),
                 Perm("dispatch.settings", _l("Choose the routing strategy and the sender on waybills"))],
    menu=[Entry("dispatch.notices", _l("Delivery notices"), "dispatch.view", order=60),
          Entry("dispatch.waves", _l("Waves"), "dispatch.view", order=62),
          Entry("dispatch.settings_page", _l("Dispatch settings"), "dispatch.settings", order=64)],
)

from app.blueprints.dispatch import views  # noqa: E402,F401

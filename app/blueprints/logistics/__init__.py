"""Logistics center (物流中心): carriers and the store's carrier accounts, shipments made from
shipped delivery notices, tracking through the carrier adapters (Kuaidi100), electronic
waybills, the flags that send a stuck or returned parcel to staff, and freight templates."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("logistics", __name__, url_prefix="/logistics")
push_bp = StoreBlueprint("logistics_push", __name__, base="/carrier")     # the tracking service posts here

center = Center(
    __name__, _l("Logistics"), position=85, blueprints=[bp, push_bp, "freight_views:bp"],
    models=["models", "freight_models"], jobs=["jobs"], handlers=["handlers"],
    topics={"shipment.signed": _l("A shipment was signed for"),
            "shipment.exception": _l("A shipment ran into a problem")},
    permissions=[Perm("logistics.view", _l("See shipments, tracking and carriers"),
                      ("operations", "customer_service", "warehouse")),
                 Perm("logistics.manage", _l("Resolve shipment flags and refresh tracking"),
                      ("operations", "warehouse")),
                 Perm("logistics.settings", _l("Configure carrier accounts and tracking"), ()),
                 Perm("logistics.freight", _l("Edit freight templates"), ("operations",))],
    menu=[Entry("logistics.shipments", _l("Shipments"), "logistics.view", order=70),
          Entry("logistics.carriers", _l("Carriers"), "logistics.view", order=71),
          Entry("logistics.accounts", _l("Carrier accounts"), "logistics.settings", order=72),
          Entry("logistics.settings", _l("Logistics settings"), "logistics.settings", order=73),
          Entry("freight.templates", _l("Freight templates"), "logistics.view", order=140)],
)

from app.blueprints.logistics import views  # noqa: E402,F401

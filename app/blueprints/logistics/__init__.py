"""Logistics center (物流中心): carriers and the store's carrier accounts, shipments made from
shipped delivery notices, tracking through the carrier adapters (Kuaidi100), electronic
waybills, and the flags that send a stuck or returned parcel to staff."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm

center = Center(
    __name__, _l("Logistics"), position=85, models=["models", "freight_models"],
    blueprints=["freight_views:bp"],
    topics={"shipment.signed": _l("A shipment was signed for"),
            "shipment.exception": _l("A shipment ran into a problem")},
    permissions=[Perm("logistics.view", _l("See shipments, tracking and carriers"),
                      ("operations", "customer_service", "warehouse")),
                 Perm("logistics.manage", _l("Resolve shipment flags and refresh tracking"),
                      ("operations", "warehouse")),
                 Perm("logistics.settings", _l("Configure carrier accounts and tracking"), ()),
                 Perm("logistics.freight", _l("Edit freight templates"), ("operations",))],
    menu=[Entry("freight.templates", _l("Freight templates"), "logistics.view", order=140)],
)

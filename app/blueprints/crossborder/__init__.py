"""Cross-border center (跨境): the store setting to sell cross-border with its customs
registration, the comprehensive tax estimated at checkout and stored on the order (see
`tax`), the payer's yearly limit, and the daily customs export of the three documents
(三单: order, payment, waybill) in the China customs cross-border e-commerce import message
format (see `manifest`)."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("crossborder", __name__, url_prefix="/crossborder")

center = Center(
    __name__, _l("Cross-border"), position=67, blueprints=[bp], models=["models"], jobs=["jobs"],
    handlers=["handlers"],
    permissions=[Perm("crossborder.settings", _l("Turn cross-border sales on and set the customs registration")),
                 Perm("crossborder.export", _l("Export the customs documents of cross-border orders"),
                      ("operations", "finance"))],
    menu=[Entry("crossborder.export_page", _l("Customs export"), "crossborder.export", order=66),
          Entry("crossborder.settings_page", _l("Cross-border settings"), "crossborder.settings", order=67)],
    audit_actions={"crossborder.settings": _l("Cross-border settings saved")},
    audit_fields={"sells_cross_border": _l("Sells cross-border")},
)

from app.blueprints.crossborder import cli, views  # noqa: E402,F401

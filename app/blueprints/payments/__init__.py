"""Payment center (支付中心): payment records, gateway adapters, notifications applied exactly
once, refunds, reconciliation and gateway settings."""
from flask_babel import lazy_gettext as _l

from app.core import menu
from app.core.permissions import register
from app.core.tenancy import StoreBlueprint

CENTER = _l("Payments")
register("payments.view", _l("See payments, refunds and reconciliation"), CENTER, ("finance", "operations"))
register("payments.refund", _l("Refund payments"), CENTER, ("finance",))
register("payments.reconcile", _l("Run reconciliation and resolve differences"), CENTER, ("finance",))
register("payments.settings", _l("Configure payment gateways"), CENTER, ())

bp = StoreBlueprint("payments", __name__, url_prefix="/payments")
notify_bp = StoreBlueprint("payment_notify", __name__, base="/pay")
gateway_bp = StoreBlueprint("sandbox_gateway", __name__, base="/sandbox")

menu.add("payments.overview", _l("Overview"), "payments.view", order=59, section=CENTER)
menu.add("payments.payments", _l("Payments"), "payments.view", order=60, section=CENTER)
menu.add("payments.refunds", _l("Refunds"), "payments.view", order=61, section=CENTER)
menu.add("payments.reconciliation", _l("Reconciliation"), "payments.view", order=62, section=CENTER)
menu.add("payments.gateways", _l("Payment gateways"), "payments.settings", order=63, section=CENTER)

from app.blueprints.payments import views, gateway_views, reconcile_views  # noqa: E402,F401

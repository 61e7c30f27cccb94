"""Payment center (支付中心): payment records, gateways (the sandbox first), notifications."""
from flask_babel import lazy_gettext as _l

from app.core import menu
from app.core.permissions import register
from app.core.tenancy import StoreBlueprint

CENTER = _l("Payments")
register("payments.view", _l("See payments and their notifications"), CENTER, ("finance", "operations"))
register("payments.refund", _l("Refund payments"), CENTER, ("finance",))

bp = StoreBlueprint("payments", __name__, url_prefix="/payments")
gateway_bp = StoreBlueprint("sandbox_gateway", __name__, base="/sandbox")

menu.add("payments.payments", _l("Payments"), "payments.view", order=60, section=CENTER)

from app.blueprints.payments import views  # noqa: E402,F401

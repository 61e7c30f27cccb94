"""Payment center (支付中心): payment records, gateway adapters, notifications applied exactly
once, refunds, reconciliation and gateway settings."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("payments", __name__, url_prefix="/payments")
notify_bp = StoreBlueprint("payment_notify", __name__, base="/pay")
gateway_bp = StoreBlueprint("sandbox_gateway", __name__, base="/sandbox")

center = Center(
    __name__, _l("Payments"), position=70, blueprints=[bp, gateway_bp, notify_bp], models=["models"],
    jobs=["jobs"], handlers=["handlers"],
    topics={"payment.succeeded": _l("A payment succeeded"), "refund.succeeded": _l("A refund succeeded"),
            "refund.failed": _l("A refund failed"),
            "reconciliation.done": _l("A gateway's daily statement was reconciled")},
    permissions=[Perm("payments.view", _l("See payments, refunds and reconciliation"), ("finance", "operations")),
                 Perm("payments.refund", _l("Refund payments"), ("finance",)),
                 Perm("payments.reconcile", _l("Run reconciliation and resolve differences"), ("finance",)),
                 Perm("payments.settings", _l("Configure payment gateways"), ())],
    menu=[Entry("payments.overview", _l("Overview"), "payments.view", order=59),
          Entry("payments.payments", _l("Payments"), "payments.view", order=60),
          Entry("payments.refunds", _l("Refunds"), "payments.view", order=61),
          Entry("payments.reconciliation", _l("Reconciliation"), "payments.view", order=62),
          Entry("payments.gateways", _l("Payment gateways"), "payments.settings", order=63)],
    audit_actions={"payment.*": _l("Payment"), "refund.*": _l("Refund"),
                   "payments.options_saved": _l("Payment options saved"),
                   "payments.gateway_saved": _l("Payment channel saved"),
                   "payments.reconciliation_resolved": _l("Reconciliation difference resolved")},
    audit_fields={"late_payment": _l("Late payments"), "note": _l("Note")},
)

from app.blueprints.payments import views, gateway_views, reconcile_views  # noqa: E402,F401

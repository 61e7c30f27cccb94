"""Payments list and detail for staff; the sandbox gateway's hosted pay page and its
notification endpoint."""
from __future__ import annotations

import uuid

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.blueprints.orders.models import Order
from app.blueprints.payments import bp, gateway_bp, sandbox, services
from app.blueprints.payments.models import Payment, PaymentNotification
from app.core.listview import Column, Filter, ListView, fmt_dt
from app.core.money import format_money
from app.core.permissions import public, requires
from app.core.tenancy import current_store
from app.extensions import csrf, db


class PaymentList(ListView):
    permission = "payments.view"
    title = _l("Payments")
    model = Payment
    search_fields = [Payment.number, Payment.gateway_trade_no]
    default_sort = "-id"
    export_name = "payments"
    columns = [
        Column("number", _l("Payment"), sort=Payment.number, link=lambda p: url_for("payments.payment", id=p.id)),
        Column("status", _l("Status"), sort=Payment.status, value=lambda p: services.STATUS_LABELS[p.status], badge=True),
        Column("amount", _l("Amount"), sort=Payment.amount, value=lambda p: format_money(p.amount, p.currency)),
        Column("gateway", _l("Gateway"), sort=Payment.gateway),
        Column("flagged", _l("Needs attention"), value=lambda p: p.flagged or ""),
        Column("created_at", _l("Created"), sort=Payment.created_at, value=lambda p: fmt_dt(p.created_at)),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(Payment.status == v),
                      choices=lambda: [(k, str(v)) for k, v in services.STATUS_LABELS.items()]),
               Filter("flagged", _l("Needs attention"), lambda q, v: q.where(Payment.flagged.is_not(None)),
                      choices=lambda: [("1", "✓")])]


PaymentList.register(bp, "/", "payments")


@bp.route("/<int:id>")
@requires("payments.view")
def payment(id):
    p = db.get_or_404(Payment, id)
    notes = db.session.scalars(select(PaymentNotification).where(PaymentNotification.payment_id == id)
                               .order_by(PaymentNotification.id)).all()
    order = db.session.get(Order, p.order_id)
    from app.blueprints.payments.models import Refund

    refunds = db.session.scalars(select(Refund).where(Refund.payment_id == id).order_by(Refund.id)).all()
    return render_template("payments/payment.html", payment=p, notes=notes, order=order, refunds=refunds,
                           statuses=services.STATUS_LABELS, refundable=services.refundable(p),
                           request_id=uuid.uuid4().hex)


@bp.route("/<int:id>/refund", methods=["POST"])
@requires("payments.refund")
def payment_refund(id):
    import uuid

    from flask_login import current_user

    from app.core.formview import perform
    from app.core.htmx import redirect_to
    from app.core.money import to_minor

    p = db.get_or_404(Payment, id)
    try:
        amount = to_minor(request.form.get("amount") or "0", p.currency)
    except ValueError:
        amount = -1
    perform(lambda: services.refund(current_user, p, request.form.get("request_id") or uuid.uuid4().hex, amount,
                                    reason=request.form.get("reason", "")),
            lambda r: _("Refund %(status)s.", status=r.status))
    return redirect_to(url_for("payments.payment", id=id))


# --- the sandbox gateway ----------------------------------------------------------------------

def _sandbox_fields(p: Payment, status: str) -> dict:
    fields = {"out_trade_no": p.number, "trade_no": f"SBX{p.id:012d}", "total_amount": str(p.amount),
              "currency": p.currency, "trade_status": status}
    fields["sign"] = sandbox.sign(fields, sandbox.secret(current_store().id))
    return fields


@gateway_bp.route("/pay/<number>", methods=["GET", "POST"])
@public
def sandbox_pay(number):
    """The hosted pay page: the payer chooses success, failure or abandonment. The gateway then
    notifies the shop with a signed message, as a real one would."""
    p = db.session.scalar(select(Payment).where(Payment.number == number))
    if p is None:
        abort(404)
    order = db.session.get(Order, p.order_id)
    if request.method == "POST":
        choice = request.form.get("choice")
        if choice in ("success", "failure"):
            fields = _sandbox_fields(p, "TRADE_SUCCESS" if choice == "success" else "TRADE_FAILED")
            services.handle_sandbox_notification(fields, {"via": "sandbox page"})
            db.session.commit()
        return redirect(url_for("storefront.my_order", number=order.number), code=303)
    return render_template("payments/sandbox_pay.html", payment=p, order=order)


@gateway_bp.route("/notify", methods=["POST"])
@public
@csrf.exempt
def sandbox_notify():
    """Where the sandbox gateway posts notifications; answers plain `success` after the commit."""
    outcome = services.handle_sandbox_notification(request.form.to_dict(), {"User-Agent": request.user_agent.string})
    db.session.commit()
    if outcome in ("applied", "duplicate"):
        return "success", 200, {"Content-Type": "text/plain"}
    return "fail", 400, {"Content-Type": "text/plain"}

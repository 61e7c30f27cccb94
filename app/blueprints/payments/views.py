"""Staff pages: payments and refunds lists, payment detail with its notification log and
refund form, gateway settings."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from app.core.audit import actor_label
from app.blueprints.payments.gateways import gateway_label
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.blueprints.orders import queries as order_queries
from app.blueprints.payments import accounts, bp, forms, refunds, services
from app.blueprints.payments.gateways import registry
from app.blueprints.payments.models import Payment, PaymentNotification, Refund
from app.core.formview import commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView
from app.core.permissions import requires
from app.extensions import db


def gateway_choices():
    return [(name, str(cls.label)) for name, cls in registry().items()]


def _day(v: str) -> date:
    return date.fromisoformat(v)


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
        Column("amount", _l("Amount"), sort=Payment.amount, kind="money"),
        Column("gateway", _l("Gateway"), sort=Payment.gateway, value=lambda p: gateway_label(p.gateway)),
        Column("gateway_trade_no", _l("Gateway trade no.")),
        Column("flagged", _l("Needs attention"), value=lambda p: p.flagged or ""),
        Column("created_at", _l("Created"), sort=Payment.created_at, kind="datetime"),
        Column("paid_at", _l("Paid"), sort=Payment.paid_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(Payment.status == v),
               choices=lambda: [(k, str(v)) for k, v in services.STATUS_LABELS.items()]),
        Filter("gateway", _l("Gateway"), lambda q, v: q.where(Payment.gateway == v), choices=gateway_choices),
        Filter("flagged", _l("Needs attention"), lambda q, v: q.where(Payment.flagged.is_not(None)),
               choices=lambda: [("1", "✓")]),
        Filter("since", _l("From"), lambda q, v: q.where(Payment.created_at >= v), parse=_day, placeholder="2026-01-01"),
        Filter("until", _l("To"), lambda q, v: q.where(Payment.created_at < v + timedelta(days=1)), parse=_day,
               placeholder="2026-01-31"),
    ]


PaymentList.register(bp, "/", "payments")


class RefundList(ListView):
    permission = "payments.view"
    title = _l("Refunds")
    model = Refund
    search_fields = [Refund.request_id]     # plus payment number and reason, see search()
    default_sort = "-id"
    export_name = "refunds"
    columns = [
        Column("request_id", _l("Request id"), sort=Refund.request_id),
        Column("payment", _l("Payment"), value=lambda r: r.payment.number,
               link=lambda r: url_for("payments.payment", id=r.payment_id)),
        Column("status", _l("Status"), sort=Refund.status, value=lambda r: refunds.STATUS_LABELS[r.status], badge=True),
        Column("amount", _l("Amount"), sort=Refund.amount, kind="money",
               currency=lambda r: r.payment.currency),
        Column("gateway", _l("Gateway"), value=lambda r: gateway_label(r.payment.gateway)),
        Column("reason", _l("Reason")),
        Column("failure", _l("Gateway answer"), value=lambda r: r.failure or ""),
        Column("actor_name", _l("By"), value=lambda r: actor_label(r.actor_name)),
        Column("created_at", _l("Requested"), sort=Refund.created_at, kind="datetime"),
        Column("finished_at", _l("Finished"), sort=Refund.finished_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(Refund.status == v),
               choices=lambda: [(k, str(v)) for k, v in refunds.STATUS_LABELS.items()]),
        Filter("gateway", _l("Gateway"), lambda q, v: q.where(Payment.gateway == v), choices=gateway_choices),
        Filter("since", _l("From"), lambda q, v: q.where(Refund.created_at >= v), parse=_day, placeholder="2026-01-01"),
        Filter("until", _l("To"), lambda q, v: q.where(Refund.created_at < v + timedelta(days=1)), parse=_day,
               placeholder="2026-01-31"),
    ]

    def query(self):
        return select(Refund).join(Refund.payment).options(contains_eager(Refund.payment))

    def search(self, stmt, q):
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return stmt.where(Refund.request_id.ilike(like) | Payment.number.ilike(like) | Refund.reason.ilike(like))


RefundList.register(bp, "/refunds", "refunds")


@bp.route("/<int:id>")
@requires("payments.view")
def payment(id):
    return _payment_page(db.get_or_404(Payment, id))


def _payment_page(p: Payment, refund_form: forms.RefundForm | None = None, status: int = 200, lines_form=None):
    id = p.id
    notes = db.session.scalars(select(PaymentNotification).where(PaymentNotification.payment_id == id)
                               .order_by(PaymentNotification.id)).all()
    rows = db.session.scalars(select(Refund).where(Refund.payment_id == id).order_by(Refund.id)).all()
    timeline = services.PAYMENT_STATES.history(p)
    refund_timelines = refunds.histories([r.id for r in rows])
    order_lines = order_queries.lines_of(p.order_id)
    lines_form = lines_form or forms.refund_lines_form(order_lines, formdata=None, request_id=uuid.uuid4().hex)
    return render_template("payments/payment.html", payment=p, notes=notes, order=order_queries.order_ref(p.order_id),
                           order_lines=order_lines, timeline=timeline, refund_timelines=refund_timelines,
                           refunds=rows, statuses=services.STATUS_LABELS, refund_statuses=refunds.STATUS_LABELS,
                           gateway_label=gateway_label, outcomes=services.OUTCOME_LABELS,
                           refundable=refunds.refundable(p), can_refund=refunds.is_refundable(p),
                           refund_form=refund_form or forms.RefundForm(formdata=None, request_id=uuid.uuid4().hex),
                           lines_form=lines_form), status


@bp.route("/<int:id>/refund", methods=["POST"])
@requires("payments.refund")
def payment_refund(id):
    p = db.get_or_404(Payment, id)
    requested = lambda r: _("Refund requested; it is %(status)s.", status=refunds.STATUS_LABELS[r.status])  # noqa: E731
    if request.form.get("by") == "lines":
        lines = forms.refund_lines_form(order_queries.lines_of(p.order_id))
        if lines.validate_on_submit() and (done := commit_form(lines, lambda: refunds.refund(
                current_user, p, lines.request_id.data, None, lines=lines.quantities(), reason=lines.reason.data or ""))):
            flash(requested(done.result), "success")
            return redirect_to(url_for("payments.payment", id=id))
        return _payment_page(db.get_or_404(Payment, id), status=422, lines_form=lines)
    form = forms.RefundForm()
    if form.validate_on_submit() and (done := commit_form(form, lambda: refunds.refund(
            current_user, p, form.request_id.data, form.amount.data, reason=form.reason.data or ""))):
        flash(requested(done.result), "success")
        return redirect_to(url_for("payments.payment", id=id))
    return _payment_page(db.get_or_404(Payment, id), form, 422)


@bp.route("/<int:id>/refunds/<int:refund_id>/resend", methods=["POST"])
@requires("payments.refund")
def refund_resend(id, refund_id):
    """Send a pending refund again with the same request id (gateways treat it as the same refund)."""
    item = db.session.scalar(select(Refund).where(Refund.id == refund_id, Refund.payment_id == id))
    if item is None:
        abort(404)
    perform(lambda: refunds.resend(current_user, item), _("The refund is being sent again."))
    return redirect_to(url_for("payments.payment", id=id))


@bp.route("/<int:id>/query", methods=["POST"])
@requires("payments.reconcile")
def payment_query(id):
    """Ask the gateway now instead of waiting for the periodic query."""
    p = db.get_or_404(Payment, id)
    perform(lambda: services.settle_by_query(p), lambda outcome: _("The gateway answered: %(outcome)s.", outcome=outcome))
    return redirect_to(url_for("payments.payment", id=id))


@bp.route("/overview")
@requires("payments.view")
def overview():
    """Money taken per day and what needs a person, at a glance."""
    from app.blueprints.payments import queries
    from app.core.charts import bar_chart

    from app.core.money import EXPONENT
    from app.core.tenancy import current_store

    currency = current_store().currency or "CNY"
    days = queries.collected_by_day(30)
    unit = 10 ** EXPONENT.get(currency, 2)
    return render_template("payments/overview.html", attention=queries.attention(), currency=currency,
                           chart=bar_chart([(d, max(v, 0) // unit) for d, v in days],
                                           _("Collected per day, net of refunds (%(currency)s), last 30 days",
                                             currency=currency)),
                           today=days[-1][1], week=sum(v for _d, v in days[-7:]), month=sum(v for _d, v in days))


# --- gateway settings -------------------------------------------------------------------------

@bp.route("/gateways")
@requires("payments.settings")
def gateways():
    return _gateways_page()


def _gateway_form(name: str, cls, formdata=None):
    row = accounts.account(name)
    return forms.gateway_form(cls, accounts.masked(name), dict(row.settings or {}) if row else {},
                              name in accounts.enabled_gateways(), formdata)


def _gateways_page(options_form=None, status: int = 200, saving: tuple | None = None):
    """The gateway cards and the payment options; a refused form (the options, or the gateway
    `saving` = (name, form)) keeps what was typed (never a secret) with the error under its field."""
    options = accounts.options()
    options_form = options_form or forms.OptionsForm(formdata=None, late_payment=options.late_payment)
    cards = [{"name": name, "cls": cls, "enabled": name in accounts.enabled_gateways(),
              "form": saving[1] if saving and saving[0] == name else _gateway_form(name, cls)}
             for name, cls in registry().items()]
    notify = {name: url_for("payment_notify.notify", gateway=name, _external=True) for name in registry()}
    return render_template("payments/gateways.html", cards=cards, notify=notify, options=options,
                           options_form=options_form), status


@bp.route("/gateways/<name>", methods=["POST"])
@requires("payments.settings")
def gateway_save(name):
    cls = registry().get(name) or abort(404)
    form = _gateway_form(name, cls, request.form)
    if form.validate_on_submit() and commit_form(
            form, lambda: accounts.save_account(current_user, name, form.enabled.data, form.values())):
        flash(_("Gateway settings saved."), "success")
        return redirect_to(url_for("payments.gateways"))
    return _gateways_page(status=422, saving=(name, form))


@bp.route("/options", methods=["POST"])
@requires("payments.settings")
def options_save():
    form = forms.OptionsForm()
    if form.validate_on_submit() and commit_form(form, lambda: accounts.save_options(current_user, form.late_payment.data)):
        flash(_("Payment options saved."), "success")
        return redirect_to(url_for("payments.gateways"))
    return _gateways_page(options_form=form, status=422)


@bp.route("/sandbox-statement")
@requires("payments.view")
def sandbox_statement():
    """The sandbox gateway's statement for a day, as its merchant portal would offer it."""
    from app.blueprints.payments.gateways import sandbox

    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        flash(_("Give the day as YYYY-MM-DD."), "error")
        return redirect(url_for("payments.reconciliation"))
    return sandbox.statement_csv(day), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="sandbox-statement-{day.isoformat()}.csv"'}

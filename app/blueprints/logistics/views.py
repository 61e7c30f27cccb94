"""Staff pages: shipments (list, detail with tracking and timeline), the carriers Houtai knows,
the store's carrier accounts and logistics settings; the tracking service's push endpoint."""
from __future__ import annotations

import urllib.parse

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.logistics import accounts, bp, carriers as registry, forms, push_bp, queries, services
from app.blueprints.logistics.models import TRACKING_SERVICE, CarrierAccount, Shipment, TrackingPush
from app.core.formview import commit_form, committed, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView, fmt_dt
from app.core.permissions import public, requires
from app.extensions import csrf, db


def _carrier_choices():
    return queries.carriers()


class ShipmentList(ListView):
    permission = "logistics.view"
    title = _l("Shipments")
    model = Shipment
    search_fields = [Shipment.number, Shipment.waybill_no, Shipment.order_number, Shipment.notice_number]
    search_placeholder = _l("Shipment, waybill, order or notice number")
    default_sort = "-id"
    export_name = "shipments"
    saved_filters = True
    empty_message = _l("No parcel has been handed to a carrier yet.")
    columns = [
        Column("number", _l("Shipment"), sort=Shipment.number, link=lambda s: url_for("logistics.shipment", id=s.id)),
        Column("order_number", _l("Order"), sort=Shipment.order_number),
        Column("carrier_code", _l("Carrier"), sort=Shipment.carrier_code, value=lambda s: queries.carrier_name(s.carrier_code)),
        Column("waybill_no", _l("Waybill number"), sort=Shipment.waybill_no),
        Column("status", _l("Status"), sort=Shipment.status, value=lambda s: services.STATUS_LABELS[s.status], badge=True),
        Column("flag", _l("Needs attention"), sort=Shipment.flag,
               value=lambda s: services.FLAG_LABELS[s.flag] if s.flag else ""),
        Column("last_event_at", _l("Last tracking update"), sort=Shipment.last_event_at,
               value=lambda s: fmt_dt(s.last_event_at)),
        Column("created_at", _l("Shipped"), sort=Shipment.created_at, value=lambda s: fmt_dt(s.created_at)),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(Shipment.status == v),
               choices=lambda: [(k, str(v)) for k, v in services.STATUS_LABELS.items()]),
        Filter("carrier", _l("Carrier"), lambda q, v: q.where(Shipment.carrier_code == v), choices=_carrier_choices),
        Filter("flag", _l("Needs attention"),
               lambda q, v: q.where(Shipment.flag.is_not(None)) if v == "any" else q.where(Shipment.flag == v),
               choices=lambda: [("any", _("Any flag"))] + [(k, str(v)) for k, v in services.FLAG_LABELS.items()]),
    ]


ShipmentList.register(bp, "/shipments", "shipments")


def _shipment_or_404(id: int) -> Shipment:
    return db.get_or_404(Shipment, id)


@bp.route("/shipments/<int:id>")
@requires("logistics.view")
def shipment(id):
    return _shipment_page(_shipment_or_404(id))


def _shipment_page(s: Shipment, flag_form=None, status: int = 200):
    """The shipment's page; a refused 'clear the flag' keeps its note with the error under it."""
    view = queries.shipment_view(s.id, staff=True)
    pushes = db.session.scalars(select(TrackingPush).where(TrackingPush.shipment_id == s.id)
                                .order_by(TrackingPush.id.desc()).limit(20)).all()
    return render_template("logistics/shipment.html", s=s, view=view, pushes=pushes,
                           timeline=services.SHIPMENT_STATES.history(s), flag_labels=services.FLAG_LABELS,
                           subscription_labels=services.SUBSCRIPTION_LABELS, push_sources=services.PUSH_SOURCE_LABELS,
                           push_outcomes=services.PUSH_OUTCOME_LABELS,
                           flag_form=flag_form or forms.ClearFlagForm(formdata=None)), status


@bp.route("/shipments/<int:id>/refresh", methods=["POST"])
@requires("logistics.manage")
def shipment_refresh(id):
    """Ask the tracking service now instead of waiting for its next push."""
    s = db.session.get(Shipment, id, with_for_update=True) or abort(404)
    perform(lambda: services.refresh_tracking(s),
            lambda new: _("The tracking service answered: %(count)d new tracking events.", count=new))
    return redirect_to(url_for("logistics.shipment", id=id))


@bp.route("/shipments/<int:id>/clear-flag", methods=["POST"])
@requires("logistics.manage")
def shipment_clear_flag(id):
    s = db.session.get(Shipment, id, with_for_update=True) or abort(404)
    if s.flag is None:
        flash(_("This shipment is not flagged."), "error")
        return redirect_to(url_for("logistics.shipment", id=id))
    form = forms.ClearFlagForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.clear_flag(current_user, s, form.note.data or "")):
        flash(_("Flag cleared."), "success")
        return redirect_to(url_for("logistics.shipment", id=id))
    return _shipment_page(s, flag_form=form, status=422)


# --- carriers and accounts -----------------------------------------------------------------------

@bp.route("/carriers")
@requires("logistics.view")
def carriers():
    """The carriers Houtai knows (Kuaidi100's company codes) and whether the store has an account."""
    rows = queries.carrier_rows()
    fmt = request.args.get("export")
    if fmt in ("csv", "xlsx"):
        return _carriers_export(fmt, rows)
    return render_template("logistics/carriers.html", rows=rows)


def _carriers_export(fmt: str, rows):
    from app.core import export

    header = [_("Carrier"), _("Kuaidi100 code"), _("Waybill example"), _("Store account")]
    return export.table_response(header, [[r.name, r.code, r.example, r.account_label] for r in rows], fmt,
                                 "carriers", _("Carriers"))


class CarrierAccountList(ListView):
    permission = "logistics.settings"
    title = _l("Carrier accounts")
    model = CarrierAccount
    search_fields = [CarrierAccount.carrier]
    default_sort = "carrier"
    export_name = "carrier-accounts"
    create_endpoint = "logistics.account_new"
    create_label = _l("Add an account")
    create_permission = "logistics.settings"
    empty_message = _l("No carrier account yet: add the Kuaidi100 account to follow tracking.")
    columns = [
        Column("carrier", _l("Carrier"), sort=CarrierAccount.carrier, value=lambda a: accounts.label_of(a.carrier),
               link=lambda a: url_for("logistics.account", name=a.carrier)),
        Column("enabled", _l("Status"), sort=CarrierAccount.enabled,
               value=lambda a: _("On") if a.enabled else _("Off"), badge=True),
        Column("details", _l("Account"), value=lambda a: queries.account_summary(a), export=True),
        Column("updated_at", _l("Updated"), sort=CarrierAccount.updated_at, value=lambda a: fmt_dt(a.updated_at)),
    ]
    filters = [
        Filter("enabled", _l("Status"), lambda q, v: q.where(CarrierAccount.enabled.is_(v == "on")),
               choices=lambda: [("on", _("On")), ("off", _("Off"))]),
        Filter("carrier", _l("Carrier"), lambda q, v: q.where(CarrierAccount.carrier == v),
               choices=lambda: [(TRACKING_SERVICE, accounts.label_of(TRACKING_SERVICE))] + queries.carriers()),
    ]


CarrierAccountList.register(bp, "/accounts", "accounts")


@bp.route("/accounts/new")
@requires("logistics.settings")
def account_new():
    name = request.args.get("carrier")
    if name:
        return redirect_to(url_for("logistics.account", name=name))
    return render_template("logistics/account_new.html", service=(TRACKING_SERVICE, accounts.label_of(TRACKING_SERVICE)),
                           carriers=queries.carriers())


@bp.route("/accounts/<name>", methods=["GET", "POST"])
@requires("logistics.settings")
def account(name):
    if name != TRACKING_SERVICE and registry.get(name) is None:
        abort(404)
    row = accounts.account(name)
    form = forms.account_form(accounts.fields_for(name), accounts.masked(name), dict(row.settings or {}) if row else {},
                              bool(row and row.enabled), request.form if request.method == "POST" else None)
    if form.validate_on_submit() and commit_form(
            form, lambda: accounts.save_account(current_user, name, form.enabled.data, form.values())):
        flash(_("Account saved."), "success")
        return redirect_to(url_for("logistics.accounts"))
    push = services.push_url() if name == TRACKING_SERVICE else None
    return render_template("logistics/account.html", name=name, label=accounts.label_of(name), form=form,
                           push=push), 422 if request.method == "POST" else 200


@bp.route("/settings", methods=["GET", "POST"])
@requires("logistics.settings")
def settings():
    current = accounts.settings()
    form = forms.SettingsForm(formdata=request.form if request.method == "POST" else None, carriers=queries.carriers(),
                              stale_hours=current.stale_hours, default_carrier=current.default_carrier or "",
                              ships_abroad=bool(current.ships_abroad))
    if form.validate_on_submit() and commit_form(
            form, lambda: accounts.save_settings(current_user, form.stale_hours.data, form.default_carrier.data or None,
                                                 bool(form.ships_abroad.data))):
        flash(_("Logistics settings saved."), "success")
        return redirect_to(url_for("logistics.settings"))
    return render_template("logistics/settings.html", form=form), 422 if request.method == "POST" else 200


# --- the tracking service's pushes -----------------------------------------------------------------

@push_bp.route("/kuaidi100/push", methods=["POST"])
@public
@csrf.exempt
def kuaidi100_push():
    """Kuaidi100 posts `param` + `sign` here. The answer it expects is sent after the commit;
    anything else and it pushes again later."""
    from app.blueprints.logistics.adapters.kuaidi100 import Kuaidi100

    form = request.form.to_dict()
    body = request.get_data(as_text=True) or urllib.parse.urlencode(list(request.form.items(multi=True)))
    _outcome, ok = committed(lambda: services.handle_push(form, body))
    return Kuaidi100.ack_ok if ok else Kuaidi100.ack_fail

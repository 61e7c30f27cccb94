"""Freight template pages: the list, the template form (default rule, per-region rules, free
shipping, regions not delivered to) and the quote simulator beside it."""
from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.blueprints.logistics import freight
from app.blueprints.logistics.freight_forms import FreightTemplateForm, SimulatorForm
from app.blueprints.logistics.freight_models import FreightTemplate
from app.core import regions
from app.core.formview import commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView, detail_url, fmt_dt
from app.core.money import format_money, to_decimal_text
from app.core.permissions import check, requires
from app.core.tenancy import StoreBlueprint, current_store
from app.extensions import db

bp = StoreBlueprint("freight", __name__, url_prefix="/logistics/freight")


def rate_text(basis: str, first_units: int, first_fee: int, extra_units: int, extra_fee: int) -> str:
    currency = current_store().currency
    unit = freight.UNIT_LABELS[basis]
    return _("first %(first)s %(unit)s %(first_fee)s, each further %(extra)s %(unit)s %(extra_fee)s",
             first=freight.from_units(basis, first_units), unit=unit, first_fee=format_money(first_fee, currency),
             extra=freight.from_units(basis, extra_units), extra_fee=format_money(extra_fee, currency))


class FreightTemplateList(ListView):
    permission = "logistics.view"
    title = _l("Freight templates")
    model = FreightTemplate
    search_fields = [FreightTemplate.name]
    default_sort = "name"
    export_name = "freight-templates"
    create_endpoint = "freight.template_new"
    create_label = _l("New freight template")
    create_permission = "logistics.freight"
    empty_message = _l("No freight templates yet: every order pays the flat fee of the order settings.")
    columns = [
        Column("name", _l("Name"), sort=FreightTemplate.name, link=detail_url("freight.template_edit")),
        Column("basis", _l("Charged by"), sort=FreightTemplate.basis, value=lambda t: freight.BASIS_LABELS[t.basis]),
        Column("default_rule", _l("Default rule"), value=lambda t: rate_text(t.basis, t.first_units, t.first_fee,
                                                                             t.extra_units, t.extra_fee)),
        Column("rules", _l("Region rules"), value=lambda t: len(t.rules)),
        Column("free_rules", _l("Free shipping"), value=lambda t: len(t.free_rules)),
        Column("is_default", _l("Store default"), sort=FreightTemplate.is_default,
               value=lambda t: _("Default") if t.is_default else "", badge=True),
        Column("updated_at", _l("Changed"), sort=FreightTemplate.updated_at, value=lambda t: fmt_dt(t.updated_at)),
    ]
    filters = [Filter("basis", _l("Charged by"), lambda q, v: q.where(FreightTemplate.basis == v),
                      choices=lambda: [(k, str(v)) for k, v in freight.BASIS_LABELS.items()])]

    def query(self):
        return select(FreightTemplate).options(selectinload(FreightTemplate.rules),
                                               selectinload(FreightTemplate.free_rules))


FreightTemplateList.register(bp, "/", "templates")


def _form_data(t: FreightTemplate) -> dict:
    currency = current_store().currency

    def rate(r):
        return {"first_units": freight.from_units(t.basis, r.first_units), "first_fee": r.first_fee,
                "extra_units": freight.from_units(t.basis, r.extra_units), "extra_fee": r.extra_fee}

    return {"name": t.name, "basis": t.basis, **rate(t), "undeliverable": list(t.undeliverable or []),
            "rules": [{"regions": list(r.regions), **rate(r)} for r in t.rules],
            "free_rules": [{"regions": list(r.regions or []), "kind": r.kind,
                            "threshold": to_decimal_text(r.threshold, currency) if r.kind == "amount"
                            else str(r.threshold)} for r in t.free_rules]}


def _make_form(template_obj: FreightTemplate | None) -> FreightTemplateForm:
    if request.method == "POST":
        form = FreightTemplateForm()
        for name in ("rule", "free_rule"):   # "add a row" (works without JavaScript)
            if request.form.get("add") == name:
                getattr(form, f"{name}s").append_entry()
        return form
    if template_obj is None:
        form = FreightTemplateForm(data={"basis": "piece", "first_units": 1, "first_fee": 0, "extra_units": 1,
                                         "extra_fee": 0})
    else:
        form = FreightTemplateForm(data=_form_data(template_obj))
        form.rules.append_entry()
        form.free_rules.append_entry()
    return form


def _tree():
    """(province, its cities) for the region checkboxes; a municipality's one city is left out."""
    out = []
    for province in regions.provinces():
        cities = regions.children(province.code)
        out.append((province, cities if len(cities) > 1 else []))
    return out


def _page(form, template_obj, status=200, simulation=None, sim_form=None):
    return render_template("logistics/freight_form.html", form=form, obj=template_obj, tree=_tree(),
                           units=freight.UNIT_LABELS, basis_labels=freight.BASIS_LABELS,
                           sim_form=sim_form, simulation=simulation, rate_text=rate_text), status


def _save(form, template_obj):
    if request.form.get("add"):   # only a new empty row was asked for
        return None
    if not form.validate_on_submit():
        return None
    return commit_form(form, lambda: freight.save_template(current_user, form.values(current_store().currency),
                                                           template_obj))


@bp.route("/new", methods=["GET", "POST"])
@requires("logistics.freight")
def template_new():
    form = _make_form(None)
    done = _save(form, None) if request.method == "POST" else None
    if done:
        flash(_("Freight template saved."), "success")
        return redirect_to(url_for("freight.template_edit", id=done.result.id))
    return _page(form, None, 422 if request.method == "POST" and not request.form.get("add") else 200)


def _simulate(template_obj):
    """The simulator's form and result from the query string (None until asked)."""
    sim_form = SimulatorForm(formdata=request.args if request.args.get("simulate") else None)
    if not request.args.get("simulate"):
        return sim_form, None
    code = sim_form.region_code()
    if not regions.valid(code):
        return sim_form, {"error": _("Choose the province, city and district.")}
    measure = freight.to_units(template_obj.basis, sim_form.measure.data or 0) or 0
    try:
        result = freight.simulate(template_obj, code, sim_form.quantity.data or 1, sim_form.amount.data or 0, measure)
    except freight.Undeliverable:
        return sim_form, {"error": _("Not delivered to %(region)s.", region=regions.label(code))}
    return sim_form, {"quote": result, "region": regions.label(code)}


@bp.route("/<int:id>", methods=["GET", "POST"])
@requires("logistics.view")
def template_edit(id):
    template_obj = db.get_or_404(FreightTemplate, id)
    if request.method == "POST":
        check("logistics.freight")
    form = _make_form(template_obj)
    done = _save(form, template_obj) if request.method == "POST" else None
    if done:
        flash(_("Freight template saved."), "success")
        return redirect_to(url_for("freight.template_edit", id=id))
    if done is not None and not done:   # refused and rolled back: show the stored template's simulator
        template_obj = db.session.get(FreightTemplate, id)
    sim_form, simulation = _simulate(template_obj)
    status = 422 if request.method == "POST" and not request.form.get("add") else 200
    return _page(form, template_obj, status, simulation, sim_form)


@bp.route("/<int:id>/simulate")
@requires("logistics.view")
def template_simulate(id):
    """The simulator's result alone (htmx)."""
    template_obj = db.get_or_404(FreightTemplate, id)
    sim_form, simulation = _simulate(template_obj)
    return render_template("logistics/_freight_simulation.html", obj=template_obj, simulation=simulation)


@bp.route("/<int:id>/<action>", methods=["POST"])
@requires("logistics.freight")
def template_action(id, action):
    template_obj = db.get_or_404(FreightTemplate, id)
    if action == "default":
        perform(lambda: freight.set_default_template(current_user, template_obj),
                _("%(name)s is the store's default freight template now.", name=template_obj.name))
        return redirect_to(url_for("freight.template_edit", id=id))
    if action == "delete":
        name = template_obj.name
        perform(lambda: freight.delete_template(current_user, template_obj), _("%(name)s deleted.", name=name))
        return redirect_to(url_for("freight.templates"))
    abort(404)


@bp.route("/regions")
@requires("logistics.view")
def region_picker():
    """The simulator's province -> city -> district selects for the chosen values (htmx)."""
    form = SimulatorForm(formdata=request.args)
    return render_template("components/_region_picker.html", form=form, picker_only=True)

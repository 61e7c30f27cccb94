"""Promotion pages for staff: the list with its figures (uses, discount given, GMV), the
promotion form, publish / pause / end, and the price simulator (a cart or a past order under
the live promotions and under a draft one)."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.promotions import bp, forms, pricing, queries, services
from app.blueprints.promotions.models import Promotion
from app.core.formview import FormView, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView, detail_url, fmt_dt
from app.core.permissions import requires
from app.core.tenancy import current_store
from app.extensions import db


class PromotionList(ListView):
    permission = "promotions.view"
    title = _l("Promotions")
    model = Promotion
    search_fields = [Promotion.name]
    default_sort = "-id"
    export_name = "promotions"
    create_endpoint = "promotions.promotion_new"
    create_label = _l("New promotion")
    create_permission = "promotions.manage"
    empty_message = _l("No promotions yet.")
    columns = [
        Column("name", _l("Name"), sort=Promotion.name, link=detail_url("promotions.promotion_edit")),
        Column("kind", _l("Kind"), sort=Promotion.kind, value=lambda p: pricing.KIND_LABELS[p.kind]),
        Column("status", _l("Status"), sort=Promotion.status, value=lambda p: services.STATUS_LABELS[p.status],
               badge=True),
        Column("starts_at", _l("Starts"), sort=Promotion.starts_at, kind="datetime"),
        Column("ends_at", _l("Ends"), sort=Promotion.ends_at, kind="datetime"),
        Column("uses_count", _l("Orders"), sort=Promotion.uses_count, kind="number"),
        Column("budget_used", _l("Discount given"), sort=Promotion.budget_used, kind="money"),
        Column("gmv", _l("GMV"), sort=Promotion.gmv, kind="money"),
        Column("budget_total", _l("Budget"), value=lambda p: queries.budget_text(p)),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(Promotion.status == v),
               choices=lambda: [(k, str(v)) for k, v in services.STATUS_LABELS.items()]),
        Filter("kind", _l("Kind"), lambda q, v: q.where(Promotion.kind == v),
               choices=lambda: [(k, str(v)) for k, v in forms.KIND_CHOICES]),
    ]


PromotionList.register(bp, "/", "promotions")


class NamedEdit(FormView):
    """The create/edit page of a named promotion-center object: `model`, its form (built with
    the object as `form_arg`), the service that saves it, where to go after, and the titles."""

    permission = "promotions.manage"
    model = None
    form_class = None
    form_arg = ""
    detail_endpoint = ""
    new_title = edit_title = saved_message = ""

    @property
    def title(self):
        return str(self.new_title if getattr(self, "_new", True) else self.edit_title)

    def get_object(self, id=None):
        self._new = id is None
        return None if id is None else db.get_or_404(self.model, id)

    def make_form(self, obj):
        return self.form_class(**{self.form_arg: obj})

    def success_url(self, result):
        return url_for(self.detail_endpoint, id=result.id)

    def success_message(self, result):
        return str(self.saved_message) % {"name": result.name}


class PromotionEdit(NamedEdit):
    template = "promotions/promotion_form.html"
    cancel_endpoint = "promotions.promotions"
    model, form_class, form_arg, detail_endpoint = Promotion, forms.PromotionForm, "promotion", "promotions.promotion_edit"
    new_title, edit_title = _l("New promotion"), _l("Edit promotion")
    saved_message = _l("Promotion “%(name)s” saved.")

    def save(self, form, obj):
        return services.save_promotion(current_user, obj, form.values())

    def extra_context(self, obj):
        return {"promotion": obj, "states": services.PROMOTION_STATES, "labels": services.STATUS_LABELS}


PromotionEdit.register(bp, "/new", "promotion_new")
PromotionEdit.register(bp, "/<int:id>", "promotion_edit")

STATUS_ACTIONS = {"publish": "active", "pause": "paused", "resume": "active", "end": "ended"}


def status_action(obj, action: str | None, actions: dict, set_status, labels, back: str):
    """Publish, pause, resume or end a named object (a promotion, a group buy): `action` is the
    button's, `actions` maps it to the status `set_status(actor, obj, status)` moves to; an
    unknown action is a 404, a refused move flashes why; back to `back` either way."""
    if action not in actions:
        abort(404)
    perform(lambda: set_status(current_user, obj, actions[action]),
            lambda o: _("“%(name)s” is now %(status)s.", name=o.name, status=labels[o.status]))
    return redirect_to(back)


@bp.route("/<int:id>/<action>", methods=["POST"])
@requires("promotions.manage")
def promotion_action(id, action):
    return status_action(db.get_or_404(Promotion, id), action, STATUS_ACTIONS, services.set_status,
                         services.STATUS_LABELS, url_for("promotions.promotion_edit", id=id))


@bp.route("/simulator")
@requires("promotions.view")
def simulator():
    """Build a cart (or pick a past order) and see its price under the live promotions and, beside
    it, under the live ones plus a draft promotion — before the draft is published."""
    form = forms.SimulatorForm(formdata=request.args if request.args else None)
    drafts = queries.draft_choices()
    form.draft_id.choices = [("", _("— none —"))] + [(str(i), n) for i, n in drafts]
    form.coupon_id.choices = [("", _("— none —"))] + [(str(i), n) for i, n in queries.coupon_choices()]
    live = draft = None
    error = None
    if request.args:
        try:
            live, draft = queries.simulate(form)
        except queries.SimulatorError as err:
            error = err.message
    coupon = queries.trial_coupon(form.coupon_id.data) if live else None
    return render_template("promotions/simulator.html", form=form, live=live, draft=draft, error=error,
                           currency=current_store().currency, coupon=coupon,
                           budget=queries.coupon_budget(coupon) if coupon else None)


# --- coupons -------------------------------------------------------------------------------------------

from app.blueprints.promotions import coupons  # noqa: E402
from app.blueprints.promotions.models import Coupon, CouponTemplate  # noqa: E402


class CouponTemplateList(ListView):
    permission = "promotions.view"
    title = _l("Coupons")
    model = CouponTemplate
    search_fields = [CouponTemplate.name]
    default_sort = "-id"
    export_name = "coupons"
    create_endpoint = "promotions.coupon_new"
    create_label = _l("New coupon")
    create_permission = "promotions.manage"
    empty_message = _l("No coupons yet.")
    columns = [
        Column("name", _l("Name"), sort=CouponTemplate.name, link=detail_url("promotions.coupon")),
        Column("kind", _l("Kind"), value=lambda t: coupons.describe(t, current_store().currency)),
        Column("quantity", _l("Coupons in all"), sort=CouponTemplate.quantity, kind="number"),
        Column("issued", _l("Issued"), sort=CouponTemplate.issued, kind="number"),
        Column("used", _l("Used"), sort=CouponTemplate.used, kind="number"),
        Column("discount_given", _l("Discount given"), sort=CouponTemplate.discount_given, kind="money"),
        Column("gmv", _l("GMV"), sort=CouponTemplate.gmv, kind="money"),
        Column("enabled", _l("Status"), value=lambda t: _("On") if t.enabled else _("Off"), badge=True),
    ]
    filters = [Filter("kind", _l("Kind"), lambda q, v: q.where(CouponTemplate.kind == v),
                      choices=lambda: [(k, str(v)) for k, v in coupons.KIND_LABELS.items()])]


CouponTemplateList.register(bp, "/coupons/", "coupons")


class CouponTemplateEdit(NamedEdit):
    cancel_endpoint = "promotions.coupons"
    model, form_class, form_arg, detail_endpoint = CouponTemplate, forms.CouponTemplateForm, "template", "promotions.coupon"
    new_title, edit_title = _l("New coupon"), _l("Edit coupon")
    saved_message = _l("Coupon “%(name)s” saved.")

    def save(self, form, obj):
        return coupons.save_template(current_user, obj, form.values())


CouponTemplateEdit.register(bp, "/coupons/new", "coupon_new")
CouponTemplateEdit.register(bp, "/coupons/<int:id>/edit", "coupon_edit")


class CouponCodeList(ListView):
    """The coupons issued of one template (codes with their holder and status), exportable."""

    permission = "promotions.view"
    title = _l("Issued coupons")
    model = Coupon
    search_fields = [Coupon.code]
    default_sort = "-id"
    export_name = "coupon-codes"
    columns = [
        Column("code", _l("Code"), sort=Coupon.code),
        Column("status", _l("Status"), sort=Coupon.status, value=lambda c: coupons.STATUS_LABELS[c.status], badge=True),
        Column("source", _l("Issued by"), value=lambda c: {"claim": _("Claimed"), "grant": _("Granted"),
                                                            "code": _("Code")}.get(c.source, c.source)),
        Column("member_id", _l("Shopper"), value=lambda c: c.member_id or ""),
        Column("valid_until", _l("Valid until"), sort=Coupon.valid_until, kind="datetime"),
        Column("created_at", _l("Issued"), sort=Coupon.created_at, kind="datetime"),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(Coupon.status == v),
                      choices=lambda: [(k, str(v)) for k, v in coupons.STATUS_LABELS.items()])]

    def dispatch_request(self, **kwargs):
        self.template_row = db.get_or_404(CouponTemplate, kwargs["id"])   # another store's id: 404, GET or POST
        return super().dispatch_request(**kwargs)

    def query(self):
        return select(Coupon).where(Coupon.template_id == self.template_row.id)


CouponCodeList.register(bp, "/coupons/<int:id>/codes", "coupon_codes")


@bp.route("/coupons/<int:id>", methods=["GET", "POST"])
@requires("promotions.view")
def coupon(id):
    """A coupon template: its figures, granting to shoppers or a segment, generating codes."""
    from app.core.formview import commit_form
    from app.core.permissions import check

    template = db.get_or_404(CouponTemplate, id)
    grant_form, codes_form = forms.GrantForm(prefix="grant"), forms.CodesForm(prefix="codes")
    action = request.form.get("action")
    if request.method == "POST":
        check("promotions.manage")
        if action == "grant" and grant_form.validate_on_submit():
            def run():
                from app.blueprints.members import services as members

                if grant_form.segment_id.data:
                    return coupons.grant_to_segment(current_user, template, grant_form.segment_id.data)
                emails = [e.strip() for e in (grant_form.emails.data or "").replace(",", "\n").splitlines() if e.strip()]
                ids = []
                for email in emails:
                    member_id = members.member_id_by_email(email)
                    if member_id is None:
                        raise coupons.DomainError(_("No shopper with the email “%(email)s”.", email=email),
                                                  field="emails")
                    ids.append(member_id)
                if not ids:
                    raise coupons.DomainError(_("This field is required."), field="emails")
                return coupons.grant(current_user, template, ids)

            if done := commit_form(grant_form, run):
                from flask import flash

                flash(_("%(n)d coupons granted.", n=done.result), "success")
                return redirect_to(url_for("promotions.coupon", id=id))
        elif action == "codes" and codes_form.validate_on_submit():
            if done := commit_form(codes_form, lambda: coupons.generate_codes(current_user, template,
                                                                              codes_form.count.data)):
                from flask import flash

                flash(_("%(n)d codes generated; export them from the issued coupons.", n=done.result), "success")
                return redirect_to(url_for("promotions.coupon_codes", id=id))
        elif action not in ("grant", "codes"):
            abort(400)
    return render_template("promotions/coupon.html", template=template, grant_form=grant_form, codes_form=codes_form,
                           summary=coupons.describe(template, current_store().currency)), \
        422 if request.method == "POST" else 200


# --- flash sales ------------------------------------------------------------------------------------

from app.blueprints.promotions import flash  # noqa: E402
from app.blueprints.promotions.models import FlashSession  # noqa: E402

FLASH_LABELS = {"draft": _l("Draft"), "armed": _l("Armed"), "ended": _l("Ended")}


class FlashSessionList(ListView):
    permission = "promotions.view"
    title = _l("Flash sales")
    model = FlashSession
    search_fields = [FlashSession.name]
    default_sort = "-id"
    export_name = "flash-sales"
    create_endpoint = "promotions.flash_new"
    create_label = _l("New flash sale")
    create_permission = "promotions.manage"
    empty_message = _l("No flash sales yet.")
    columns = [
        Column("name", _l("Name"), sort=FlashSession.name, link=detail_url("promotions.flash_session")),
        Column("starts_at", _l("Starts"), sort=FlashSession.starts_at, kind="datetime"),
        Column("ends_at", _l("Ends"), sort=FlashSession.ends_at, kind="datetime"),
        Column("status", _l("Status"), sort=FlashSession.status, value=lambda s: FLASH_LABELS[s.status], badge=True),
        Column("payment_minutes", _l("Minutes to pay"), kind="number"),
    ]


FlashSessionList.register(bp, "/flash/", "flash_sessions")


@bp.route("/flash/new", methods=["GET", "POST"])
@requires("promotions.manage")
def flash_new():
    from app.core.formview import commit_form

    form = forms.FlashSessionForm()
    if form.validate_on_submit() and (done := commit_form(form, lambda: flash.save_session(
            current_user, None, form.name.data, forms.local_to_utc(form.starts_at.data),
            forms.local_to_utc(form.ends_at.data), form.payment_minutes.data))):
        return redirect_to(url_for("promotions.flash_session", id=done.result.id))
    return render_template("promotions/flash_new.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/flash/<int:id>", methods=["GET", "POST"])
@requires("promotions.view")
def flash_session(id):
    """A flash session: its items with what is left, adding items, arming and ending it."""
    from app.blueprints.catalog import queries as catalog
    from app.core.formview import commit_form
    from app.core.permissions import check

    session = db.get_or_404(FlashSession, id)
    form = forms.FlashItemForm()
    if request.method == "POST":
        check("promotions.manage")
        action = request.form.get("action", "item")
        if action == "item":
            if form.validate_on_submit():
                sku_id = catalog.sku_id_by_code(form.sku_code.data.strip())
                if sku_id is None:
                    form.sku_code.errors = [_("No SKU with the code “%(code)s”.", code=form.sku_code.data.strip())]
                elif commit_form(form, lambda: flash.add_item(current_user, session, sku_id, form.flash_price.data,
                                                              form.pool.data, form.per_member_limit.data)):
                    return redirect_to(url_for("promotions.flash_session", id=id))
        elif action in ("arm", "end"):
            perform(lambda: (flash.arm if action == "arm" else flash.end)(current_user, session),
                    _("The flash sale is armed: its stock is set aside.") if action == "arm"
                    else _("The flash sale ended: its stock is back in normal sale."))
            return redirect_to(url_for("promotions.flash_session", id=id))
        else:
            abort(400)
    items = flash.items_of(session.id)
    skus = catalog.sku_snapshots([i.sku_id for i in items])
    rows = [(i, skus.get(i.sku_id), flash.left(i.id)) for i in items]
    return render_template("promotions/flash_session.html", session=session, rows=rows, form=form,
                           labels=FLASH_LABELS), 422 if request.method == "POST" else 200


# --- group buys --------------------------------------------------------------------------------------

from app.blueprints.promotions import groupbuy  # noqa: E402
from app.blueprints.promotions.models import GroupBuy  # noqa: E402


class GroupBuyList(ListView):
    permission = "promotions.view"
    title = _l("Group buys")
    model = GroupBuy
    search_fields = [GroupBuy.name]
    default_sort = "-id"
    export_name = "group-buys"
    create_endpoint = "promotions.group_buy_new"
    create_label = _l("New group buy")
    create_permission = "promotions.manage"
    empty_message = _l("No group buys yet.")
    columns = [
        Column("name", _l("Name"), sort=GroupBuy.name, link=detail_url("promotions.group_buy")),
        Column("group_price", _l("Group price"), sort=GroupBuy.group_price, kind="money"),
        Column("group_size", _l("Shoppers per group"), sort=GroupBuy.group_size, kind="number"),
        Column("status", _l("Status"), sort=GroupBuy.status, value=lambda a: groupbuy.STATUS_LABELS[a.status],
               badge=True),
        Column("starts_at", _l("Starts"), sort=GroupBuy.starts_at, kind="datetime"),
        Column("ends_at", _l("Ends"), sort=GroupBuy.ends_at, kind="datetime"),
        Column("groups_succeeded", _l("Groups filled"), sort=GroupBuy.groups_succeeded, kind="number"),
        Column("groups_failed", _l("Groups failed"), sort=GroupBuy.groups_failed, kind="number"),
        Column("orders", _l("Orders"), sort=GroupBuy.orders, kind="number"),
        Column("gmv", _l("GMV"), sort=GroupBuy.gmv, kind="money"),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(GroupBuy.status == v),
                      choices=lambda: [(k, str(v)) for k, v in groupbuy.STATUS_LABELS.items()])]
    template = "promotions/group_buy_list.html"

    def context(self, page, state) -> dict:
        return {**super().context(page, state), "refunds_due": groupbuy.count_refunds_due()}


GroupBuyList.register(bp, "/group-buys/", "group_buys")


class GroupBuyEdit(NamedEdit):
    """A new group buy (its SKU by code); it is published or ended from its page."""

    template = "promotions/group_buy_new.html"
    cancel_endpoint = "promotions.group_buys"
    model, form_class, detail_endpoint = GroupBuy, forms.GroupBuyForm, "promotions.group_buy"
    new_title = edit_title = _l("New group buy")
    saved_message = _l("Group buy “%(name)s” saved.")

    def make_form(self, obj):
        return forms.GroupBuyForm()

    def save(self, form, obj):
        from app.blueprints.catalog import queries as catalog
        from app.core.errors import DomainError

        code = form.sku_code.data.strip()
        sku_id = catalog.sku_id_by_code(code)
        if sku_id is None:
            raise DomainError(_("No SKU with the code “%(code)s”.", code=code), field="sku_code")
        return groupbuy.save_activity(current_user, obj, {
            "name": form.name.data, "sku_id": sku_id, "group_price": form.group_price.data,
            "group_size": form.group_size.data, "time_limit_minutes": form.time_limit_minutes.data,
            "starts_at": forms.local_to_utc(form.starts_at.data), "ends_at": forms.local_to_utc(form.ends_at.data)})


GroupBuyEdit.register(bp, "/group-buys/new", "group_buy_new")
GROUP_ACTIONS = {"publish": "active", "end": "ended"}


@bp.route("/group-buys/<int:id>", methods=["GET", "POST"])
@requires("promotions.view")
def group_buy(id):
    """A group buy: its figures, publishing or ending it, and its groups (places paid, time left)."""
    from app.blueprints.catalog import queries as catalog
    from app.core.permissions import check

    activity = db.get_or_404(GroupBuy, id)
    if request.method == "POST":
        check("promotions.manage")
        return status_action(activity, request.form.get("action"), GROUP_ACTIONS, groupbuy.set_status,
                             groupbuy.STATUS_LABELS, url_for("promotions.group_buy", id=id))
    sku = catalog.sku_snapshots([activity.sku_id]).get(activity.sku_id)
    return render_template("promotions/group_buy.html", activity=activity, sku=sku,
                           teams=queries.group_teams(activity.id), labels=groupbuy.STATUS_LABELS,
                           group_labels=groupbuy.GROUP_LABELS, refunds_due=groupbuy.count_refunds_due())


@bp.route("/group-buys/refunds", methods=["GET", "POST"])
@requires("promotions.view")
def group_refunds():
    """Orders of failed groups that nothing refunds by itself (paid offline, or the gateway's
    refund failed): staff pay them back by hand and record how, one row at a time."""
    from flask import flash as notify   # `flash` here is the flash-sale module

    from app.blueprints.promotions.models import GroupMember
    from app.core.formview import commit_form
    from app.core.permissions import check

    posted, status = None, 200
    if request.method == "POST":
        check("orders.payment")
        place_id = request.form.get("place", "")     # the row's id (a button's value), not typed text
        if not place_id.isdigit() or not 0 < int(place_id) < 2 ** 62:
            abort(404)
        posted = (int(place_id), forms.ManualRefundForm(prefix=f"p{place_id}"))
        if posted[1].validate_on_submit() and commit_form(posted[1], lambda: groupbuy.record_manual_refund(
                current_user, posted[0], posted[1].reference.data)):
            notify(_("The refund is recorded."), "success")
            return redirect_to(url_for("promotions.group_refunds"))
        status = 422
    rows = groupbuy.refunds_due()
    refund_forms = {r["place"].id: posted[1] if posted and posted[0] == r["place"].id
                    else forms.ManualRefundForm(prefix=f"p{r['place'].id}", formdata=None) for r in rows}
    if posted and posted[0] not in refund_forms and not db.session.get(GroupMember, posted[0]):
        abort(404)
    return render_template("promotions/group_refunds.html", rows=rows, refund_forms=refund_forms,
                           form_error=posted[1] if posted and posted[0] not in refund_forms else None), status

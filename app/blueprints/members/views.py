"""Member pages for staff: the member list (search, filters, export, bulk tags), a member's
page (orders, points, cards, tags, notes, blacklist, level, timeline), segments, levels with
the growth and points rules, and the points ledger. Cards are in card_views."""
from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.blueprints.members import bp, cards, forms, loyalty, queries, segments
from app.blueprints.members.models import Level, Member, PointsEntry, Segment
from app.core.formview import FormView, commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import BulkAction, Column, Filter, ListView
from app.core.permissions import check, requires
from app.core.timeline import ACTOR_LABELS
from app.extensions import db

BLACKLIST_CHOICES = [("yes", _l("Blacklisted")), ("no", _l("Not blacklisted"))]


def _level_options():
    return [("-", str(_l("No level"))), *queries.level_choices()]


def _rule_filter(name: str, choices=None) -> Filter:
    rule = queries.rules()[name]
    return Filter(name, rule.label, rule.apply, choices=choices, parse=rule.parse, placeholder=rule.placeholder)


def _tag_members(ids, actor, tag):
    count = 0
    for member in db.session.scalars(select(Member).where(Member.id.in_(ids))):
        loyalty.add_tag(actor, member, tag)
        count += 1
    return _("Tag added to %(n)d members.", n=count)


class MemberList(ListView):
    permission = "members.view"
    title = _l("Members")
    model = Member
    saved_filters = True
    search_fields = [Member.name]           # the search itself: queries.search (name, phone, email)
    search_placeholder = _l("Name, phone or email")
    default_sort = "-created_at"
    export_name = "members"
    template = "members/member_list.html"
    columns = [
        Column("email", _l("Email"), sort=Member.email, link=lambda m: url_for("members.member", id=m.id)),
        Column("name", _l("Name"), sort=Member.name),
        Column("phone", _l("Phone")),
        Column("level", _l("Level"), value=lambda m: m.level.name if m.level else "—"),
        Column("points", _l("Points"), sort=Member.points, kind="number"),
        Column("order_count", _l("Orders"), sort=Member.order_count, kind="number"),
        Column("total_spent", _l("Total spend"), sort=Member.total_spent, kind="money"),
        Column("last_order_at", _l("Last order"), sort=Member.last_order_at, kind="datetime"),
        Column("tags", _l("Tags"), value=lambda m: ", ".join(m.tags or [])),
        Column("blacklisted", _l("Blacklist"), badge=True,
               value=lambda m: str(BLACKLIST_CHOICES[0][1]) if m.blacklisted else ""),
        Column("created_at", _l("Signed up"), sort=Member.created_at, kind="datetime"),
    ]
    filters = [_rule_filter("level", _level_options), _rule_filter("tag"), _rule_filter("min_spent"),
               _rule_filter("max_spent"), _rule_filter("min_orders"), _rule_filter("max_orders"),
               _rule_filter("ordered_since"), _rule_filter("ordered_until"),
               _rule_filter("blacklisted", lambda: [(k, str(v)) for k, v in BLACKLIST_CHOICES])]
    bulk_actions = [BulkAction("tag", _l("Add a tag"), _tag_members, permission="members.manage",
                               param_label=_l("Tag"))]

    def query(self):
        return select(Member).options(joinedload(Member.level))

    def search(self, stmt, q):
        return queries.search(stmt, q)


MemberList.register(bp, "/", "members")


# --- one member ---------------------------------------------------------------------------------

ACTION_FORMS = {"note": forms.NoteForm, "tag": forms.TagForm, "blacklist": forms.BlacklistForm,
                "points": forms.PointsForm, "level": forms.LevelSetForm, "birthday": forms.BirthdayForm}
ACTION_PERMISSIONS = {"note": "members.manage", "tag": "members.manage", "untag": "members.manage",
                      "blacklist": "members.manage", "unblacklist": "members.manage", "points": "members.points",
                      "level": "members.points", "birthday": "members.manage"}


def _member(id: int) -> Member:
    return db.get_or_404(Member, id)


def _level_choices():
    return [(0, _("No level")), *[(lv.id, f"{lv.name} ({lv.code})") for lv in loyalty.levels()]]


def _member_page(member: Member, posted: dict | None = None, status: int = 200):
    from app.blueprints.orders import queries as order_queries
    from app.blueprints.orders.services import STATUS_LABELS

    action_forms = {name: cls(formdata=None) for name, cls in ACTION_FORMS.items()}
    action_forms["birthday"] = forms.BirthdayForm(formdata=None, birthday=member.birthday)
    action_forms.update(posted or {})
    action_forms["level"].level_id.choices = _level_choices()
    from app.blueprints.aftersales import queries as aftersales
    from app.blueprints.promotions import queries as promotions

    orders, order_total = order_queries.shopper_order_refs(member.id)
    requests, request_total = aftersales.shopper_requests(member.id, per_page=10)
    return render_template("members/member.html", member=member, forms=action_forms, orders=orders,
                           aftersales=requests, aftersales_total=request_total,
                           coupons=promotions.member_coupons(member.id),
                           order_total=order_total, order_statuses=STATUS_LABELS,
                           points=queries.points_history(member.id), points_kinds=loyalty.POINTS_KINDS,
                           cards=queries.cards_of(member.id), card_statuses=cards.STATUS_LABELS, timeline=loyalty.MEMBER_STATES.history(member),
                           pricing=queries.member_pricing(member.id),
                           segments=dict(queries.segment_choices())), status


@bp.route("/<int:id>")
@requires("members.view")
def member(id):
    return _member_page(_member(id))


def _form_step(member: Member, action: str, form):
    return {
        "note": (lambda: loyalty.add_note(current_user, member, form.note.data), _("Note added.")),
        "tag": (lambda: loyalty.add_tag(current_user, member, form.tag.data), _("Tag added.")),
        "blacklist": (lambda: loyalty.blacklist(current_user, member, form.reason.data),
                      _("The member is blacklisted: no orders, no coupons.")),
        "points": (lambda: loyalty.adjust_points(current_user, member, form.points.data, form.reason.data),
                   _("Points adjusted.")),
        "level": (lambda: loyalty.set_level(current_user, member, db.session.get(Level, form.level_id.data)
                                            if form.level_id.data else None, form.reason.data), _("Level changed.")),
        "birthday": (lambda: loyalty.set_birthday(member, form.birthday.data), _("Birthday saved.")),
    }[action]


@bp.route("/<int:id>/<action>", methods=["POST"])
@requires("members.view")
def member_action(id, action):
    member = _member(id)
    if action not in ACTION_PERMISSIONS:
        abort(404)
    check(ACTION_PERMISSIONS[action])
    if action in ACTION_FORMS:
        form = ACTION_FORMS[action]()
        if action == "level":
            form.level_id.choices = _level_choices()
        run, message = _form_step(member, action, form)
        if form.validate_on_submit() and commit_form(form, run):
            flash(message, "success")
            return redirect_to(url_for("members.member", id=id))
        return _member_page(_member(id), {action: form}, 422)
    if action == "untag":
        perform(lambda: loyalty.remove_tag(current_user, member, request.form.get("tag", "")), _("Tag removed."))
    else:
        perform(lambda: loyalty.unblacklist(current_user, member, request.form.get("reason", "")),
                _("The member is off the blacklist."))
    return redirect_to(url_for("members.member", id=id))


# --- segments -----------------------------------------------------------------------------------

class SegmentList(ListView):
    permission = "members.view"
    title = _l("Segments")
    model = Segment
    default_sort = "name"
    export_name = "segments"
    create_endpoint = "members.segment_new"
    create_label = _l("New segment")
    create_permission = "members.manage"
    empty_message = _l("No segments yet. Filter the member list and save the filters as a segment.")
    columns = [
        Column("name", _l("Name"), sort=Segment.name, link=lambda s: url_for("members.segment_edit", id=s.id)),
        Column("rules", _l("Rules"), value=lambda s: describe_rules(s.rules)),
        Column("size", _l("Members now"), kind="number", export=False, value=lambda s: getattr(s, "size", 0)),
        Column("members", _l("Open in the member list"), export=False, value=lambda s: _("Members"),
               link=lambda s: url_for("members.members", **(s.rules or {}))),
    ]
    def paginate(self, stmt, state):
        page = super().paginate(stmt, state)
        sizes = queries.segment_sizes(page.rows)   # one statement for the page
        for row in page.rows:
            row.size = sizes.get(row.id, 0)
        return page


SegmentList.register(bp, "/segments", "segments")


def describe_rules(rules: dict) -> str:
    """A segment's rules in words ("Level: gold · Tag: vip")."""
    table = queries.rules()
    labels = {"q": _("Name, phone or email contains")}
    parts = []
    for name, value in (rules or {}).items():
        label = labels.get(name) or (table[name].label if name in table else name)
        if name == "blacklisted":
            value = dict(BLACKLIST_CHOICES).get(value, value)
        elif name == "level" and value == "-":
            value = _("No level")
        parts.append(f"{label}: {value}")
    return " · ".join(parts) or _("Every member")


class SegmentForm(FormView):
    permission = "members.manage"
    form_class = forms.SegmentForm
    cancel_endpoint = "members.segments"

    def get_object(self, id=None):
        return db.get_or_404(Segment, id) if id is not None else None

    def make_form(self, obj):
        if obj is not None:
            form = forms.SegmentForm(data={"name": obj.name, **(obj.rules or {})} if request.method == "GET" else None)
        else:
            form = forms.SegmentForm(data=request.args.to_dict() if request.method == "GET" else None)
        form.level.choices = [("", _("Any level")), *_level_options()]
        form.blacklisted.choices = [("", _("Either")), *[(k, str(v)) for k, v in BLACKLIST_CHOICES]]
        return form

    @property
    def title(self):
        return _("Segment") if request.view_args.get("id") else _("New segment")

    def save(self, form, obj):
        return segments.save_segment(current_user, form.values(), obj)

    def success_url(self, result):
        return url_for("members.segments")

    def extra_context(self, obj):
        return {"cancel_url": url_for("members.segments")}


SegmentForm.register(bp, "/segments/new", "segment_new")
SegmentForm.register(bp, "/segments/<int:id>", "segment_edit")


@bp.route("/segments/<int:id>/delete", methods=["POST"])
@requires("members.manage")
def segment_delete(id):
    seg = db.get_or_404(Segment, id)
    perform(lambda: segments.delete_segment(current_user, seg), _("Segment deleted."))
    return redirect_to(url_for("members.segments"))


# --- levels and rules ---------------------------------------------------------------------------

@bp.route("/levels", methods=["GET", "POST"])
@requires("members.view")
def levels():
    """The levels with their benefits and member counts, and the growth and points rules."""
    form = forms.SettingsForm(obj=loyalty.settings() if request.method == "GET" else None)
    if request.method == "POST":
        check("members.settings")
        if form.validate_on_submit() and commit_form(form, lambda: loyalty.save_settings(current_user, form.values())):
            flash(_("Saved."), "success")
            return redirect_to(url_for("members.levels"))
    return render_template("members/levels.html", levels=loyalty.levels(), sizes=queries.level_sizes(),
                           form=form), 422 if request.method == "POST" else 200


class LevelForm(FormView):
    permission = "members.settings"
    form_class = forms.LevelForm
    cancel_endpoint = "members.levels"

    def get_object(self, id=None):
        return db.get_or_404(Level, id) if id is not None else None

    def make_form(self, obj):
        return forms.LevelForm(obj=obj) if request.method == "GET" else forms.LevelForm()

    @property
    def title(self):
        return _("Level") if request.view_args.get("id") else _("New level")

    def save(self, form, obj):
        return loyalty.save_level(current_user, form.values(), obj)

    def success_url(self, result):
        return url_for("members.levels")


LevelForm.register(bp, "/levels/new", "level_new")
LevelForm.register(bp, "/levels/<int:id>", "level_edit")


@bp.route("/levels/<int:id>/delete", methods=["POST"])
@requires("members.settings")
def level_delete(id):
    level = db.get_or_404(Level, id)
    perform(lambda: loyalty.delete_level(current_user, level), _("Level deleted."))
    return redirect_to(url_for("members.levels"))


# --- the points ledger --------------------------------------------------------------------------

class PointsLedger(ListView):
    permission = "members.view"
    title = _l("Points ledger")
    model = PointsEntry
    default_sort = "-id"
    export_name = "points"
    search_fields = [PointsEntry.reason]
    search_placeholder = _l("Member email or reason")
    columns = [
        Column("id", _l("Entry"), sort=PointsEntry.id, kind="number"),
        Column("at", _l("When"), sort=PointsEntry.at, kind="datetime"),
        Column("member", _l("Member"), value=lambda e: e.member.email,
               link=lambda e: url_for("members.member", id=e.member_id)),
        Column("kind", _l("Kind"), value=lambda e: str(loyalty.POINTS_KINDS.get(e.kind, e.kind)), badge=True),
        Column("delta", _l("Points"), sort=PointsEntry.delta, kind="number"),
        Column("balance_after", _l("Balance"), kind="number"),
        Column("reason", _l("Reason")),
        Column("actor_name", _l("By"), value=lambda e: str(ACTOR_LABELS.get(e.actor_name, e.actor_name))),
    ]
    filters = [Filter("kind", _l("Kind"), lambda q, v: q.where(PointsEntry.kind == v),
                      choices=lambda: [(k, str(v)) for k, v in loyalty.POINTS_KINDS.items()])]

    def query(self):
        return (select(PointsEntry).join(Member, Member.id == PointsEntry.member_id)
                .options(joinedload(PointsEntry.member)))

    def search(self, stmt, q):
        pattern = f"%{queries.escaped(q)}%"
        return stmt.where(Member.email.ilike(pattern) | PointsEntry.reason.ilike(pattern))


PointsLedger.register(bp, "/points", "points_ledger")

from app.blueprints.members import card_views  # noqa: E402,F401

"""Store management pages: thin handlers over store.services and the shared views."""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l, force_locale
from flask_login import current_user, login_user
from sqlalchemy import select

from app.blueprints.auth import services as auth_services
from app.blueprints.auth.forms import AcceptInvitationForm
from app.blueprints.platform import services as platform_services
from app.blueprints.platform.models import Store
from app.blueprints.store import bp, forms, queries, services
from app.blueprints.store.models import Role, StaffUser
from app.core import charts, permissions
from app.core.audit import AuditEntry
from app.core.auditlist import audit_columns
from app.core.formview import FormView, commit, commit_form, committed, perform
from app.core.htmx import redirect_to
from app.core.listview import BulkAction, Column, Filter, ListView, detail_url
from app.core.mail import queue_mail
from app.core.money import currency_name, to_major
from app.core.permissions import public, requires, signed_in_staff
from app.core.security import BadToken
from app.core.sessions import remember_password, rotate_session
from app.core.tenancy import current_store
from app.core.urls import same_origin_path
from app.extensions import db

STATUS_LABELS = {"invited": _l("Invited"), "active": _l("Active"), "disabled": _l("Disabled")}


@bp.route("/")
@requires("store.dashboard")
def dashboard():
    """The store's home page: the sales dashboard (for staff who may see finance), then staff activity."""
    from app.blueprints.finance import queries as finance_queries

    sales = finance_queries.dashboard() if permissions.can("finance.view") else None
    currency = current_store().currency or "CNY"
    sales_chart = charts.bar_chart([(day, int(to_major(value, currency))) for day, value in sales["chart"]],
                                   label=_("GMV per day, last 30 days (%(currency)s)",
                                           currency=currency_name(currency))) if sales else None
    by_status = queries.staff_by_status()
    activity = queries.activity_by_day(14)
    return render_template("store/dashboard.html", by_status=by_status, sales=sales, sales_chart=sales_chart,
                           change=finance_queries.change,
                           chart=charts.bar_chart(activity, label=_("Actions per day")),
                           activity_total=sum(n for _, n in activity),
                           recent=queries.recent_activity(), status_labels=STATUS_LABELS)


# --- staff ---------------------------------------------------------------------------------

def _send_invitation(staff: StaffUser, token: str) -> None:
    """Queue the invitation mail; it leaves once the request commits."""
    link = url_for("store.accept_invitation", token=token, _external=True)
    with force_locale(g.store.default_locale):   # the invitee has chosen no language yet: the store's
        _queue_invitation(staff, link)


def _queue_invitation(staff: StaffUser, link: str) -> None:
    queue_mail(staff.email, _("You are invited to %(store)s on Houtai", store=g.store.name),
              _("%(name)s, you have been invited to work in the back office of %(store)s.\n\n"
                "Open this link to choose your password and sign in:\n%(link)s\n\nThe link works once, for 7 days.",
                name=staff.name, store=g.store.name, link=link))


def _bulk_status(enabled: bool):
    def run(ids, actor):
        staff = db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids))).all()
        for member in staff:
            services.set_staff_status(actor, member, enabled)
        return _("%(n)d staff members updated.", n=len(staff))
    return run


class StaffList(ListView):
    permission = "store.staff_view"
    title = _l("Staff")
    model = StaffUser
    search_fields = [StaffUser.name, StaffUser.email]
    search_placeholder = _l("Name or email")
    default_sort = "name"
    export_name = "staff"
    create_endpoint = "store.staff_invite"
    create_label = _l("Invite staff")
    create_permission = "store.staff_manage"
    columns = [
        Column("name", _l("Name"), sort=StaffUser.name, link=detail_url("store.staff_edit")),
        Column("email", _l("Email"), sort=StaffUser.email),
        Column("role", _l("Role"), value=lambda s: s.role.display_name),
        Column("status", _l("Status"), sort=StaffUser.status, value=lambda s: STATUS_LABELS[s.status], badge=True),
        Column("last_login_at", _l("Last sign-in"), sort=StaffUser.last_login_at, kind="datetime"),
        Column("created_at", _l("Added"), sort=StaffUser.created_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(StaffUser.status == v),
               choices=lambda: [(k, str(v)) for k, v in STATUS_LABELS.items()]),
        Filter("role", _l("Role"), lambda q, v: q.where(StaffUser.role_id == int(v)),
               choices=lambda: [(str(i), n) for i, n in queries.role_choices()]),
    ]
    bulk_actions = [
        BulkAction("disable", _l("Disable"), _bulk_status(False), "store.staff_manage", danger=True,
                   confirm=_l("Disable the selected staff? They will be signed out.")),
        BulkAction("enable", _l("Enable"), _bulk_status(True), "store.staff_manage"),
    ]


StaffList.register(bp, "/staff", "staff")


class StaffInvite(FormView):
    permission = "store.staff_manage"
    form_class = forms.InviteStaffForm
    title = _l("Invite staff")
    submit_label = _l("Send invitation")
    cancel_endpoint = "store.staff"

    def make_form(self, obj):
        form = self.form_class()
        form.role_id.choices = queries.role_choices()
        if not form.is_submitted():
            form.role_id.data = queries.least_privileged_role()
        return form

    def save(self, form, obj):
        staff, token = services.invite_staff(current_user, form.email.data, form.name.data, form.role_id.data)
        _send_invitation(staff, token)
        return staff

    def success_url(self, staff):
        return url_for("store.staff")

    def success_message(self, staff):
        return _("Invitation sent to %(email)s.", email=staff.email)


StaffInvite.register(bp, "/staff/invite", "staff_invite")


def _staff_or_404(staff_id: int) -> StaffUser:
    return db.get_or_404(StaffUser, staff_id)


class StaffEdit(FormView):
    permission = "store.staff_manage"
    form_class = forms.EditStaffForm
    title = _l("Edit staff member")
    cancel_endpoint = "store.staff"
    template = "store/staff_edit.html"

    def get_object(self, id):
        return _staff_or_404(id)

    def make_form(self, obj):
        form = self.form_class(obj=obj)
        form.role_id.choices = queries.role_choices()
        return form

    def save(self, form, obj):
        return services.update_staff(current_user, obj, form.name.data, form.role_id.data)

    def success_url(self, staff):
        return url_for("store.staff")

    def extra_context(self, obj):
        history = db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "StaffUser", AuditEntry.object_id == str(obj.id))
            .order_by(AuditEntry.id.desc()).limit(20)).all()
        return {"history": history, "status_labels": STATUS_LABELS}


StaffEdit.register(bp, "/staff/<int:id>", "staff_edit")


@bp.route("/staff/<int:id>/status", methods=["POST"])
@requires("store.staff_manage")
def staff_status(id):
    staff = _staff_or_404(id)
    perform(lambda: services.set_staff_status(current_user, staff, request.form.get("enabled") == "1"),
            lambda s: _("%(email)s is now %(status)s.", email=s.email, status=STATUS_LABELS[s.status]))
    return redirect_to(url_for("store.staff_edit", id=id))


@bp.route("/staff/<int:id>/resend", methods=["POST"])
@requires("store.staff_manage")
def staff_resend(id):
    staff = _staff_or_404(id)
    perform(lambda: _send_invitation(staff, services.resend_invitation(current_user, staff)),
            _("Invitation sent to %(email)s.", email=staff.email))
    return redirect_to(url_for("store.staff_edit", id=id))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token):
    try:
        staff = services.check_invitation(token)
    except BadToken as err:
        msg = _("This invitation has expired.") if err.expired else _("This invitation is invalid or was used already.")
        flash(msg + " " + _("Ask the store owner to send a new one."), "error")
        return redirect(url_for("store_auth.login"), code=303)
    form = AcceptInvitationForm(name=staff.name)
    if form.validate_on_submit() and (done := commit_form(
            form, lambda: services.accept_invitation(token, form.name.data, form.password.data))):
        staff = done.result
        session.clear()
        rotate_session(session)
        login_user(staff)
        flash(_("Welcome to %(store)s.", store=g.store.name), "success")
        return redirect(url_for("store.dashboard"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("store/accept_invitation.html", form=form, staff=staff), status


# --- roles ---------------------------------------------------------------------------------

class RoleList(ListView):
    permission = "store.roles"
    title = _l("Roles")
    model = Role
    search_fields = [Role.name, Role.description]
    default_sort = "id"
    export_name = "roles"
    create_endpoint = "store.role_new"
    create_label = _l("New role")
    create_permission = "store.roles"
    columns = [
        Column("id", "#", sort=Role.id),
        Column("name", _l("Name"), sort=Role.name, value=lambda r: r.display_name, link=detail_url("store.role_edit")),
        Column("kind", _l("Kind"), value=lambda r: _("Built-in") if r.builtin else _("Custom")),
        Column("permissions", _l("Permissions"),
               value=lambda r: _("All") if r.is_owner else str(len(r.permissions))),
        Column("description", _l("Description")),
    ]
    filters = [Filter("kind", _l("Kind"),
                      lambda q, v: q.where(Role.builtin.is_not(None) if v == "builtin" else Role.builtin.is_(None)),
                      choices=lambda: [("builtin", _("Built-in")), ("custom", _("Custom"))])]


RoleList.register(bp, "/roles", "roles")


class RoleEdit(FormView):
    permission = "store.roles"
    form_class = forms.RoleForm
    title = _l("Role")
    cancel_endpoint = "store.roles"
    template = fragment_template = "store/role_form.html"

    def get_object(self, id=None):
        return db.get_or_404(Role, id) if id else None

    def make_form(self, obj):
        form = self.form_class(obj=obj)
        form.permissions.choices = [(p.code, str(p.label)) for p in permissions.REGISTRY.values()]
        if obj is not None and obj.builtin:
            form.name.data = obj.display_name
        return form

    def save(self, form, obj):
        if obj is None:
            return services.create_role(current_user, form.name.data, form.description.data, form.permissions.data)
        return services.update_role(current_user, obj, form.name.data, form.description.data, form.permissions.data)

    def success_url(self, role):
        return url_for("store.roles")

    def extra_context(self, obj):
        return {"groups": permissions.grouped()}


RoleEdit.register(bp, "/roles/new", "role_new")
RoleEdit.register(bp, "/roles/<int:id>", "role_edit")


@bp.route("/roles/<int:id>/delete", methods=["POST"])
@requires("store.roles")
def role_delete(id):
    role = db.get_or_404(Role, id)
    if perform(lambda: services.delete_role(current_user, role), _("Role deleted.")):
        return redirect_to(url_for("store.roles"))
    return redirect_to(url_for("store.role_edit", id=id))


# --- audit log -----------------------------------------------------------------------------

def _since(q, v):
    return q.where(AuditEntry.at >= v)


def _until(q, v):
    return q.where(AuditEntry.at < v + timedelta(days=1))


class AuditList(ListView):
    permission = "store.audit"
    title = _l("Audit log")
    model = AuditEntry
    template = "store/audit_list.html"
    search_fields = [AuditEntry.actor_name, AuditEntry.object_label, AuditEntry.action]
    search_placeholder = _l("Who, what or action")
    default_sort = "-at"
    export_name = "audit-log"
    per_page_choices = (50, 100, 200)
    columns = audit_columns(AuditEntry)
    filters = [
        Filter("action", _l("Action"), lambda q, v: q.where(AuditEntry.action == v), choices=queries.action_choices),
        Filter("since", _l("From"), _since, parse=date.fromisoformat, placeholder="2026-01-31"),
        Filter("until", _l("To"), _until, parse=date.fromisoformat, placeholder="2026-01-31"),
    ]


AuditList.register(bp, "/audit", "audit")


@bp.route("/audit/export", methods=["POST"])
@requires("store.audit")
def audit_export():
    """Export the whole (or one action's) audit log as a background job with progress: the
    list's own export (times in the store's time zone, the list's columns)."""
    from app.core.listview import start_list_export

    action = request.form.get("action") or None
    task = committed(lambda: start_list_export(current_user, "store.audit", {"action": [action]} if action else {},
                                               "csv"))
    return redirect_to(url_for("store.job_detail", id=task.id))


# --- settings and own account -----------------------------------------------------------------

class SettingsEdit(FormView):
    permission = "store.settings"
    form_class = forms.SettingsForm
    title = _l("Store settings")
    cancel_endpoint = "store.dashboard"

    def get_object(self):
        return db.session.get(Store, g.store.id)

    def save(self, form, store):
        return platform_services.update_store_settings(current_user, store.id, form.name.data,
                                                       form.default_locale.data, form.timezone.data,
                                                       form.currency.data)

    def success_url(self, store):
        return url_for("store.settings")


SettingsEdit.register(bp, "/settings", "settings")


@bp.route("/account", methods=["GET", "POST"])
@signed_in_staff
def account():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit() and commit_form(form, lambda: auth_services.change_password(
            current_user, form.current.data, form.password.data)):
        rotate_session(session)
        remember_password(session, current_user)   # this session stays; every other one ends
        flash(_("Your password was changed."), "success")
        return redirect_to(url_for("store.account"))
    status = 422 if request.method == "POST" else 200
    return render_template("store/account.html", form=form), status


@bp.route("/account/locale", methods=["POST"])
@signed_in_staff
def account_locale():
    locale = request.form.get("locale", "")
    done = commit(lambda: services.set_locale(current_user, locale))
    if done:
        session["locale"] = locale
    else:
        flash(done.error.message, "error")
    return redirect(_own_page(request.form.get("next")), code=303)



@bp.route("/saved-filters", methods=["POST"])
@signed_in_staff
def saved_filter_save():
    from app.core import savedfilters

    form = forms.SavedFilterForm()
    if form.validate_on_submit() and commit_form(form, lambda: savedfilters.save(
            current_user.id, form.view.data, form.name.data, form.query.data)):
        flash(_("Filter saved."), "success")
        return redirect(_own_page(form.next.data), code=303)
    return render_template("store/saved_filter.html", form=form, back=_own_page(form.next.data)), 422


@bp.route("/saved-filters/<int:id>/delete", methods=["POST"])
@signed_in_staff
def saved_filter_delete(id):
    from app.core import savedfilters

    saved = db.session.get(savedfilters.SavedFilter, id)
    if saved is None or saved.staff_id != current_user.id:
        abort(404)
    perform(lambda: savedfilters.delete(current_user.id, id), _("Filter deleted."))
    return redirect(_own_page(request.form.get("next")), code=303)


def _own_page(target: str | None) -> str:
    """Only go back to a page of this store."""
    return same_origin_path(target, url_for("store.dashboard"), prefix=f"/store/{g.store.slug}/")

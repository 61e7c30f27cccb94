"""Platform administration pages."""
from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp, force_locale
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.platform import bp, forms, queries, services
from app.blueprints.platform.models import Plan, PlatformUser, Store, SupplierAccount, SupplierLink
from app.core import charts
from app.core.audit import PlatformAuditEntry
from app.core.auditlist import audit_columns
from app.core.formview import FormView, commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import BulkAction, Column, Filter, ListView, detail_url
from app.core.mail import list_mail, queue_mail
from app.core.permissions import platform_staff
from app.core.redisconn import get_redis
from app.extensions import db

STORE_STATUS = {"active": _l("Active"), "suspended": _l("Suspended"), "deleted": _l("Deleted")}


@bp.route("/")
@platform_staff
def home():
    by_status = queries.stores_by_status()
    chart = charts.bar_chart(queries.new_stores_by_day(30), label=_("New stores per day"))
    recent = db.session.scalars(select(PlatformAuditEntry).order_by(PlatformAuditEntry.id.desc()).limit(10)).all()
    return render_template("platform/home.html", by_status=by_status, chart=chart, recent=recent,
                           status_labels=STORE_STATUS)


# --- stores --------------------------------------------------------------------------------

def _bulk(fn, message):
    def run(ids, actor):
        stores = db.session.scalars(select(Store).where(Store.id.in_(ids))).all()
        for store in stores:
            fn(actor, store)
        return message(len(stores))
    return run


class StoreList(ListView):
    realm = "platform"
    title = _l("Stores")
    model = Store
    search_fields = [Store.slug, Store.name, Store.owner_email]
    search_placeholder = _l("Address, name or owner email")
    default_sort = "-created_at"
    export_name = "stores"
    create_endpoint = "platform.store_new"
    create_label = _l("New store")
    columns = [
        Column("slug", _lp("web address of a store", "Address"), sort=Store.slug, link=detail_url("platform.store_detail")),
        Column("name", _l("Name"), sort=Store.name),
        Column("status", _l("Status"), sort=Store.status, value=lambda s: STORE_STATUS[s.status], badge=True),
        Column("plan", _l("Plan"), value=lambda s: s.plan.label if s.plan else ""),
        Column("staff_count", _l("Staff"), sort=Store.staff_count),
        Column("created_at", _l("Created"), sort=Store.created_at, kind="datetime"),
        Column("last_activity_at", _l("Last activity"), sort=Store.last_activity_at, kind="datetime"),
        Column("owner_email", _l("Owner"), sort=Store.owner_email),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(Store.status == v),
               choices=lambda: [(k, str(v)) for k, v in STORE_STATUS.items()]),
        Filter("plan", _l("Plan"), lambda q, v: q.where(Store.plan.has(Plan.code == v)), choices=queries.plan_choices),
    ]
    bulk_actions = [
        BulkAction("suspend", _l("Suspend"), _bulk(services.suspend_store, lambda n: _("%(n)d stores suspended.", n=n)),
                   danger=True, confirm=_l("Suspend the selected stores? Their staff and shoppers are locked out.")),
        BulkAction("reactivate", _l("Reactivate"),
                   _bulk(services.reactivate_store, lambda n: _("%(n)d stores reactivated.", n=n))),
    ]


StoreList.register(bp, "/stores", "stores")


class StoreCreate(FormView):
    realm = "platform"
    form_class = forms.StoreForm
    title = _l("New store")
    submit_label = _l("Create store")
    cancel_endpoint = "platform.stores"

    def make_form(self, obj):
        form = self.form_class()
        form.plan.choices = queries.plan_choices()
        return form

    def save(self, form, obj):
        store = services.create_store(
            current_user, form.slug.data, form.name.data, form.owner_email.data,
            owner_password=form.owner_password.data or None, owner_name=form.owner_name.data,
            plan_code=form.plan.data, default_locale=form.default_locale.data, currency=form.currency.data)
        if store.invitation_token:
            link = url_for("store.accept_invitation", slug=store.slug, token=store.invitation_token, _external=True)
            with force_locale(store.default_locale):   # the owner reads the store's language
                queue_mail(store.owner_email, _("Your store %(name)s is ready on Houtai", name=store.name),
                           _("Open this link to choose your password and sign in as the owner of %(name)s:\n%(link)s",
                             name=store.name, link=link))
        return store

    def success_url(self, store):
        return url_for("platform.store_detail", id=store.id)

    def success_message(self, store):
        return _("Store “%(name)s” created.", name=store.name)


StoreCreate.register(bp, "/stores/new", "store_new")


@bp.route("/stores/<int:id>")
@platform_staff
def store_detail(id):
    store = db.get_or_404(Store, id)
    history = db.session.scalars(
        select(PlatformAuditEntry).where(PlatformAuditEntry.object_type == "Store",
                                         PlatformAuditEntry.object_id == str(id))
        .order_by(PlatformAuditEntry.id.desc()).limit(30)).all()
    links = db.session.scalars(select(SupplierLink).where(SupplierLink.store_id == id)).all()
    return render_template("platform/store_detail.html", store=store, history=history, links=links,
                           suspend_form=forms.SuspendForm(), delete_form=forms.DeleteForm(),
                           status_labels=STORE_STATUS)


@bp.route("/stores/<int:id>/suspend", methods=["POST"])
@platform_staff
def store_suspend(id):
    store, form = db.get_or_404(Store, id), forms.SuspendForm()
    if form.validate_on_submit():
        perform(lambda: services.suspend_store(current_user, store, form.reason.data), _("Store suspended."))
    else:
        flash(_("The reason is too long (500 characters at most)."), "error")
    return redirect_to(url_for("platform.store_detail", id=id))


@bp.route("/stores/<int:id>/reactivate", methods=["POST"])
@platform_staff
def store_reactivate(id):
    store = db.get_or_404(Store, id)
    perform(lambda: services.reactivate_store(current_user, store), _("Store reactivated."))
    return redirect_to(url_for("platform.store_detail", id=id))


@bp.route("/stores/<int:id>/delete", methods=["POST"])
@platform_staff
def store_delete(id):
    store, form = db.get_or_404(Store, id), forms.DeleteForm()
    form.validate_on_submit()
    perform(lambda: services.delete_store(current_user, store, form.confirmation.data or ""),
            _("Store deleted. Its schema was dropped; the record stays here."))
    return redirect_to(url_for("platform.store_detail", id=id))


# --- platform staff ------------------------------------------------------------------------

class PlatformUserList(ListView):
    realm = "platform"
    title = _l("Platform staff")
    model = PlatformUser
    search_fields = [PlatformUser.email, PlatformUser.name]
    default_sort = "email"
    export_name = "platform-staff"
    create_endpoint = "platform.user_new"
    create_label = _l("New platform user")
    columns = [
        Column("email", _l("Email"), sort=PlatformUser.email),
        Column("name", _l("Name"), sort=PlatformUser.name),
        Column("active", _l("Status"), sort=PlatformUser.active,
               value=lambda u: _("Active") if u.active else _("Disabled"), badge=True),
        Column("last_login_at", _l("Last sign-in"), sort=PlatformUser.last_login_at, kind="datetime"),
        Column("created_at", _l("Added"), sort=PlatformUser.created_at, kind="datetime"),
    ]
    filters = [Filter("active", _l("Status"), lambda q, v: q.where(PlatformUser.active.is_(v == "1")),
                      choices=lambda: [("1", _("Active")), ("0", _("Disabled"))])]

    def _set(active):
        def run(ids, actor):
            users = db.session.scalars(select(PlatformUser).where(PlatformUser.id.in_(ids))).all()
            for user in users:
                services.set_platform_user_active(actor, user, active)
            return _("%(n)d accounts updated.", n=len(users))
        return run

    bulk_actions = [BulkAction("disable", _l("Disable"), _set(False), danger=True),
                    BulkAction("enable", _l("Enable"), _set(True))]


PlatformUserList.register(bp, "/users", "users")


class PlatformUserCreate(FormView):
    realm = "platform"
    form_class = forms.PlatformUserForm
    title = _l("New platform user")
    cancel_endpoint = "platform.users"

    def save(self, form, obj):
        return services.create_platform_user(current_user, form.email.data, form.name.data, form.password.data)

    def success_url(self, user):
        return url_for("platform.users")


PlatformUserCreate.register(bp, "/users/new", "user_new")


# --- supplier accounts ---------------------------------------------------------------------

class SupplierList(ListView):
    realm = "platform"
    title = _l("Supplier accounts")
    model = SupplierAccount
    search_fields = [SupplierAccount.email, SupplierAccount.name, SupplierAccount.company]
    default_sort = "email"
    export_name = "supplier-accounts"
    create_endpoint = "platform.supplier_new"
    create_label = _l("New supplier account")
    columns = [
        Column("email", _l("Email"), sort=SupplierAccount.email, link=detail_url("platform.supplier_detail")),
        Column("name", _l("Name"), sort=SupplierAccount.name),
        Column("company", _l("Company"), sort=SupplierAccount.company),
        Column("stores", _l("Stores"), value=lambda a: ", ".join(link.store.slug for link in a.links)),
        Column("last_login_at", _l("Last sign-in"), sort=SupplierAccount.last_login_at, kind="datetime"),
    ]

    def query(self):
        from sqlalchemy.orm import selectinload

        return select(SupplierAccount).options(selectinload(SupplierAccount.links))


SupplierList.register(bp, "/suppliers", "suppliers")


class SupplierCreate(FormView):
    realm = "platform"
    form_class = forms.SupplierAccountForm
    title = _l("New supplier account")
    cancel_endpoint = "platform.suppliers"

    def save(self, form, obj):
        return services.create_supplier_account(current_user, form.email.data, form.name.data, form.company.data,
                                                form.password.data)

    def success_url(self, account):
        return url_for("platform.supplier_detail", id=account.id)


SupplierCreate.register(bp, "/suppliers/new", "supplier_new")


@bp.route("/suppliers/<int:id>", methods=["GET", "POST"])
@platform_staff
def supplier_detail(id):
    account = db.get_or_404(SupplierAccount, id)
    form = forms.SupplierLinkForm()
    status = 200
    if form.validate_on_submit() and commit_form(form, lambda: services.link_supplier(
            current_user, account, form.store_slug.data, form.supplier_code.data)):
        flash(_("Linked."), "success")
        return redirect_to(url_for("platform.supplier_detail", id=id))
    if request.method == "POST":
        status = 422
    return render_template("platform/supplier_detail.html", account=account, form=form), status


# --- health, mail, audit -------------------------------------------------------------------

@bp.route("/health")
@platform_staff
def health():
    redis = get_redis()
    return render_template("platform/health.html", database=queries.database_status(),
                           redis=queries.redis_status(redis), workers=queries.worker_status(redis))


@bp.route("/mail")
@platform_staff
def mail():
    return render_template("platform/mail.html", messages=list_mail())


class PlatformAuditList(ListView):
    realm = "platform"
    title = _l("Platform audit log")
    model = PlatformAuditEntry
    template = "store/audit_list.html"
    search_fields = [PlatformAuditEntry.actor_name, PlatformAuditEntry.object_label, PlatformAuditEntry.action]
    default_sort = "-at"
    export_name = "platform-audit-log"
    per_page_choices = (50, 100, 200)
    columns = audit_columns(PlatformAuditEntry)


PlatformAuditList.register(bp, "/audit", "audit")

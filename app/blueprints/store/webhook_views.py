"""Webhook endpoints: list, create, edit, rotate the secret, ping, delivery log, re-send."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.store import bp, forms, webhooks
from app.blueprints.store.webhooks import WebhookDelivery, WebhookEndpoint
from app.core.formview import FormView, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView, detail_url
from app.core.outbox import TOPICS
from app.core.permissions import requires
from app.extensions import db


def topic_choices() -> list[tuple[str, str]]:
    from markupsafe import Markup

    return [(webhooks.ALL_TOPICS, _("Every topic"))] + [(t, Markup("{} <code>{}</code>").format(label, t))
                                                        for t, label in sorted(TOPICS.items())]


class WebhookList(ListView):
    permission = "store.webhooks"
    title = _l("Webhooks")
    model = WebhookEndpoint
    search_fields = [WebhookEndpoint.url, WebhookEndpoint.description]
    default_sort = "id"
    export_name = "webhooks"
    create_endpoint = "store.webhook_new"
    create_label = _l("New webhook")
    create_permission = "store.webhooks"
    columns = [
        Column("id", "#", sort=WebhookEndpoint.id),
        Column("url", _l("Receiver URL"), sort=WebhookEndpoint.url, link=detail_url("store.webhook_edit")),
        Column("topics", _l("Topics"), value=lambda e: "、".join(str(TOPICS.get(t, _("Every topic") if t == webhooks.ALL_TOPICS else t)) for t in e.topics)),
        Column("active", _l("Status"), sort=WebhookEndpoint.active,
               value=lambda e: _("Active") if e.active else _("Disabled"), badge=True),
        Column("consecutive_failures", _l("Failures in a row"), sort=WebhookEndpoint.consecutive_failures),
        Column("created_at", _l("Created"), sort=WebhookEndpoint.created_at, kind="datetime"),
    ]
    filters = [Filter("active", _l("Status"), lambda q, v: q.where(WebhookEndpoint.active.is_(v == "1")),
                      choices=lambda: [("1", _("Active")), ("0", _("Disabled"))])]


WebhookList.register(bp, "/webhooks", "webhooks")


class WebhookEdit(FormView):
    permission = "store.webhooks"
    form_class = forms.WebhookForm
    title = _l("Webhook")
    cancel_endpoint = "store.webhooks"
    template = "store/webhook_form.html"

    def get_object(self, id=None):
        return db.get_or_404(WebhookEndpoint, id) if id else None

    def make_form(self, obj):
        form = self.form_class(obj=obj)
        form.topics.choices = topic_choices()
        return form

    def save(self, form, obj):
        if obj is None:
            return webhooks.create_endpoint(current_user, form.url.data, form.description.data, form.topics.data)
        return webhooks.update_endpoint(current_user, obj, form.url.data, form.description.data, form.topics.data,
                                        form.active.data)

    def success_url(self, endpoint):
        return url_for("store.webhook_edit", id=endpoint.id)

    def extra_context(self, obj):
        deliveries = []
        if obj is not None:
            deliveries = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == obj.id)
                                            .order_by(WebhookDelivery.id.desc()).limit(50)).all()
        return {"deliveries": deliveries}


WebhookEdit.register(bp, "/webhooks/new", "webhook_new")
WebhookEdit.register(bp, "/webhooks/<int:id>", "webhook_edit")


def _endpoint(id: int) -> WebhookEndpoint:
    return db.get_or_404(WebhookEndpoint, id)


@bp.route("/webhooks/<int:id>/rotate", methods=["POST"])
@requires("store.webhooks")
def webhook_rotate(id):
    endpoint = _endpoint(id)
    perform(lambda: webhooks.rotate_secret(current_user, endpoint),
            _("New secret in force from the next delivery. Update your receiver."))
    return redirect_to(url_for("store.webhook_edit", id=id))


@bp.route("/webhooks/<int:id>/ping", methods=["POST"])
@requires("store.webhooks")
def webhook_ping(id):
    endpoint = _endpoint(id)
    perform(lambda: webhooks.send_ping(current_user, endpoint), _("Ping queued; its result appears below."))
    return redirect_to(url_for("store.webhook_edit", id=id))


@bp.route("/webhooks/<int:id>/delete", methods=["POST"])
@requires("store.webhooks")
def webhook_delete(id):
    endpoint = _endpoint(id)
    perform(lambda: webhooks.delete_endpoint(current_user, endpoint), _("Webhook deleted."))
    return redirect_to(url_for("store.webhooks"))


@bp.route("/webhooks/deliveries/<int:id>/resend", methods=["POST"])
@requires("store.webhooks")
def webhook_resend(id):
    delivery = db.get_or_404(WebhookDelivery, id)
    perform(lambda: webhooks.resend(current_user, delivery), _("Queued to send again."))
    return redirect_to(url_for("store.webhook_edit", id=delivery.endpoint_id))

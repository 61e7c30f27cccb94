"""Shopper pages of customer service under /shop/<slug>/service/: the shopper's threads with the
store (a general one and one per order), their tickets with the satisfaction rating, and the
files of their own threads. Every lookup is by the signed-in shopper's id: another shopper's
thread, ticket or file answers 404, exactly like a missing one."""
from __future__ import annotations

from flask import abort, flash, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.service import forms, queries, services, shop_bp
from app.blueprints.service.views import _files
from app.core.formview import commit, commit_form
from app.core.htmx import redirect_to
from app.core.permissions import _realm_only

shopper = _realm_only("shopper", "shopper")


@shop_bp.route("/")
@shopper
def hub(failed=None, status: int = 200):
    """The shopper's threads and tickets; `failed` is (ticket id, its rating form) when a rating was
    refused, so that row shows the form again with the shopper's input and the error under the field."""
    tickets = queries.shopper_tickets(current_user.id)
    return render_template("service/shop_hub.html", conversations=queries.shopper_conversations(current_user.id),
                           tickets=tickets, statuses=services.STATUS_LABELS,
                           rate_form=forms.RateForm(formdata=None), failed=failed), status


def _thread(order_number: str, status: int = 200, form=None):
    conversation = queries.shopper_conversation(current_user.id, order_number)
    return render_template("service/shop_thread.html", conversation=conversation, order_number=order_number,
                           messages=queries.messages(conversation.id) if conversation else [],
                           form=form or forms.MessageForm(formdata=None),
                           action=url_for("service_shop.order_thread", number=order_number) if order_number
                           else url_for("service_shop.general_thread")), status


def _send(order_number: str):
    form = forms.MessageForm()

    def send():
        conversation = services.conversation_for(current_user.id, order_number, current_user.name or "",
                                                 current_user.email)
        return services.post_message(conversation, "shopper", current_user, form.body.data, _files(form.files))

    if form.validate_on_submit() and commit_form(form, send):
        flash(_("Sent. We will answer here and by mail."), "success")
        return redirect_to(url_for("service_shop.order_thread", number=order_number) if order_number
                           else url_for("service_shop.general_thread"))
    return _thread(order_number, 422, form)


@shop_bp.route("/messages", methods=["GET", "POST"])
@shopper
def general_thread():
    from flask import request

    return _send("") if request.method == "POST" else _thread("")


@shop_bp.route("/orders/<number>", methods=["GET", "POST"])
@shopper
def order_thread(number):
    """The thread about one of the shopper's own orders (another's order is a 404)."""
    from flask import request

    from app.blueprints.orders import queries as orders

    if orders.shopper_order(current_user.id, number, timeline=False) is None:
        abort(404)
    return _send(number) if request.method == "POST" else _thread(number)


@shop_bp.route("/conversations/<int:id>/read", methods=["POST"])
@shopper
def conversation_read(id):
    """The shopper opened their thread (posted by the page once loaded)."""
    conversation = queries.conversation(id)
    if conversation is None or conversation.shopper_id != current_user.id:
        abort(404)
    commit(lambda: services.mark_read(conversation, "shopper"))
    return "", 204


@shop_bp.route("/tickets/<int:id>/rate", methods=["POST"])
@shopper
def rate(id):
    ticket = queries.shopper_ticket(current_user.id, id)
    if ticket is None:
        abort(404)
    form = forms.RateForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.rate_ticket(
            current_user.id, ticket, form.score.data, form.comment.data or "")):
        flash(_("Thank you for your rating."), "success")
        return redirect_to(url_for("service_shop.hub"))
    return hub(failed=(ticket.id, form), status=422)


@shop_bp.route("/attachments/<int:id>")
@shopper
def attachment(id):
    from app.core.storage import get_storage

    found = queries.shopper_attachment(current_user.id, id)
    storage = get_storage()
    if found is None or not storage.owns(found.key):
        abort(404)
    return send_file(storage.path(found.key), mimetype=found.content_type, download_name=found.filename,
                     as_attachment=found.content_type == "application/pdf", max_age=0)

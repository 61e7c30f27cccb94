"""Card pages: batches (list with the liability figure, new batch, a batch's cards with their
codes and PINs for export, activation, void) for staff; the shopper's points and cards, card
binding and the card pay page of the `card` gateway in the shop."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from app.blueprints.members import bp, card_gateway, cards, forms, queries, shop_bp
from app.blueprints.members.models import Card, CardBatch
from app.core.formview import FormView, commit, commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView
from app.core.permissions import _realm_only, requires
from app.extensions import db, limiter

shopper = _realm_only("shopper", "shopper")


class BatchList(ListView):
    permission = "members.view"
    title = _l("Cards")
    model = CardBatch
    template = "members/batch_list.html"
    default_sort = "-id"
    export_name = "card-batches"
    search_fields = [CardBatch.name]
    create_endpoint = "members.batch_new"
    create_label = _l("New card batch")
    create_permission = "members.cards"
    columns = [
        Column("name", _l("Batch"), sort=CardBatch.name, link=lambda b: url_for("members.batch", id=b.id)),
        Column("kind", _l("Kind"), value=lambda b: str(cards.KIND_LABELS[b.kind])),
        Column("face_value", _l("Face value"), sort=CardBatch.face_value, kind="money"),
        Column("quantity", _l("Cards"), sort=CardBatch.quantity, kind="number"),
        Column("expires_on", _l("Valid until"), value=lambda b: b.expires_on.isoformat() if b.expires_on else "—"),
        Column("created_at", _l("Made"), sort=CardBatch.created_at, kind="datetime"),
    ]
    filters = [Filter("kind", _l("Kind"), lambda q, v: q.where(CardBatch.kind == v),
                      choices=lambda: [(k, str(v)) for k, v in cards.KIND_LABELS.items()])]

    def context(self, page, state):
        return {**super().context(page, state), "liability": queries.card_liability()}


BatchList.register(bp, "/cards", "card_batches")


class BatchForm(FormView):
    permission = "members.cards"
    form_class = forms.CardBatchForm
    title = _l("New card batch")
    cancel_endpoint = "members.card_batches"

    def make_form(self, obj):
        form = forms.CardBatchForm()
        form.kind.choices = [(k, str(v)) for k, v in cards.KIND_LABELS.items()]
        return form

    def save(self, form, obj):
        return cards.create_batch(current_user, form.name.data, form.kind.data, form.face_value.data,
                                  form.quantity.data, form.expires_on.data)

    def success_url(self, result):
        return url_for("members.batch", id=result.id)

    def success_message(self, result):
        return _("%(n)d cards made; activate them when they are sold.", n=result.quantity)


BatchForm.register(bp, "/cards/new", "batch_new")


class BatchCards(ListView):
    """The cards of one batch; the export carries the codes and PINs for printing."""

    permission = "members.view"
    title = _l("Cards of the batch")
    model = Card
    template = "members/batch.html"
    default_sort = "id"
    export_name = "cards"
    search_fields = [Card.code]
    search_placeholder = _l("Card number")
    columns = [
        Column("id", _l("No."), sort=Card.id, kind="number"),
        Column("code", _l("Card number"), sort=Card.code),
        Column("status", _l("Status"), sort=Card.status, badge=True, value=lambda c: str(cards.STATUS_LABELS[c.status])),
        Column("balance", _l("Balance"), sort=Card.balance, kind="money"),
        Column("member_id", _l("Bound to"), value=lambda c: _("a member") if c.member_id else "—",
               link=lambda c: url_for("members.member", id=c.member_id) if c.member_id else None),
        Column("activated_at", _l("Activated"), kind="datetime"),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(Card.status == v),
                      choices=lambda: [(k, str(v)) for k, v in cards.STATUS_LABELS.items()])]

    def dispatch_request(self, **kwargs):
        self.batch = db.get_or_404(CardBatch, kwargs["id"])
        return super().dispatch_request(**kwargs)

    def query(self):
        return select(Card).where(Card.batch_id == self.batch.id)

    def export_columns(self, variant):
        return [*super().export_columns(variant), Column("pin", _l("PIN"), value=cards.pin_of)]

    def context(self, page, state):
        totals = db.session.execute(select(Card.status, func.count(), func.coalesce(func.sum(Card.balance), 0))
                                    .where(Card.batch_id == self.batch.id).group_by(Card.status)).all()
        return {**super().context(page, state), "batch": self.batch, "totals": totals,
                "kinds": cards.KIND_LABELS, "statuses": cards.STATUS_LABELS}


BatchCards.register(bp, "/cards/<int:id>", "batch")


@bp.route("/cards/<int:id>/activate", methods=["POST"])
@requires("members.cards")
def batch_activate(id):
    batch = db.get_or_404(CardBatch, id)
    perform(lambda: cards.activate_batch(current_user, batch), lambda n: _("%(n)d cards activated.", n=n))
    return redirect_to(url_for("members.batch", id=id))


@bp.route("/cards/card/<int:id>/<action>", methods=["POST"])
@requires("members.cards")
def card_action(id, action):
    card = db.session.get(Card, id)
    if card is None or action not in ("activate", "void"):
        abort(404)
    if action == "activate":
        perform(lambda: cards.activate_card(current_user, card), _("Card activated."))
    else:
        perform(lambda: cards.void_card(current_user, card, request.form.get("reason", "")), _("Card voided."))
    return redirect_to(url_for("members.batch", id=card.batch_id))


# --- the shop -------------------------------------------------------------------------------------

@shop_bp.route("/account/points")
@shopper
def my_points():
    from app.blueprints.members.loyalty import POINTS_KINDS

    return render_template("shop/my_points.html", balance=queries.points_balance(current_user.id),
                           rule=queries.points_rule(), entries=queries.points_history(current_user.id),
                           kinds=POINTS_KINDS, pricing=queries.member_pricing(current_user.id))


@shop_bp.route("/account/cards", methods=["GET", "POST"])
@shopper
@limiter.limit("10 per minute", methods=["POST"], override_defaults=False)
def my_cards():
    form = forms.BindCardForm()
    if form.validate_on_submit() and commit_form(form, lambda: cards.bind_card(
            current_user._get_current_object(), form.code.data, form.pin.data)):
        flash(_("The card is on your account."), "success")
        return redirect(url_for("members_shop.my_cards"), code=303)
    return render_template("shop/my_cards.html", form=form, cards=queries.cards_of(current_user.id),
                           statuses=cards.STATUS_LABELS, kinds=cards.KIND_LABELS,
                           masked=cards.masked), 422 if request.method == "POST" else 200


@shop_bp.route("/cards/pay/<number>", methods=["GET", "POST"])
@shopper
def card_pay(number):
    """The card gateway's pay page: the shopper's own payment only; choosing a card pays at once."""
    from app.blueprints.payments import queries as payment_queries

    payment = payment_queries.payment_to_pay(number, card_gateway.NAME, current_user.id)
    if payment is None:
        abort(404)
    if payment.status not in ("created", "pending"):   # paid already (a second click), or given up
        return redirect(url_for("storefront.my_order", number=payment.order_number, paying=1), code=303)
    usable = cards.usable_cards(current_user.id, payment.amount)
    if request.method == "POST":
        from app.blueprints.payments import services as payments

        try:
            card_id = int(request.form.get("card_id", ""))
        except ValueError:
            card_id = 0

        def pay():
            entry = cards.pay(current_user.id, card_id, payment.number, payment.amount)
            outcome = payments.apply_payment_notice(card_gateway.notice_of_payment(entry, payment), card_gateway.NAME)
            if outcome not in ("applied", "duplicate"):    # the card is debited only if the payment succeeds
                raise cards.CardRefused(_("This payment cannot be taken any more."))
            return outcome

        done = commit(pay)
        if done:
            return redirect(url_for("storefront.my_order", number=payment.order_number, paying=1), code=303)
        flash(done.error.message, "error")
    return render_template("shop/card_pay.html", payment=payment, cards=usable, masked=cards.masked), \
        422 if request.method == "POST" else 200

"""Where gateways talk to us (notification endpoint), the shopper's pay step, and the sandbox
gateway's hosted pay page."""
from __future__ import annotations

import urllib.parse

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.blueprints.orders import queries as order_queries
from app.blueprints.payments import accounts, gateway_bp, notify_bp, services
from app.blueprints.payments.gateways import registry, sandbox
from app.blueprints.payments.models import Payment
from app.core.permissions import public
from app.core.tenancy import current_store
from app.core.formview import committed
from app.extensions import csrf, db


@notify_bp.route("/notify/<gateway>", methods=["POST"])
@public
@csrf.exempt
def notify(gateway):
    """Gateways post here. The answer (Alipay's plain `success`, a 2xx for Stripe) is sent only
    after the commit; anything else makes the gateway try again later."""
    cls = registry().get(gateway)
    if cls is None:
        abort(404)
    headers = {k: v for k, v in request.headers.items()
               if k in ("User-Agent", "Stripe-Signature", "Content-Type") or k.lower().startswith("wechatpay-")}
    form = request.form.to_dict()
    # a form body was consumed by form parsing; keep it in the order received
    body = request.get_data() or urllib.parse.urlencode(list(request.form.items(multi=True))).encode()
    _outcome, ok = committed(lambda: services.handle_notification(gateway, body, form, headers))
    return cls.ack_ok if ok else cls.ack_fail


def wechat_mode(user_agent: str) -> str:
    """How WeChat Pay is offered to this browser: JSAPI inside WeChat, H5 in other mobile
    browsers, a Native QR code on a desktop."""
    agent = user_agent or ""
    if "MicroMessenger" in agent:
        return "jsapi"
    return "h5" if any(k in agent for k in ("Mobile", "Android", "iPhone")) else "native"


def begin(order, gateway: str, method: str = "", return_url: str | None = None):
    """A new attempt for the order and the gateway's checkout for it: (payment, Checkout).
    The attempt is committed first so a gateway error leaves it pending, never lost.
    `method` picks a gateway's way of paying (WeChat Pay: native, h5 or jsapi)."""
    payment = committed(lambda: services.start_payment(order, gateway, method))
    slug = current_store().slug
    return_url = return_url or url_for("storefront.my_order", slug=slug, number=order.number, _external=True)
    notify_url = url_for("payment_notify.notify", slug=slug, gateway=gateway, _external=True)
    result = committed(lambda: accounts.gateway(gateway).checkout(payment, order, return_url, notify_url))
    return payment, result      # (Stripe's intent id is kept on the payment)


def pay_order(order, gateway: str, return_url: str | None = None):
    """The shopper's "pay" button: send the payer on to the gateway (a redirect, or our page
    carrying the gateway's card form). A guest's order comes back to its own page (`return_url`)."""
    method = wechat_mode(request.headers.get("User-Agent", "")) if gateway == "wechat" else ""
    payment, result = begin(order, gateway, method, return_url)
    if result.redirect_url:
        return redirect(result.redirect_url, code=303)
    return render_template(result.template, payment=payment, order=order, **result.context)


@notify_bp.route("/wechat/openid")
@public
def wechat_openid():
    """Back from WeChat's OAuth page inside WeChat (JSAPI): the code gives the payer's openid,
    with which the JSAPI order is made; the page then opens WeChat's own pay sheet."""
    from app.blueprints.payments.gateways import GatewayError

    p = db.session.scalar(select(Payment).where(Payment.number == request.args.get("state", ""),
                                                Payment.gateway == "wechat", Payment.method == "jsapi"))
    if p is None or not request.args.get("code"):
        abort(404)
    order = order_queries.order_ref(p.order_id)
    slug = current_store().slug
    back = url_for("storefront.my_order", slug=slug, number=order.number)
    if p.status not in ("created", "pending"):
        return redirect(back, code=303)
    gateway = accounts.gateway("wechat")
    try:
        openid = gateway.openid(request.args["code"])
        params = committed(lambda: gateway.jsapi(p, order, openid, url_for(
            "payment_notify.notify", slug=slug, gateway="wechat", _external=True)))
    except GatewayError:
        flash(_("The payment service did not answer. Please try again in a moment."), "error")
        return redirect(back, code=303)
    return render_template("payments/wechat_jsapi.html", payment=p, order=order, params=params, return_url=back)


# --- the sandbox gateway ----------------------------------------------------------------------

@gateway_bp.route("/pay/<number>", methods=["GET", "POST"])
@public
def sandbox_pay(number):
    """The hosted pay page: the payer chooses success, failure or abandonment. The gateway books
    the trade on its side and notifies the shop asynchronously, retrying until it hears `success`."""
    p = db.session.scalar(select(Payment).where(Payment.number == number, Payment.gateway == "sandbox"))
    if p is None or not current_app.config["SANDBOX_GATEWAY"]:
        abort(404)
    order = order_queries.order_ref(p.order_id)
    if request.method == "POST":
        choice = request.form.get("choice")
        if choice in ("success", "failure"):
            committed(lambda: sandbox.payer_chose(p, choice == "success"))
        # back to the shopper's order page (a guest's order: its own page)
        page = "storefront.my_order" if order.shopper_id else "storefront.guest_order"
        return redirect(url_for(page, number=order.number, paying=1 if choice == "success" else None), code=303)
    return render_template("payments/sandbox_pay.html", payment=p, order=order)

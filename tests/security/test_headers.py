"""Security headers on every response, a Content-Security-Policy the pages work under
(checked in Chromium), and no inline script, style or event handler left in a template."""
import re
from pathlib import Path

from flask import Flask

from app.core.headers import init_security_headers

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def _check(response):
    h = response.headers
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_every_kind_of_response_carries_the_headers(app, owner, store):
    for response in (owner.get(f"/store/{store.slug}/"),                 # a page
                     owner.get(f"/store/{store.slug}/staff", headers={"HX-Request": "true"}),   # a fragment
                     owner.get(f"/store/{store.slug}/staff?export=csv"),  # a download
                     app.test_client().get("/healthz"),                   # JSON
                     app.test_client().get(f"/api/v1/shop/{store.slug}/products"),
                     app.test_client().get("/static/css/houtai.css"),     # a static file
                     app.test_client().get("/no/such/page"),              # an error page
                     app.test_client().get(f"/store/{store.slug}/login")):
        _check(response)
    assert "Strict-Transport-Security" not in owner.get(f"/store/{store.slug}/").headers   # plain http here


def test_hsts_is_sent_when_cookies_are_secure():
    for secure, expected in ((True, True), (False, False)):
        tiny = Flask(__name__)
        tiny.config["SESSION_COOKIE_SECURE"] = secure
        tiny.add_url_rule("/", "home", lambda: "ok")
        init_security_headers(tiny)
        headers = tiny.test_client().get("/").headers
        assert ("max-age=31536000" in headers.get("Strict-Transport-Security", "")) is expected


def test_templates_hold_no_inline_script_style_or_handler():
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style", r"\sstyle=\"", r"\son[a-z]+=\"", r"javascript:"):
            found += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert found == []


def test_the_pay_form_may_lead_to_wechat_pays_cashier_and_oauth_page():
    """The WeChat pay button answers with a redirect to the H5 cashier (or, inside WeChat, the
    OAuth page); Chromium holds a form's redirects to form-action, so both must be listed (the
    phone journey in tests/browser/test_mobile_journey.py was stopped there before)."""
    from app.core.headers import content_security_policy

    config = {"WECHATPAY_BASE_URL": "http://127.0.0.1:9999/", "ALIPAY_GATEWAY_URL": ""}
    form_action = _form_action(content_security_policy(config, pay_page=True))
    assert {"'self'", "https://wx.tenpay.com", "https://open.weixin.qq.com", "http://127.0.0.1:9999"} <= set(form_action)
    assert "https://api.mch.weixin.qq.com" not in form_action     # the API itself is never a form's target
    assert _form_action(content_security_policy(config)) == ["'self'"]


def _form_action(csp: str) -> list[str]:
    return next(d for d in csp.split("; ") if d.startswith("form-action ")).split()[1:]


def test_only_the_pages_holding_the_pay_form_may_post_on_to_the_gateways(app, owner, store):
    """A form injected into any other page (an admin page, the shop's account page) can post to
    this site only; the shopper's and the guest's order pages, whose pay button is redirected to
    WeChat Pay's H5 cashier or Alipay, list those origins."""
    from tests.payments.test_sandbox import shopper_order
    from tests.storefront.test_guest_checkout import _allow_guests

    wechat = app.config["WECHATPAY_BASE_URL"].rstrip("/")
    assert wechat
    shopper, order_url = shopper_order(app, store, 100, f"csp@{store.slug}.cn")
    for response in (owner.get(f"/store/{store.slug}/"), owner.get(f"/store/{store.slug}/payments/"),
                     owner.get(f"/store/{store.slug}/staff", headers={"HX-Request": "true"}),
                     shopper.get(f"/shop/{store.slug}/account"), shopper.get(f"/shop/{store.slug}/checkout"),
                     app.test_client().get(f"/shop/{store.slug}/orders/find"),
                     app.test_client().get(f"/api/v1/shop/{store.slug}/products")):
        assert response.status_code == 200, response.request.path
        csp = response.headers["Content-Security-Policy"]
        assert _form_action(csp) == ["'self'"], response.request.path
        assert wechat not in csp and "wx.tenpay.com" not in csp and "weixin" not in csp, response.request.path
    _allow_guests(owner, store)
    guest_number = shopper.post(f"/api/v1/shop/{store.slug}/guest/checkout", json={
        "items": [{"sku_id": _sku_of(app, store, order_url), "quantity": 1}],
        "address": {"name": "游客", "phone": "13700000001", "region_code": "310101", "street": "南京路 2 号"}}
    ).get_json()["number"]
    guest = app.test_client()
    assert guest.form(f"/shop/{store.slug}/orders/find", {"number": guest_number, "phone": "13700000001"}
                      ).status_code == 303
    for response in (shopper.get(order_url), guest.get(f"/shop/{store.slug}/orders/guest/{guest_number}")):
        assert response.status_code == 200, response.request.path
        form_action = _form_action(response.headers["Content-Security-Policy"])
        assert {"'self'", wechat, "https://wx.tenpay.com", "https://open.weixin.qq.com"} <= set(form_action)


def _sku_of(app, store, order_url: str) -> int:
    from sqlalchemy import select

    from app.blueprints.orders.models import Order, OrderLine
    from app.extensions import db
    from tests.catalog.test_pages import _get

    number = order_url.rsplit("/", 1)[1]
    return _get(app, store, lambda: db.session.scalar(
        select(OrderLine.sku_id).join(Order, Order.id == OrderLine.order_id).where(Order.number == number)))

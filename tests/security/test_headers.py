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

    csp = content_security_policy({"WECHATPAY_BASE_URL": "http://127.0.0.1:9999/", "ALIPAY_GATEWAY_URL": ""})
    form_action = next(d for d in csp.split("; ") if d.startswith("form-action ")).split()[1:]
    assert {"'self'", "https://wx.tenpay.com", "https://open.weixin.qq.com", "http://127.0.0.1:9999"} <= set(form_action)
    assert "https://api.mch.weixin.qq.com" not in form_action     # the API itself is never a form's target

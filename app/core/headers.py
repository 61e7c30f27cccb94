"""Security headers on every response (pages, fragments, JSON, static files).

A small after-request hook rather than flask-talisman: the headers are a handful of fixed
strings, while talisman's main features would all have to be switched off here (TLS ends at
the proxy, so no HTTPS redirect; our Redis session interface sets its own cookie flags; no
page has inline script left, so no nonces are needed).

The Content-Security-Policy allows scripts and styles from this site only (htmx and our own
js/css are served from /static; templates carry no inline script, style or event handler),
plus what Stripe's payment page needs (js.stripe.com, its iframes and API). Forms post to this
site only (`form-action 'self'`), except on the pages that hold the pay form (views marked
`@leads_to_gateways`): there the form may also lead to the Alipay gateway, and WeChat Pay's H5
cashier and WeChat's OAuth page (the pay button answers with a redirect there, and Chromium
holds a form's redirects to form-action)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

STRIPE_JS = "https://js.stripe.com"
STRIPE = ("https://js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = "https://api.stripe.com"


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def leads_to_gateways(view):
    """Marks a view whose page holds the pay form: its Content-Security-Policy lets the form
    lead on to the payment gateways' pages. Every other page's forms post to this site only."""
    view.leads_to_gateways = True
    return view


def _gateway_origins(config) -> list[str]:
    """Where a pay form may be redirected: Alipay's gateway, WeChat Pay's H5 cashier and WeChat's
    OAuth page (or the addresses configured in their place)."""
    from app.blueprints.payments.gateways.alipay import PRODUCTION, SANDBOX
    from app.blueprints.payments.gateways.wechat import H5_CASHIER, OPEN

    return sorted({o for o in (_origin(PRODUCTION), _origin(SANDBOX), _origin(config.get("ALIPAY_GATEWAY_URL")),
                               _origin(H5_CASHIER), _origin(OPEN), _origin(config.get("WECHATPAY_BASE_URL")),
                               _origin(config.get("WECHAT_OPEN_BASE_URL"))) if o})


def content_security_policy(config, pay_page: bool = False) -> str:
    """The policy of every response; `pay_page` for the pages that hold the pay form."""
    gateways = _gateway_origins(config) if pay_page else []
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", STRIPE_JS],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", STRIPE_API],
        "frame-src": list(STRIPE),
        "form-action": ["'self'", *gateways],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_security_headers(app) -> None:
    csp = content_security_policy(app.config)
    pay_csp = content_security_policy(app.config, pay_page=True)
    hsts = "max-age=31536000; includeSubDomains" if app.config.get("SESSION_COOKIE_SECURE") else None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        headers.setdefault("Content-Security-Policy", pay_csp if getattr(view, "leads_to_gateways", False) else csp)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if hsts:
            headers.setdefault("Strict-Transport-Security", hsts)
        return response

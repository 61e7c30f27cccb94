"""What crawlers read at the root host (the platform's own domain): /robots.txt, which lets them
read the shops and nothing else (no back office, portal, API, carts, checkouts or accounts), and
/sitemap.xml, a sitemap index naming each active shop's own sitemap. A shop's
/shop/<slug>/robots.txt and sitemap.xml serve a store behind its own domain."""
from __future__ import annotations

from flask import Blueprint, make_response, render_template, url_for

from app.blueprints.platform import queries as platform
from app.core.permissions import public

root_bp = Blueprint("shop_root", __name__)

CLOSED = ("/platform/", "/store/", "/supplier/", "/api/", "/pay/", "/locale")   # the back office and machinery
SHOP_PRIVATE = ("cart", "checkout", "account", "orders", "login", "register", "service/", "aftersales/", "locale")


def _text(lines: list[str]):
    response = make_response("\n".join(lines))
    response.mimetype = "text/plain"
    return response


@root_bp.route("/robots.txt")
@public
def robots():
    lines = ["User-agent: *", "Allow: /shop/"] + [f"Disallow: {path}" for path in CLOSED] + \
        [f"Disallow: /shop/*/{path}" for path in SHOP_PRIVATE] + \
        ["", f"Sitemap: {url_for('shop_root.sitemap_index', _external=True)}", ""]
    return _text(lines)


@root_bp.route("/sitemap.xml")
@public
def sitemap_index():
    """Each active shop's sitemap (a suspended or deleted store's is not listed): one query."""
    body = render_template("shop/sitemap_index.xml", slugs=[s.slug for s in platform.active_stores()])
    response = make_response(body)
    response.mimetype = "application/xml"
    return response

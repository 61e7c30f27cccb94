"""In Chromium: the admin, shop, sandbox payment and Stripe pages work under the
Content-Security-Policy (no violation reported); the header checks live in tests/security."""
import re
import time

import pytest

from tests.conftest import PASSWORD
from tests.browser.conftest import TIMEOUT_MS, fill_address

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' + document.location.pathname);
});
"""

FAKE_STRIPE_JS = """
window.Stripe = function () {
  return {elements: function () { return {create: function () { return {mount: function (el) {
    var frame = document.createElement('div'); frame.id = 'stripe-mounted';
    document.querySelector(el).appendChild(frame);
  }}; }}; }, confirmPayment: function () { return Promise.resolve({}); }};
};
"""


def _watched(browser, locale="en-US"):
    context = browser.new_context(locale=locale)
    context.add_init_script(RECORD_VIOLATIONS)
    # Stripe.js is an outside server: serve a stand-in from its real address, so the policy is what is tested
    context.route("https://js.stripe.com/**", lambda route: route.fulfill(
        status=200, body=FAKE_STRIPE_JS, content_type="application/javascript"))
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("dialog", lambda d: d.accept())
    in_flight = page.in_flight = set()         # what _settle waits for
    page.on("request", lambda r: in_flight.add(r))
    page.on("requestfinished", lambda r: in_flight.discard(r))
    page.on("requestfailed", lambda r: in_flight.discard(r))
    return page, console


def _violations(page, console) -> list[str]:
    return page.evaluate("window.__csp") + console


HTMX_IDLE = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def _settle(page) -> None:
    """Wait until the loaded page has no request in flight and htmx is not between a request and
    its settled swap (a fragment that loads itself, and what it loads in turn). This is what
    wait_for_load_state("networkidle") waited for, without its fixed half second of quiet on
    each of the hundred-odd pages: a violation is reported while its resource or fragment is
    handled, so once both are done every one is in."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        while page.in_flight:
            assert time.monotonic() < deadline, f"requests still in flight: {[r.url for r in page.in_flight]}"
            page.wait_for_timeout(10)           # lets Playwright deliver the requests' events
        page.wait_for_function(HTMX_IDLE)
        if not page.in_flight:                  # a swap may have started another request
            return


def _visit(page, console, url, seen: dict):
    response = page.goto(url)
    assert response.status < 500, url
    _settle(page)
    seen[url] = _violations(page, console)
    console.clear()


def test_admin_pages_work_under_the_policy(app, live_server, browser, store):
    from tests.browser.conftest import sign_in_owner
    from tests.orders.test_orders import _place, _shop

    (sku,), _wh = _shop(app, store, price=990)
    order_id = _place(app, store, [(sku, 1)])
    page, console = _watched(browser)
    base = sign_in_owner(page, live_server, store)
    seen = {}
    urls = [f"{base}/orders/{order_id}"]
    for rule in app.url_map.iter_rules():
        if (rule.rule.startswith("/store/<slug>/") and "GET" in rule.methods and not set(rule.arguments) - {"slug"}
                and not rule.rule.endswith(("/login", "/logout", "/export", "/format.csv"))
                and "password" not in rule.rule):
            urls.append(live_server + rule.rule.replace("<slug>", store.slug))
    for url in urls:
        _visit(page, console, url, seen)
    assert len(seen) > 25
    assert {u: v for u, v in seen.items() if v} == {}
    # the behaviour moved out of inline handlers still works: a confirmed post, select-all
    page.goto(f"{base}/staff")
    boxes = page.locator("input[name=ids]")
    if page.locator("[data-select-all]").count():
        page.check("[data-select-all]")
        assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    assert _violations(page, console) == []


def test_shop_and_payment_pages_work_under_the_policy(app, live_server, browser, store, fake_gateways):
    from app.blueprints.catalog.models import Sku
    from app.extensions import db
    from tests.catalog.test_pages import _get
    from tests.orders.test_orders import _shop
    from tests.payments.test_stripe import _stripe_store

    _alipay, stripe_fake = fake_gateways
    _stripe_store(app, store, stripe_fake)
    (sku,), _wh = _shop(app, store, stock=3, price=6600)
    product = _get(app, store, lambda: db.session.get(Sku, sku).product_id)
    shop = f"{live_server}/shop/{store.slug}"
    page, console = _watched(browser, locale="zh-CN")
    seen = {}
    for url in (shop + "/", f"{shop}/p/{product}", f"{shop}/login", f"{shop}/register"):
        _visit(page, console, url, seen)
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", f"csp@{store.slug}.cn")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=name]", "顾客")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{shop}/account")
    fill_address(page, "顾客", "13900000001", "文三路 90 号", ("330000", "330100", "330106"))
    page.goto(f"{shop}/p/{product}")
    page.click("#buy-form button[type=submit]")
    page.wait_for_url(f"{shop}/cart")
    _visit(page, console, f"{shop}/checkout", seen)
    page.click("#checkout-form button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    order_page = page.url
    seen[order_page] = _violations(page, console)
    page.click("button[name=gateway][value=sandbox]")
    page.wait_for_url(re.compile(r"/sandbox/.+/pay/"))
    seen["sandbox pay page"] = _violations(page, console)
    page.goto(order_page)
    page.click("button[name=gateway][value=stripe]")
    page.wait_for_selector("#stripe-mounted", state="attached")      # our script ran and mounted Stripe's element
    seen["stripe pay page"] = _violations(page, console)
    assert {u: v for u, v in seen.items() if v} == {}

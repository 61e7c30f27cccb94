"""A live server in a thread and Debian's Chromium driven by Playwright."""
import os
import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import WAIT_LIMIT

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Every page action, navigation and expect(...) waits up to WAIT_LIMIT (tests/conftest.py): each
# returns as soon as its condition holds, and 15 s failed on a loaded CI machine.
TIMEOUT_MS = int(WAIT_LIMIT * 1000)
expect.set_options(timeout=TIMEOUT_MS)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield _Browser(browser)
        browser.close()


class _Browser:
    """The session's Chromium, whose every new context waits TIMEOUT_MS by default (a test
    that opens its own context gets the same limit without setting it)."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture()
def page(browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def sign_in_owner(page, live_server, store) -> str:
    """Sign the store's owner in on `page`; returns the store's base URL."""
    from tests.conftest import PASSWORD

    base = f"{live_server}/store/{store.slug}"
    page.goto(f"{base}/login")
    page.fill("input[name=email]", store.owner_email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{base}/")
    return base


def sign_in_shopper(page, shop: str, email: str) -> None:
    """Sign a shopper in on `page` at `shop` (its /shop/<slug> URL). It returns once the page the
    form leads to has loaded: a goto right after the click could cancel the sign-in's navigation
    before its cookie is set, and the next page would be the sign-in form again."""
    from tests.conftest import PASSWORD

    page.goto(f"{shop}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def fill_address(page, name: str, phone: str, street: str, region=("330000", "330100", "330106")) -> None:
    """Fill the shop's address form as a shopper does: each region select waits for htmx to
    bring the next level's choices."""
    page.fill("#address-form input[name=name]", name)
    page.fill("#address-form input[name=phone]", phone)
    for select, code in zip(("province", "city", "district"), region):
        page.locator(f'#address-form select[name={select}] option[value="{code}"]').wait_for(state="attached")
        page.select_option(f"#address-form select[name={select}]", code)
    # the last change re-renders the picker too: wait for the server's copy with the choice kept
    last = ("province", "city", "district")[len(region) - 1]
    page.locator(f'#address-form select[name={last}] option[value="{region[-1]}"][selected]').wait_for(state="attached")
    page.fill("#address-form input[name=street]", street)
    page.click("#address-form button[type=submit]:not([name=refresh])")

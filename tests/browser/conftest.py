"""A live server in a thread and Debian's Chromium driven by Playwright."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
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
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
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

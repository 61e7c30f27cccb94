"""In Chromium at 390 x 844, in a store that ships abroad: the shopper picks another country in
the address form, the region cascade gives way to free-form city and state fields (htmx swaps the
picker), a phone that is not valid there is said under the field, the corrected address is saved;
picking the mainland again brings the cascade back. axe finds no critical or serious violation on
the form either way, and nothing scrolls sideways."""
import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.test_accessibility import _violations
from tests.browser.conftest import sign_in_shopper

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_shopper_abroad_swaps_the_cascade_for_free_form_fields_and_saves_the_address(app, live_server, browser,
                                                                                     store):
    from axe_playwright_python.sync_playwright import Axe
    from sqlalchemy import select

    from app.blueprints.logistics import accounts
    from app.blueprints.members.models import Address

    with f.bound(store, request=True):
        accounts.save_settings(None, 72, None, ships_abroad=True)
    member = f.member(store, name="Jane")
    context = browser.new_context(locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    shop, axe, found = f"{live_server}/shop/{store.slug}", Axe(), []
    try:
        sign_in_shopper(page, shop, member.email)
        page.goto(f"{shop}/account")
        form = page.locator("#address-form")
        assert form.locator("select[name=country]").input_value() == "CN"
        assert form.locator("select[name=province]").is_visible()
        found.extend(_violations(axe, page, "address form (mainland)"))

        form.locator("select[name=country]").select_option("GB")
        form.locator("input[name=town]").wait_for()
        assert form.locator("select[name=province]").count() == 0 and form.locator("input[name=state]").is_visible()
        form.locator("input[name=name]").fill("Jane Doe")
        form.locator("input[name=phone]").fill("12345")
        form.locator("input[name=town]").fill("London")
        form.locator("input[name=street]").fill("10 Downing St")
        form.locator("input[name=postcode]").fill("SW1A 2AA")
        form.locator("button[type=submit]:not([name=refresh])").click()
        page.locator("#field-phone .error").wait_for()
        assert "United Kingdom" in page.inner_text("#field-phone .error")
        assert page.locator("#address-form input[name=town]").input_value() == "London"      # kept
        found.extend(_violations(axe, page, "address form (abroad, an error)"))
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

        page.locator("#address-form input[name=phone]").fill("020 7946 0018")
        page.locator("#address-form button[type=submit]:not([name=refresh])").click()
        # the page is already at /account before the save: wait for the saved address itself
        expect(page.locator("#addresses")).to_contain_text("London, United Kingdom")
        assert page.url.startswith(f"{shop}/account")
        saved = f.read(store, lambda: [(a.country, a.phone, a.city) for a in f.db_session().scalars(select(Address))])
        assert saved == [("GB", "+442079460018", "London")]

        # back to the mainland: the cascade returns
        page.locator("#address-form select[name=country]").select_option("CN")
        page.locator("#address-form select[name=province]").wait_for()
        assert page.locator("#address-form input[name=town]").count() == 0
        assert found == []
    except Exception:
        page.screenshot(path="/tmp/mobile_shots/abroad-fail.png", full_page=True)
        raise
    finally:
        context.close()

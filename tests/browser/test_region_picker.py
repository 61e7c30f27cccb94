"""In Chromium: the shop's province -> city -> district picker keeps up with a quick shopper.

CI found the picker losing a choice: htmx processed the re-rendered selects only after its
settle delay, so a city picked within those milliseconds of the cities appearing fired no
request and the districts never came."""
import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_city_picked_the_moment_the_cities_arrive_still_brings_its_districts(live_server, page, store):
    shop = f"{live_server}/shop/{store.slug}"
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", f"quick@{store.slug}.cn")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=name]", "顾客")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{shop}/account")
    # as soon as the picker is swapped in (before any timer htmx may have set runs), choose 杭州市
    page.evaluate("""() => document.body.addEventListener('htmx:afterSwap', () => setTimeout(() => {
        const city = document.querySelector('#address-form select[name=city]');
        if (city && city.querySelector('option[value="330100"]') && !city.value) {
            city.value = '330100';
            city.dispatchEvent(new Event('change', {bubbles: true}));
        }
    }, 0))""")
    page.select_option("#address-form select[name=province]", "330000")
    page.locator('#address-form select[name=district] option[value="330106"]').wait_for(state="attached")
    assert page.locator("#address-form select[name=city]").input_value() == "330100"

"""In Chromium at tablet width (1024 x 768): the back office stays usable. A wide list scrolls
sideways inside its own card while the page itself does not, and the sidebar folds away
behind a menu button that works from the keyboard."""
import re

import pytest

from tests import factories as f
from tests.browser.conftest import sign_in_owner

pytestmark = pytest.mark.browser

TABLET = {"width": 1024, "height": 768}


def _page_scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_at_1024px_lists_scroll_inside_their_card_and_the_sidebar_folds_behind_a_keyboard_button(
        app, live_server, browser, store):
    # dotted model numbers do not wrap: a product list with them is wider than a tablet
    category = f.category(store, name="DISPLAYS.MONITORS.PROFESSIONAL.2026")
    for i in range(3):
        f.product(store, title=f"ZX900{i}.PRO.MAX.ULTRAWIDE.4K.HDR.MONITOR.34IN.CURVED.MATTE.BLACK",
                  category_obj=category, tags=f"OFFICE.GAMING.BUNDLE.{i}")
    context = browser.new_context(locale="en-US", viewport=TABLET)
    page = context.new_page()
    try:
        base = sign_in_owner(page, live_server, store)
        page.goto(f"{base}/catalog/products")
        page.wait_for_selector("table.list tbody tr td")

        # the sidebar is folded: the list gets the whole width, a menu button stands in for it
        sidebar, toggle = page.locator("nav.sidebar"), page.locator("button.nav-toggle")
        assert not sidebar.is_visible()
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert toggle.get_attribute("aria-controls") == sidebar.get_attribute("id")

        # the product list is wider than the screen: it scrolls inside its card, not the page
        scroller = page.locator("#list-results .table-scroll")
        assert page.evaluate("el => el.scrollWidth > el.clientWidth", scroller.element_handle())
        assert not _page_scrolls_sideways(page)
        card = scroller.bounding_box()
        assert card["x"] >= 0 and card["x"] + card["width"] <= TABLET["width"]
        scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        assert scroller.evaluate("el => el.scrollLeft") > 0

        # keyboard only: Tab reaches the menu button, Enter opens the sidebar with the focus on its first link
        page.locator("body").focus()
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('nav-toggle')"):
                break
        assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
        page.keyboard.press("Enter")
        assert sidebar.is_visible() and toggle.get_attribute("aria-expanded") == "true"
        assert page.evaluate("document.activeElement.closest('nav.sidebar') !== null")  # focus moved into it
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('nav.sidebar') !== null")
        assert sidebar.locator("a[data-menu='orders.orders']").is_visible()
        # Escape folds it again and gives the focus back to the button
        page.keyboard.press("Escape")
        assert not sidebar.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
        # Space opens it too (a real button), and a link in it still works
        page.keyboard.press("Space")
        assert sidebar.is_visible()
        sidebar.locator("a[data-menu='orders.orders']").click()
        page.wait_for_url(f"{base}/orders/")
        assert not page.locator("nav.sidebar").is_visible()
        assert not _page_scrolls_sideways(page)

        # on a desktop screen nothing is folded
        page.set_viewport_size({"width": 1440, "height": 900})
        assert page.locator("nav.sidebar").is_visible() and not page.locator("button.nav-toggle").is_visible()
    finally:
        context.close()

"""In Chromium, per language: a Chinese merchant and a Chinese shopper switch to English and
back; each page says its language in <html lang> and uses the glossary's words."""
import pytest

from tests import factories as f
from tests.browser.conftest import sign_in_owner
from tests.i18n.glossary import on_page

pytestmark = pytest.mark.browser


def _words(page, name: str, language: str) -> list[str]:
    """The glossary words for `name` that the visible page lacks."""
    text = page.inner_text("body")
    return [term.zh if language == "zh" else term.en for term in on_page(name)
            if (term.zh if language == "zh" else term.en) not in text]


def _switch(page, to_label: str, url: str) -> None:
    page.click(f".lang-switch button:has-text('{to_label}')")
    page.wait_for_url(url)
    page.wait_for_load_state("domcontentloaded")


def _journey(page, url: str, name: str) -> None:
    page.goto(url)
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert _words(page, name, "zh") == []
    _switch(page, "English", url)
    assert page.get_attribute("html", "lang") == "en"
    assert _words(page, name, "en") == []
    _switch(page, "中文", url)
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert _words(page, name, "zh") == []


def test_merchant_switches_chinese_english_chinese_on_the_admin(app, live_server, browser):
    store = f.store(default_locale="zh_CN", name="示例商店", owner_name="王五")
    order = f.order(store, "shipped")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    base = sign_in_owner(page, live_server, store)
    _journey(page, f"{base}/", "dashboard")
    _journey(page, f"{base}/orders/{order.id}", "order_detail")
    context.close()


def test_shopper_switches_chinese_english_chinese_in_the_shop(app, live_server, browser):
    from tests.conftest import PASSWORD

    store = f.store(default_locale="zh_CN", name="示例商店")
    f.product(store)
    member = f.member(store)
    order = f.order(store, "shipped", member_obj=member)
    shop = f"{live_server}/shop/{store.slug}"
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{shop}/login")
    page.fill("input[name=email]", member.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{shop}/")
    _journey(page, f"{shop}/", "shop_home")
    _journey(page, f"{shop}/orders/{order.number}", "shop_order")
    context.close()

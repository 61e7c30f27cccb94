"""The language can be switched both ways on every layout, and the page says which language it is in."""
import re

import pytest

from tests import factories as f

LANG_RE = re.compile(r'<html lang="([^"]+)"')
SWITCH_RE = re.compile(r'<form method="post" action="([^"]+)" class="lang-switch">.*?name="locale" value="([^"]+)"', re.S)


def html_lang(html: str) -> str:
    return LANG_RE.search(html).group(1)


def offered(html: str) -> tuple[str, str]:
    """(where the switch posts, the language it offers)"""
    match = SWITCH_RE.search(html)
    assert match, "no language switch on the page"
    return match.group(1), match.group(2)


def switch(client, url: str, to: str) -> str:
    html = client.get(url).get_data(as_text=True)
    action, language = offered(html)
    assert language == to, f"the page offers {language}, not {to}"
    response = client.form(action, {"locale": to, "next": url})
    assert response.status_code in (302, 303)
    return client.get(url).get_data(as_text=True)


def round_trip(client, url: str, zh_word: str, en_word: str) -> None:
    """The page starts in Chinese; switch to English and back."""
    html = client.get(url).get_data(as_text=True)
    assert html_lang(html) == "zh-CN" and zh_word in html
    assert offered(html)[1] == "en"
    html = switch(client, url, "en")
    assert html_lang(html) == "en" and en_word in html and zh_word not in html
    assert offered(html)[1] == "zh_CN"
    html = switch(client, url, "zh_CN")
    assert html_lang(html) == "zh-CN" and zh_word in html


def chinese_client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    return client


@pytest.fixture()
def zh_store(make_store):
    return make_store(default_locale="zh_CN")


def test_store_admin_switches_both_ways(app, zh_store):
    client = chinese_client(app)
    round_trip(client, f"/store/{zh_store.slug}/login", "登录", "Sign in")
    client.login("store", zh_store.owner_email, slug=zh_store.slug)
    round_trip(client, f"/store/{zh_store.slug}/", "概览", "Dashboard")


def test_platform_switches_both_ways(app):
    client = chinese_client(app)
    round_trip(client, "/platform/login", "登录", "Sign in")
    user = f.platform_user()
    client.login("platform", user.email)
    round_trip(client, "/platform/", "店铺", "Stores")


def test_supplier_portal_switches_both_ways(app, zh_store):
    client = chinese_client(app)
    round_trip(client, "/supplier/login", "登录", "Sign in")
    account = f.supplier(store=zh_store)
    client.login("supplier", account.email)
    round_trip(client, "/supplier/", "退出登录", "Sign out")


def test_shop_switches_both_ways_for_guests_and_shoppers(app, zh_store):
    client = chinese_client(app)
    round_trip(client, f"/shop/{zh_store.slug}/", "购物车", "Cart")
    shopper = f.shopper_client(zh_store)
    shopper.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    round_trip(shopper, f"/shop/{zh_store.slug}/account", "购物车", "Cart")


def test_a_signed_in_shopper_keeps_the_language_in_the_next_session(app, zh_store):
    member = f.member(zh_store)
    shopper = f.shopper_client(zh_store, member)
    switch(shopper, f"/shop/{zh_store.slug}/", "en")
    again = f.shopper_client(zh_store, member)
    assert html_lang(again.get(f"/shop/{zh_store.slug}/").get_data(as_text=True)) == "en"

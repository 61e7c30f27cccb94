"""A Chinese page reads as Chinese: no raw codes or English words, no two columns of a table
with the same heading. Every page of the back office and the shop is read, with data on it."""
import pytest

from tests import factories as f
from tests.i18n.pages import (Page, duplicate_headers, invite_in_chinese, latin_words, links_from, seed, shop_pages,
                              store_pages)

# Latin words that may stay: data the test factories write ("factory" as a reason, the member
# group "vip", the test suite's own event topics); Stripe's key names and Alipay's environment
# values are typed as the gateways spell them, carrier codes as the bulk-ship file spells them.
DATA_WORDS = {"factory", "vip", "test.effect", "test.flaky", "test.slow"}
PAGE_WORDS = {"/payments/gateways": {"Publishable", "Secret", "key", "production", "sandbox"},
              "/dispatch/bulk-ship": {"shunfeng", "zhongtong"}}


def _allowed(url: str) -> set[str]:
    return DATA_WORDS | next((words for tail, words in PAGE_WORDS.items() if url.endswith(tail)), set())


@pytest.fixture(scope="module")
def chinese_store(app):
    f.use_app(app)
    store = f.store(default_locale="zh_CN", name="示例商店", owner_name="王五")
    data = seed(store)
    owner = f.client("store", store=store)
    owner.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    owner.form(f"/store/{store.slug}/account/locale", {"locale": "zh_CN"})
    invite_in_chinese(owner, store)
    shopper = f.shopper_client(store, data["member"])
    shopper.form(f"/shop/{store.slug}/locale", {"locale": "zh_CN"})
    pages = store_pages(app, store.slug, data)
    pages += links_from(owner, pages, f"/store/{store.slug}/")
    yield store, owner, shopper, pages, shop_pages(store.slug, data)
    f.drop_store(store)


def _read(client, urls):
    out = {}
    for url in urls:
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            out[url] = Page(response.get_data(as_text=True))
    return out


def test_chinese_back_office_pages_have_no_english_or_raw_codes(chinese_store):
    store, owner, _shopper, pages, _shop = chinese_store
    read = _read(owner, pages)
    assert len(read) > 40
    english = {url: sorted(words) for url, page in read.items() if (words := latin_words(page, _allowed(url)))}
    assert english == {}


def test_chinese_shop_pages_have_no_english_or_raw_codes(chinese_store):
    store, _owner, shopper, _pages, shop = chinese_store
    read = _read(shopper, shop)
    assert len(read) == len(shop)
    english = {url: sorted(words) for url, page in read.items() if (words := latin_words(page, _allowed(url)))}
    assert english == {}


def test_no_two_columns_of_a_table_share_a_heading(chinese_store):
    store, owner, shopper, pages, shop = chinese_store
    read = {**_read(owner, pages), **_read(shopper, shop)}
    assert {url: dup for url, page in read.items() if (dup := duplicate_headers(page))} == {}

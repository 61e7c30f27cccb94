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
              "/dispatch/bulk-ship": {"shunfeng", "zhongtong"},
              "/platform/health": {"PostgreSQL", "Redis"}}   # the servers' own names


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


@pytest.fixture(scope="module")
def chinese_platform(app):
    """A platform admin reading Chinese, after creating a store on a plan (the owner's mail, the
    audit trail), adding staff and a supplier, so every platform page has rows on it."""
    f.use_app(app)
    admin = f.platform_user(name="平台管理员")
    client = f.client("platform", admin.email)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    slug = f.unique("pl")[:20].replace("_", "-")
    created = client.form("/platform/stores/new", {"slug": slug, "name": "平台店", "owner_email": f"o@{slug}.cn",
                                                   "owner_name": "赵六", "default_locale": "zh_CN", "currency": "CNY",
                                                   "plan": "standard"})
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    client.form("/platform/users/new", {"email": f"{slug}-ops@houtai.cn", "name": "运维", "password": f.PASSWORD})
    client.form("/platform/suppliers/new", {"email": f"{slug}-sup@houtai.cn", "name": "供应商甲", "company": "甲公司",
                                            "password": f.PASSWORD})
    pages = sorted({r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/platform") and "GET" in r.methods
                    and not r.arguments and not r.rule.endswith(("/login", "/logout")) and "/password" not in r.rule})
    pages += links_from(client, pages, "/platform/")
    from tests.conftest import wait_for   # the suite's worker shows its queues on the health page

    wait_for(lambda: 'class="badge"' in client.get("/platform/health").get_data(as_text=True))
    yield client, pages


def _platform_data_words() -> set[str]:
    """Latin words in what people typed on the platform (store, staff and supplier names, mail
    subjects, audit labels): data, not the page's own words."""
    import re

    from sqlalchemy import select

    from app.blueprints.platform.models import PlatformUser, Store, SupplierAccount
    from app.core.audit import PlatformAuditEntry
    from app.core.mail import list_mail
    from app.extensions import db

    with f._app.app_context():
        texts = [*db.session.scalars(select(Store.name)), *db.session.scalars(select(Store.suspend_reason)),
                 *db.session.scalars(select(PlatformUser.name)), *db.session.scalars(select(SupplierAccount.name)),
                 *db.session.scalars(select(SupplierAccount.company)),
                 *db.session.scalars(select(PlatformAuditEntry.actor_name)),
                 *db.session.scalars(select(PlatformAuditEntry.object_label))]
        texts += [str(v) for e in db.session.scalars(select(PlatformAuditEntry.changes)) for pair in (e or {}).values()
                  for v in (pair if isinstance(pair, list) else [pair]) if isinstance(v, str)]
        texts += [m["subject"] or "" for m in list_mail(limit=10_000)]
    return {w for text in texts if text for w in re.findall(r"[A-Za-z][A-Za-z_.]*[A-Za-z]", text)}


def test_chinese_platform_pages_have_no_english_or_raw_codes(chinese_platform):
    client, pages = chinese_platform
    read = _read(client, pages)
    assert {"/platform/", "/platform/health", "/platform/mail", "/platform/audit"} <= set(read)
    assert any(url.startswith("/platform/stores/") and url[-1].isdigit() for url in read)
    data = _platform_data_words()   # what other tests of the run named their stores, staff and mail
    english = {url: sorted(words) for url, page in read.items() if (words := latin_words(page, _allowed(url) | data))}
    assert english == {}

"""The glossary (docs/glossary.md) holds: the catalogs translate each term as it says, and the
main pages, rendered in Chinese and in English, carry its words where it says they appear."""
import pytest
from babel.messages.pofile import read_po

from tests import factories as f
from tests.i18n.glossary import GLOSSARY, on_page, terms
from tests.i18n.pages import Page, seed
from tests.i18n.test_catalogs import CATALOGS


def page_urls(store, data) -> dict[str, tuple[str, str]]:
    """Page name (as the glossary writes it) -> (who reads it, URL)."""
    admin, shop = f"/store/{store.slug}", f"/shop/{store.slug}"
    shipped = data["orders"][2]
    return {
        "dashboard": ("owner", f"{admin}/"),
        "order_list": ("owner", f"{admin}/orders/"),
        "order_detail": ("owner", f"{admin}/orders/{shipped.id}"),
        "payment_list": ("owner", f"{admin}/payments/"),
        "payment_detail": ("owner", f"{admin}/payments/{data['payment'].id}"),
        "stock": ("owner", f"{admin}/inventory/stock"),
        "inbound": ("owner", f"{admin}/inventory/inbound"),
        "warehouse_list": ("owner", f"{admin}/inventory/warehouses"),
        "warehouse_form": ("owner", f"{admin}/inventory/warehouses/new"),
        "categories": ("owner", f"{admin}/catalog/categories"),
        "audit": ("owner", f"{admin}/audit"),
        "group_buy_list": ("owner", f"{admin}/promotions/group-buys/"),
        "group_refunds": ("owner", f"{admin}/promotions/group-buys/refunds"),
        "shop_home": ("shopper", f"{shop}/"),
        "shop_orders": ("shopper", f"{shop}/orders"),
        "shop_order": ("shopper", f"{shop}/orders/{shipped.number}"),
    }


@pytest.fixture(scope="module")
def rendered(app):
    """{language: {page name: Page}} for every page the glossary names."""
    f.use_app(app)
    store = f.store(default_locale="zh_CN", name="示例商店", owner_name="王五")
    data = seed(store)
    owner = f.client("store", store=store)
    shopper = f.shopper_client(store, data["member"])
    urls = page_urls(store, data)
    out = {}
    for language in ("zh_CN", "en"):
        owner.form(f"/store/{store.slug}/account/locale", {"locale": language})
        shopper.form(f"/shop/{store.slug}/locale", {"locale": language})
        clients = {"owner": owner, "shopper": shopper}
        out[language] = {}
        for name, (who, url) in urls.items():
            response = clients[who].get(url)
            assert response.status_code == 200, url
            out[language][name] = Page(response.get_data(as_text=True))
    yield out
    f.drop_store(store)


def test_glossary_names_only_pages_the_test_renders():
    from types import SimpleNamespace as Obj

    order = Obj(id=1, number="1")
    known = set(page_urls(Obj(slug="s"), {"orders": [order] * 5, "payment": Obj(id=1)}))
    named = {page for term in terms() for page in term.pages}
    assert named <= known, f"{GLOSSARY.name} names pages this test does not render: {named - known}"
    assert len(terms()) >= 25


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_catalogs_translate_the_glossary_terms_as_it_says(lang):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    wrong = {}
    for term in terms():
        entry = catalog.get(term.en, context=term.context)
        expected = term.zh if lang == "zh_Hans_CN" else term.en
        if entry is None or entry.string != expected:
            wrong[(term.en, term.context)] = entry.string if entry else None
    assert wrong == {}


def test_chinese_pages_use_the_glossary_words(rendered):
    missing = {}
    for name, page in rendered["zh_CN"].items():
        assert page.lang == "zh-CN"
        absent = [term.zh for term in on_page(name) if term.zh not in page.text]
        wrong = [word for term in on_page(name) for word in term.never if word in page.text]
        if absent or wrong:
            missing[name] = {"missing": absent, "wrong": wrong}
    assert missing == {}


def test_english_pages_use_the_glossary_words(rendered):
    missing = {}
    for name, page in rendered["en"].items():
        assert page.lang == "en"
        absent = [term.en for term in on_page(name) if term.en not in page.text]
        if absent:
            missing[name] = absent
    assert missing == {}

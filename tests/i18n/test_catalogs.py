"""Every marked string has a zh_CN translation, and the language switch sticks."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "app" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]


def _marked_strings() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(lang: str):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def test_every_marked_string_has_a_zh_cn_translation():
    strings = _marked_strings()
    assert len(strings) > 200
    catalog = _catalog("zh_Hans_CN")
    missing = sorted(s for s in strings if not (catalog.get(s) and catalog.get(s).string and not catalog.get(s).fuzzy))
    assert missing == [], f"add these to app/translations/zh_Hans_CN (make extract-messages): {missing}"


def test_english_catalog_is_complete_too():
    catalog = _catalog("en")
    missing = sorted(s for s in _marked_strings() if not (catalog.get(s) and catalog.get(s).string))
    assert missing == []


def test_translations_keep_their_placeholders():
    import re
    catalog = _catalog("zh_Hans_CN")
    for message in catalog:
        if message.id and message.string:
            assert set(re.findall(r"%\(\w+\)\w", message.id)) == set(re.findall(r"%\(\w+\)\w", message.string)), message.id


def test_store_user_language_choice_is_kept(app, owner, store):
    owner.form(f"/store/{store.slug}/account/locale", {"locale": "zh_CN", "next": f"/store/{store.slug}/"})
    html = owner.get(f"/store/{store.slug}/").get_data(as_text=True)
    assert "概览" in html and "退出登录" in html
    # a new session for the same person starts in their language
    fresh = app.test_client()
    fresh.login("store", store.owner_email, slug=store.slug)
    assert "概览" in fresh.get(f"/store/{store.slug}/").get_data(as_text=True)
    owner.form(f"/store/{store.slug}/account/locale", {"locale": "en", "next": f"/store/{store.slug}/"})
    assert "Dashboard" in owner.get(f"/store/{store.slug}/").get_data(as_text=True)


def test_store_default_locale_applies_to_visitors(make_store, app):
    store = make_store(default_locale="zh_CN")
    html = app.test_client().get(f"/store/{store.slug}/login").get_data(as_text=True)
    assert "登录" in html

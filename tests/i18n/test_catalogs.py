"""Every marked string has a zh_CN translation, and the language switch sticks."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "app" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "pgettext": ((1, "c"), 2), "_lp": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3)}
METHODS = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]


def _marked_strings() -> set[tuple[str, str | None]]:
    """(message id, context) of every marked string."""
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS):
        found.add((message if isinstance(message, str) else message[0], context))
    return found


def _missing(catalog) -> list:
    def translated(message_id, context):
        entry = catalog.get(message_id, context=context)
        return entry is not None and entry.string and not entry.fuzzy
    return sorted((s for s in _marked_strings() if not translated(*s)), key=lambda s: (s[0], s[1] or ""))


def _catalog(lang: str):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def test_every_marked_string_has_a_zh_cn_translation():
    assert len(_marked_strings()) > 200
    missing = _missing(_catalog("zh_Hans_CN"))
    assert missing == [], f"add these (id, msgctxt) to app/translations/zh_Hans_CN: {missing}"


def test_english_catalog_is_complete_too():
    assert _missing(_catalog("en")) == []


def test_contexts_are_extracted():
    """pgettext is seen by the check above (else a string with a context would go unchecked)."""
    assert ("Order", "noun") in _marked_strings()


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


def test_translations_keep_their_brace_placeholders():
    """A canned reply's help text once told Chinese staff to type {姓名}: nothing fills that in."""
    import re
    catalog = _catalog("zh_Hans_CN")
    for message in catalog:
        if message.id and message.string and isinstance(message.id, str):
            assert set(re.findall(r"\{\w+\}", message.id)) == set(re.findall(r"\{\w+\}", message.string)), message.id


def test_no_message_is_defined_twice():
    """Two definitions of one (context, id) make `msgfmt --check` fail, and only one of the two
    meanings can reach the page (after-sales "Escalated" is 已申请介入, a ticket's is 已升级)."""
    import re
    for lang in ("zh_Hans_CN", "en"):
        text = (CATALOGS / lang / "LC_MESSAGES" / "messages.po").read_text()
        keys = re.findall(r'^(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?msgid "((?:[^"\\]|\\.)*)"\n(?=msgstr|msgid_plural|")',
                          text, re.M)
        seen, twice = set(), []
        for key in keys:
            if key[1] and key in seen:
                twice.append(key)
            seen.add(key)
        assert twice == [], f"{lang}: defined twice {twice}"

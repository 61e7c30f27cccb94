"""Anonymous requests leave nothing in Redis (which runs `noeviction`): a visitor's CSRF
token, language and flash messages ride in a signed cookie; the server-side session starts
at sign-in and ends at sign-out."""
from __future__ import annotations

from app.core.sessions import PREFIX
from tests.conftest import PASSWORD


def session_keys(app) -> set[bytes]:
    return set(app.extensions["houtai_redis"].scan_iter(PREFIX + "*"))


def test_anonymous_requests_create_no_server_side_session(app, store):
    before = session_keys(app)
    for n in range(200):
        app.test_client().get(f"/no-such-page-{n}")
    client = app.test_client()
    for url in ("/", f"/shop/{store.slug}/", f"/shop/{store.slug}/cart", f"/store/{store.slug}/login",
                "/platform/login", "/supplier/login", f"/shop/{store.slug}/login", "/healthz"):
        assert client.get(url).status_code == 200, url
    # a form post that stores a language and a flash message still needs no Redis key
    assert client.form("/locale", {"locale": "zh_CN"}).status_code == 303
    assert client.form(f"/shop/{store.slug}/cart", {"sku_id": "x"}).status_code == 303
    assert session_keys(app) == before


def test_csrf_and_flash_still_work_for_an_anonymous_visitor(app, store):
    client = app.test_client()
    response = client.post("/locale", data={"locale": "zh_CN"})
    assert response.status_code == 400        # no token: refused
    response = client.post("/locale", data={"locale": "zh_CN", "csrf_token": "forged"})
    assert response.status_code == 400
    assert client.form("/locale", {"locale": "en"}).status_code == 303
    client.form(f"/shop/{store.slug}/cart", {"sku_id": "x"})
    assert "Choose an item and a quantity." in client.get(f"/shop/{store.slug}/cart").get_data(as_text=True)


def test_a_tampered_cookie_session_is_a_fresh_one(app):
    client = app.test_client()
    token = client.csrf_token()
    cookie = client.get_cookie("houtai_session")
    assert cookie.value.startswith("c.")
    client.set_cookie("houtai_session", cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
    assert client.post("/locale", data={"locale": "en", "csrf_token": token}).status_code == 400


def test_sign_in_starts_a_server_side_session_and_sign_out_ends_it(app, store):
    before = session_keys(app)
    client = app.test_client()
    client.login("store", store.owner_email, slug=store.slug)
    started = session_keys(app) - before
    assert len(started) == 1
    sid = next(iter(started)).decode()[len(PREFIX):]
    assert client.get_cookie("houtai_session").value == sid
    assert client.get(f"/store/{store.slug}/").status_code == 200
    assert client.form(f"/store/{store.slug}/logout").status_code == 303
    assert session_keys(app) == before
    assert client.get(f"/store/{store.slug}/").status_code in (302, 303)

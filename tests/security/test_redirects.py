"""Redirects stay on this site: `next=` values and Referers that a browser would read as
another host end on a page of ours instead."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

HOSTILE = ["/%09/evil.example/", "/\t/evil.example/", "//evil.example/", "\\\\evil.example", "/\\evil.example",
           "https://evil.example/", "http:evil.example", "/\r\n/evil.example", " //evil.example",
           "javascript:alert(1)", "/platform/\t/evil.example", "///evil.example"]


def where_browser_goes(location: str) -> str:
    """The host a browser lands on: it strips tabs and newlines and reads '\\' as '/'."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip().replace("\\", "/")
    return urlsplit(urljoin("http://localhost/", cleaned)).netloc


@pytest.fixture(scope="module")
def admin_email(app):
    from app.blueprints.platform.services import create_platform_user
    from app.extensions import db
    from tests.conftest import PASSWORD, unique

    email = f"{unique('admin')}@houtai.cn"
    with app.app_context():
        create_platform_user(None, email, "Admin", PASSWORD)
        db.session.commit()
    return email


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_next_never_leaves_the_site(app, admin_email, target):
    from tests.conftest import PASSWORD

    client = app.test_client()
    response = client.form("/platform/login", {"email": admin_email, "password": PASSWORD},
                           query_string={"next": target})
    assert response.status_code == 303
    assert where_browser_goes(response.headers["Location"]) == "localhost"
    assert response.headers["Location"].startswith("/platform/")


def test_sign_in_follows_a_next_on_this_site(app, admin_email):
    from tests.conftest import PASSWORD

    response = app.test_client().form("/platform/login", {"email": admin_email, "password": PASSWORD},
                                      query_string={"next": "/platform/stores?q=a"})
    assert response.headers["Location"] == "/platform/stores?q=a"


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_goes_back_only_to_our_pages(client, target):
    response = client.form("/locale", {"locale": "en", "next": target})
    assert response.status_code == 303
    assert where_browser_goes(response.headers["Location"]) == "localhost"
    if "\n" in target:
        return  # no header can carry a newline
    response = client.form("/locale", {"locale": "en"}, headers={"Referer": target})
    assert where_browser_goes(response.headers["Location"]) == "localhost"


def test_language_switch_returns_to_the_referring_page_of_this_site(client, store):
    page = f"/shop/{store.slug}/?q=tea"
    response = client.form("/locale", {"locale": "en"}, headers={"Referer": f"http://localhost{page}"})
    assert response.headers["Location"] == page
    response = client.form("/locale", {"locale": "en"}, headers={"Referer": f"http://evil.example{page}"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("referer", ["https://evil.example/shop/x/", "/\\evil.example", "/\t/evil.example/"])
def test_cart_error_redirect_ignores_a_foreign_referer(client, store, referer):
    response = client.form(f"/shop/{store.slug}/cart", {"sku_id": "not-a-number"}, headers={"Referer": referer})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/shop/{store.slug}/cart"

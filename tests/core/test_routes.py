"""Every route declares who may use it, and no store route lets one store reach another's rows."""
import re

import pytest

from app.core.permissions import PLATFORM, PUBLIC, REGISTRY, SUPPLIER
from tests.conftest import add_staff

STORE_PREFIX = "/store/<slug>"


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_route_declares_a_permission(app):
    missing = []
    for rule in _rules(app):
        declared = getattr(app.view_functions[rule.endpoint], "permission", None)
        if declared is None:
            missing.append(rule.rule)
        elif rule.rule.startswith(STORE_PREFIX):
            assert declared in REGISTRY or declared in (PUBLIC, "store.signed_in"), rule.rule
        elif rule.rule.startswith("/platform"):
            assert declared in (PLATFORM, PUBLIC), rule.rule
        elif rule.rule.startswith("/supplier"):
            assert declared in (SUPPLIER, PUBLIC), rule.rule
    assert missing == [], f"routes without a permission declaration: {missing}"


def _store_routes_with_ids(app):
    out = []
    for rule in _rules(app):
        if rule.rule.startswith(STORE_PREFIX) and "id" in rule.arguments:
            out.append(rule)
    return out


def test_store_a_owner_cannot_reach_store_b_objects(app, make_store):
    a, b = make_store(), make_store()
    # give B rows whose ids do not exist in A (A has staff 1 and roles 1-6)
    for _ in range(8):
        add_staff(app, b)
    add_staff(app, b, permissions=["store.dashboard"])
    add_staff(app, b, permissions=["store.audit"])
    client = app.test_client()
    client.login("store", a.owner_email, slug=a.slug)
    rules = _store_routes_with_ids(app)
    assert rules, "expected store routes that take an id"
    b_ids = [7, 8]  # present only in store B
    for rule in rules:
        for object_id in b_ids:
            path = rule.rule.replace("<slug>", a.slug).replace("<int:id>", str(object_id))
            methods = rule.methods - {"HEAD", "OPTIONS"}
            for method in methods:
                if method == "GET":
                    response = client.get(path)
                else:
                    response = client.form(path, {"enabled": "0"})
                assert response.status_code in (403, 404), (method, path, response.status_code)
            # the same ids under B's address: A's session is not valid there at all
            other = rule.rule.replace("<slug>", b.slug).replace("<int:id>", str(object_id))
            response = client.get(other) if "GET" in rule.methods else client.form(other, {"enabled": "0"})
            assert response.status_code in (302, 401, 403, 404), (other, response.status_code)
            assert not (response.status_code == 302 and f"/store/{b.slug}/login" not in response.headers["Location"])


def test_unknown_store_is_404(client):
    assert client.get("/store/no-such-store/login").status_code == 404


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert body["redis_maxmemory_policy"] == "noeviction" and "warnings" not in body


def test_error_pages_in_both_languages(client):
    assert "Not found" in client.get("/platform/nothing-here").get_data(as_text=True)
    zh = client.get("/platform/nothing-here", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 404 and "未找到" in zh.get_data(as_text=True)


def test_ids_beyond_the_database_integer_are_404_not_500(owner, store):
    """Found by schemathesis: /products/2147483648 reached PostgreSQL and failed there."""
    assert owner.get(f"/store/{store.slug}/catalog/products/2147483648").status_code == 404
    assert owner.get(f"/api/v1/shop/{store.slug}/products/99999999999").status_code == 404


def test_nul_characters_are_refused_not_a_server_error(client, store):
    """Found by schemathesis: a NUL in an email reached PostgreSQL, which cannot store it."""
    response = client.post(f"/api/v1/shop/{store.slug}/auth/token", json={"email": "a\u0000b", "password": "x"})
    assert response.status_code == 400 and response.get_json()["error"]["status"] == 400
    assert client.get(f"/store/{store.slug}/login?next=%00").status_code == 400

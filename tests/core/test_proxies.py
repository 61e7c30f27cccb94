"""Behind a load balancer (TRUSTED_PROXIES hops), rate limits and audit entries use the
client's address from X-Forwarded-For; without the setting the header is not trusted."""
import pytest
from sqlalchemy import select

from app import create_app
from app.core.audit import AuditEntry
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import Client


def _app(hops: int):
    app = create_app({"TESTING": True, "SERVER_NAME": None, "TRUSTED_PROXIES": hops, "API_RATE_LIMIT": "3 per minute"})
    app.test_client_class = Client
    return app


@pytest.fixture(scope="module")
def proxied():
    return _app(1)


@pytest.fixture(scope="module")
def direct():
    return _app(0)


def _hits(app, slug, client_ip):
    client = app.test_client()
    headers = {"X-Forwarded-For": client_ip}
    return [client.get(f"/api/v1/shop/{slug}/products", headers=headers).status_code for _ in range(4)]


def test_rate_limits_count_each_client_behind_a_trusted_proxy(proxied, store):
    assert _hits(proxied, store.slug, "203.0.113.7") == [200, 200, 200, 429]
    assert _hits(proxied, store.slug, "198.51.100.8")[0] == 200         # another shopper is not locked out


def test_without_trusted_proxies_the_forwarded_header_is_ignored(direct, store):
    assert _hits(direct, store.slug, "192.0.2.10") == [200, 200, 200, 429]
    assert _hits(direct, store.slug, "192.0.2.11")[0] == 429      # a forged header does not buy a new limit


def test_audit_entries_record_the_client_address(proxied, app, store):
    client = proxied.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.99"
    client.login("store", store.owner_email, slug=store.slug)
    assert client.form(f"/store/{store.slug}/catalog/templates/new", {"name": "代理模板"}).status_code == 303
    ips = _get(app, store, lambda: db.session.scalars(select(AuditEntry.ip).order_by(AuditEntry.id.desc())).all())
    assert ips[0] == "203.0.113.99"

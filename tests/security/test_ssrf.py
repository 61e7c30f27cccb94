"""Webhooks cannot reach inside our network: refused when saved (every spelling of an
internal address), at delivery (DNS rebinding) and on every redirect. The suite's own
receivers listen on 127.0.0.1, so it runs with WEBHOOK_ALLOW_PRIVATE on; these tests turn
it off, as production has it."""
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests_hardened

from app.blueprints.platform.models import Store
from app.blueprints.store import webhooks
from app.blueprints.store.webhooks import WebhookDelivery, WebhookEndpoint
from app.core.tenancy import store_context
from app.extensions import db

INTERNAL_URLS = [
    "http://127.0.0.1:8080/hook",
    "http://127.1/hook",
    "http://2130706433/hook",            # 127.0.0.1 as one decimal number
    "http://0x7f000001/hook",            # ... in hex
    "http://0177.0.0.1/hook",            # ... in octal
    "http://0.0.0.0:5000/",
    "http://0/",
    "http://localhost:6379/",
    "http://LOCALHOST./",
    "http://redis.localhost/",
    "http://[::1]/hook",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/hook",    # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",        # 169.254.169.254, mapped and in hex
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/", "http://172.16.3.4/", "http://192.168.1.1/",
    "http://100.64.0.1/",                # carrier-grade NAT
    "http://[fe80::1]/", "http://[fc00::1]/",
    "http://224.0.0.1/", "http://240.0.0.1/",
    "https://127.0.0.1:443/",
    "http://user:pw@127.0.0.1/",
]


@pytest.fixture()
def production(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_addresses_are_refused_when_saved(production, owner, store, url):
    response = owner.form(f"/store/{store.slug}/webhooks/new", {"url": url, "topics": ["*"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="url-error"' in html and "private network" in html


def test_a_public_address_is_accepted(production, owner, store):
    response = owner.form(f"/store/{store.slug}/webhooks/new", {"url": "http://93.184.215.14/hook", "topics": ["*"]})
    assert response.status_code == 303


def test_on_premise_installs_may_allow_private_targets(app, owner, store):
    assert app.config["WEBHOOK_ALLOW_PRIVATE"]       # the suite's setting
    response = owner.form(f"/store/{store.slug}/webhooks/new", {"url": "http://127.0.0.1:9/hook", "topics": ["*"]})
    assert response.status_code == 303


class Server:
    """A local HTTP server answering every POST with `status`, `body` and `headers`."""

    def __init__(self, status=200, body=b"internal secret: redis keys", headers=None):
        self.hits = 0
        server = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self):
                server.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


@pytest.fixture()
def servers():
    made = []

    def make(**kwargs):
        made.append(Server(**kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _deliver(app, store, url) -> WebhookDelivery:
    """Store an endpoint for `url` as it was (say, before this check existed) and run one
    delivery attempt in this process, with this process's settings."""
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        endpoint = WebhookEndpoint(url=url, topics=["*"], secret="s" * 48, active=True)
        delivery = WebhookDelivery(endpoint=endpoint, topic="webhook.ping", body='{"ping":1}')
        db.session.add(delivery)
        db.session.commit()
        webhooks.send_webhook(delivery.id)
        db.session.commit()
        delivery = db.session.get(WebhookDelivery, delivery.id)
        db.session.expunge(delivery)
        return delivery


def test_delivery_to_an_internal_address_is_refused_and_shows_nothing(app, production, owner, store, servers):
    internal = servers()
    delivery = _deliver(app, store, f"http://127.0.0.1:{internal.port}/")
    assert internal.hits == 0
    assert delivery.last_status_code is None and not delivery.last_response
    assert "private network" in delivery.last_error
    html = owner.get(f"/store/{store.slug}/webhooks/{delivery.endpoint_id}").get_data(as_text=True)
    assert "internal secret" not in html and "private network" in html


def test_a_name_that_resolves_elsewhere_at_delivery_is_checked_again(app, production, store, servers, monkeypatch):
    """DNS rebinding: public when saved, 127.0.0.1 when delivered."""
    internal = servers()
    real = socket.getaddrinfo
    answer = {"ip": "93.184.215.14"}

    def fake_dns(host, port, *args, **kwargs):
        if host == "hooks.merchant.example":
            return real(answer["ip"], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    url = f"http://hooks.merchant.example:{internal.port}/"
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        webhooks.check_target(url)                  # accepted: it resolves to a public address now
    answer["ip"] = "127.0.0.1"
    delivery = _deliver(app, store, url)
    assert internal.hits == 0 and "private network" in delivery.last_error and not delivery.last_response


def test_every_redirect_is_checked(app, production, store, servers, monkeypatch):
    """The redirector stands for a public receiver (so loopback is let through for it here);
    it sends the delivery on to the cloud metadata address, which must be refused."""
    original = requests_hardened.Config

    def loopback_allowed(**kwargs):
        return original(**{**kwargs, "ip_filter_allow_loopback_ips": True})

    monkeypatch.setattr(webhooks.requests_hardened, "Config", loopback_allowed)
    redirector = servers(status=307, body=b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    delivery = _deliver(app, store, f"http://127.0.0.1:{redirector.port}/")
    assert redirector.hits == 1
    assert delivery.last_status_code is None and not delivery.last_response
    assert "private network" in delivery.last_error


def test_redirects_to_allowed_targets_are_followed(app, store, servers):
    final = servers(body=b"thanks")
    hop = servers(status=308, body=b"", headers={"Location": f"http://127.0.0.1:{final.port}/"})
    delivery = _deliver(app, store, f"http://127.0.0.1:{hop.port}/")
    assert final.hits == 1 and delivery.status == "delivered" and delivery.last_response == "thanks"

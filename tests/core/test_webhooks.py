"""Merchant webhooks against a real HTTP receiver on 127.0.0.1."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.blueprints.platform.models import Store
from app.blueprints.store import webhooks
from app.blueprints.store.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import last_mail, wait_for


class Receiver:
    """Answers 500 for the first `failures` requests (all of them if None), then 200;
    records each request with whether its signature verified."""

    def __init__(self, failures: int | None = 0):
        self.failures, self.requests, self.secret = failures, [], None
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = webhooks.verify(receiver.secret, self.headers.get("Houtai-Signature", ""), body)
                receiver.requests.append({"body": json.loads(body), "verified": ok,
                                          "topic": self.headers.get("Houtai-Event")})
                failing = receiver.failures is None or len(receiver.requests) <= receiver.failures
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"nope" if failing else b"thanks")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def close(self):
        self.server.shutdown()


@pytest.fixture()
def receiver_factory():
    made = []

    def make(failures=0):
        made.append(Receiver(failures))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _subscribe(app, store, url, topics=("role.changed",)) -> tuple[int, str]:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        endpoint = webhooks.create_endpoint(None, url, "test", list(topics))
        db.session.commit()
        return endpoint.id, endpoint.secret


def _endpoint(app, store, endpoint_id) -> WebhookEndpoint:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        db.session.expunge(endpoint)
        return endpoint


def _make_role(owner, store, name):
    assert owner.form(f"/store/{store.slug}/roles/new", {"name": name, "permissions": ["store.dashboard"]}).status_code == 303


def test_delivery_is_signed_and_verifies(app, owner, store, receiver_factory):
    receiver = receiver_factory()
    endpoint_id, receiver.secret = _subscribe(app, store, receiver.url)
    _make_role(owner, store, "Signed")
    wait_for(lambda: receiver.requests)
    request = receiver.requests[0]
    assert request["verified"] and request["topic"] == "role.changed"
    assert request["body"]["store"] == store.slug and request["body"]["data"]["name"] == "Signed"


def test_signature_check_rejects_tampering_and_old_timestamps():
    body = b'{"a":1}'
    header = webhooks.sign("s3cret", int(time.time()), body)
    assert webhooks.verify("s3cret", header, body)
    assert not webhooks.verify("s3cret", header, b'{"a":2}')
    assert not webhooks.verify("other", header, body)
    assert not webhooks.verify("s3cret", webhooks.sign("s3cret", int(time.time()) - 3600, body), body)


def test_receiver_failing_three_times_gets_the_event_exactly_once_more(app, owner, store, receiver_factory):
    receiver = receiver_factory(failures=3)
    endpoint_id, receiver.secret = _subscribe(app, store, receiver.url)
    _make_role(owner, store, "Flaky receiver")
    wait_for(lambda: len(receiver.requests) >= 4)
    time.sleep(3)  # nothing more may arrive once it succeeded
    assert len(receiver.requests) == 4 and all(r["verified"] for r in receiver.requests)
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
        attempts = db.session.scalars(select(WebhookAttempt.status_code).where(
            WebhookAttempt.delivery_id == delivery.id).order_by(WebhookAttempt.id)).all()
        assert delivery.status == "delivered" and delivery.attempts == 4
        assert attempts == [500, 500, 500, 200]
    html = owner.get(f"/store/{store.slug}/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "delivered" in html and "thanks" in html


def test_receiver_that_always_fails_ends_disabled_and_the_owner_is_mailed(app, owner, store, receiver_factory):
    receiver = receiver_factory(failures=None)
    endpoint_id, receiver.secret = _subscribe(app, store, receiver.url)
    _make_role(owner, store, "Never")
    limit = app.config["WEBHOOK_DISABLE_AFTER"]
    wait_for(lambda: not _endpoint(app, store, endpoint_id).active)
    assert len(receiver.requests) == limit
    assert "was disabled" in last_mail(app, store.owner_email) or "failed" in last_mail(app, store.owner_email)
    time.sleep(2)
    assert len(receiver.requests) == limit  # no more attempts once disabled


def test_manual_resend_and_secret_rotation(app, owner, store, receiver_factory):
    receiver = receiver_factory()
    endpoint_id, receiver.secret = _subscribe(app, store, receiver.url)
    _make_role(owner, store, "Once")
    wait_for(lambda: len(receiver.requests) == 1)
    owner.form(f"/store/{store.slug}/webhooks/{endpoint_id}/rotate")
    new_secret = _endpoint(app, store, endpoint_id).secret
    assert new_secret != receiver.secret
    receiver.secret = new_secret
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        delivery_id = db.session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id))
    owner.form(f"/store/{store.slug}/webhooks/deliveries/{delivery_id}/resend")
    wait_for(lambda: len(receiver.requests) == 2)
    assert receiver.requests[1]["verified"] and receiver.requests[1]["body"] == receiver.requests[0]["body"]


def test_webhook_form_refuses_bad_urls(owner, store):
    response = owner.form(f"/store/{store.slug}/webhooks/new", {"url": "ftp://x", "topics": ["*"]})
    assert response.status_code == 422 and "http" in response.get_data(as_text=True)
    response = owner.form(f"/store/{store.slug}/webhooks/new", {"url": "https://example.com/h", "topics": ["*"]})
    assert response.status_code == 303

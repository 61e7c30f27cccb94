"""Merchant webhooks: endpoints subscribe to event topics; each delivery is signed
(HMAC-SHA256 over "<timestamp>.<body>"), logged per attempt, retried with back-off for up
to WEBHOOK_MAX_AGE_HOURS, and an endpoint that keeps failing is disabled (owners mailed)."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from datetime import datetime, timedelta
from urllib.parse import urlparse

import requests
import requests_hardened
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES, InvalidIPAddress

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (ARRAY, BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import audit, jobs
from app.core.db import tenant_args, utcnow
from app.core.errors import DomainError
from app.core.outbox import TOPICS
from app.core.periodic import every
from app.core.tenancy import current_store
from app.extensions import db

SIGNATURE_HEADER = "Houtai-Signature"
ALL_TOPICS = "*"
MAX_REDIRECTS = 3


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    topics: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    secret: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def wants(self, topic: str) -> bool:
        return self.active and (ALL_TOPICS in self.topics or topic in self.topics)


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = tenant_args(UniqueConstraint("endpoint_id", "event_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("tenant.webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    topic: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")   # pending failed delivered dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_response: Mapped[str | None] = mapped_column(String(500))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    endpoint: Mapped[WebhookEndpoint] = relationship()


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("tenant.webhook_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(500))


# --- signing (documented in README) --------------------------------------------------------

def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now: int | None = None) -> bool:
    """What a receiver does (README has the same code): check the HMAC and the age."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- where a webhook may go ----------------------------------------------------------------
# Receivers are the merchant's servers on the internet. An address inside our own network
# (loopback, private, link-local, multicast, reserved, 0.0.0.0, ...) is refused when the URL
# is saved, and again on every delivery and redirect: requests-hardened resolves the name
# once, refuses such an address and connects to the very address it checked, so a name that
# resolves elsewhere later (DNS rebinding) cannot slip through. WEBHOOK_ALLOW_PRIVATE lets an
# on-premise install deliver inside its own network.

def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or any(ip in net for net in EXTRA_BLOCKED_NET_RANGES))


class InternalAddress(DomainError):
    field = "url"


def check_target(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, an address inside a private network.
    A name that does not resolve yet is let through: every delivery checks again."""
    if current_app.config["WEBHOOK_ALLOW_PRIVATE"]:
        return
    parsed = urlparse(url)
    host = (parsed.hostname or "").rstrip(".").lower()
    refused = InternalAddress(_("This address points inside a private network (such as 127.0.0.1, 10.x.x.x or "
                                "169.254.169.254). Webhooks go only to public internet addresses."))
    if host == "localhost" or host.endswith(".localhost"):
        raise refused
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (ValueError, UnicodeError):
        raise DomainError(_("Enter a full http:// or https:// address."), field="url")
    except OSError:
        return
    for family, _type, _proto, _name, sockaddr in addresses:
        if family in (socket.AF_INET, socket.AF_INET6) and _blocked(ipaddress.ip_address(sockaddr[0].split("%")[0])):
            raise refused


def _http() -> requests.Session:
    """A session that refuses internal addresses on each connection (redirects included)."""
    session = requests_hardened.Manager(requests_hardened.Config(
        ip_filter_enable=not current_app.config["WEBHOOK_ALLOW_PRIVATE"], ip_filter_allow_loopback_ips=False,
        never_redirect=False, default_timeout=current_app.config["WEBHOOK_TIMEOUT"],
        user_agent_override="Houtai-Webhooks/1")).get_session()
    session.max_redirects = MAX_REDIRECTS
    return session


# --- endpoints -----------------------------------------------------------------------------

def _clean(url: str, topics: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise DomainError(_("Enter a full http:// or https:// address."), field="url")
    check_target(url)
    topics = sorted(set(topics or []))
    if not topics:
        raise DomainError(_("Choose at least one topic."), field="topics")
    unknown = [t for t in topics if t != ALL_TOPICS and t not in TOPICS]
    if unknown:
        raise DomainError(_("Unknown topics: %(t)s", t=", ".join(unknown)), field="topics")
    return url, topics


def create_endpoint(actor, url: str, description: str, topics: list[str]) -> WebhookEndpoint:
    url, topics = _clean(url, topics)
    endpoint = WebhookEndpoint(url=url, description=(description or "").strip()[:200], topics=topics,
                               secret=secrets.token_hex(24), active=True)
    db.session.add(endpoint)
    audit.record(actor, "webhook.created", endpoint, label=url, changes=audit.snapshot(endpoint, ["url", "topics"]))
    return endpoint


def update_endpoint(actor, endpoint: WebhookEndpoint, url: str, description: str, topics: list[str],
                    active: bool) -> WebhookEndpoint:
    endpoint.url, endpoint.topics = _clean(url, topics)
    endpoint.description = (description or "").strip()[:200]
    if active and not endpoint.active:
        endpoint.consecutive_failures, endpoint.disabled_reason = 0, None
    endpoint.active = active
    changes = audit.changes_of(endpoint, {"url", "topics", "description", "active"})
    if changes:
        audit.record(actor, "webhook.updated", endpoint, label=endpoint.url, changes=changes)
    return endpoint


def rotate_secret(actor, endpoint: WebhookEndpoint) -> str:
    """A new signing secret, in force from the next delivery."""
    endpoint.secret = secrets.token_hex(24)
    endpoint.secret_rotated_at = utcnow()
    audit.record(actor, "webhook.secret_rotated", endpoint, label=endpoint.url)
    return endpoint.secret


def delete_endpoint(actor, endpoint: WebhookEndpoint) -> None:
    audit.record(actor, "webhook.deleted", endpoint, label=endpoint.url)
    db.session.delete(endpoint)


def _body(event_id, topic: str, payload: dict, created_at: datetime) -> str:
    store = current_store()
    return json.dumps({"id": event_id, "topic": topic, "store": store.slug, "created_at": created_at.isoformat(),
                       "data": payload}, ensure_ascii=False, separators=(",", ":"), default=str)


def _queue_send(delivery: WebhookDelivery, delay: int | None = None) -> None:
    store_id, delivery_id = current_store().id, delivery.id
    jobs.after_commit(lambda: jobs.enqueue(send_webhook, delivery_id, store_id=store_id, delay=delay))


def queue_deliveries(event) -> int:
    """One delivery per active endpoint subscribed to the event's topic (idempotent)."""
    endpoints = [e for e in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active))
                 if e.wants(event.topic)]
    have = set(db.session.scalars(select(WebhookDelivery.endpoint_id).where(WebhookDelivery.event_id == event.id)))
    created = 0
    for endpoint in endpoints:
        if endpoint.id in have:
            continue
        delivery = WebhookDelivery(endpoint=endpoint, event_id=event.id, topic=event.topic,
                                   body=_body(event.id, event.topic, event.payload, event.created_at))
        db.session.add(delivery)
        db.session.flush()
        _queue_send(delivery)
        created += 1
    return created


def send_ping(actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test delivery (topic webhook.ping) to check the receiver."""
    delivery = WebhookDelivery(endpoint=endpoint, event_id=None, topic="webhook.ping",
                               body=_body(None, "webhook.ping", {"message": "ping"}, utcnow()))
    db.session.add(delivery)
    db.session.flush()
    audit.record(actor, "webhook.pinged", endpoint, label=endpoint.url)
    _queue_send(delivery)
    return delivery


def resend(actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again by hand, whatever its state; the same body and a fresh signature."""
    if not delivery.endpoint.active:
        raise DomainError(_("The endpoint is disabled. Enable it first."))
    delivery.status, delivery.next_attempt_at = "pending", utcnow()
    audit.record(actor, "webhook.resent", delivery.endpoint, label=f"{delivery.topic} → {delivery.endpoint.url}")
    _queue_send(delivery)
    return delivery


# --- sending -------------------------------------------------------------------------------

def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str, str | None, int]:
    """One POST; (status code, first 500 characters of the answer, error, latency in ms).
    A refused address gives an error and no answer text."""
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(endpoint.secret, int(time.time()), body),
        "Houtai-Event": delivery.topic, "Houtai-Delivery": str(delivery.id), "Houtai-Store": current_store().slug,
    }
    started = time.perf_counter()
    try:
        with _http() as session, session.post(endpoint.url, data=body, headers=headers, stream=True) as response:
            raw = response.raw.read(2000, decode_content=True) or b""
            code, text, error = response.status_code, raw.decode("utf-8", "replace")[:500], None
    except InvalidIPAddress:
        code, text, error = None, "", "refused: the address is inside a private network"
    except requests.TooManyRedirects:
        code, text, error = None, "", f"refused: more than {MAX_REDIRECTS} redirects"
    except (requests.RequestException, OSError, ValueError) as err:
        code, text, error = None, "", f"{type(err).__name__}: {err}"[:500]
    return code, text, error, int((time.perf_counter() - started) * 1000)


@jobs.job(queue="webhooks", timeout=120, retry=())
def send_webhook(delivery_id: int) -> str:
    """One attempt; schedules the next one itself (with back-off) when it fails."""
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status in ("delivered", "dead"):
        return "skipped"
    endpoint = delivery.endpoint
    if not endpoint.active:
        delivery.status, delivery.last_error = "failed", "endpoint disabled"
        return "disabled"
    code, text, error, latency = _post(endpoint, delivery)
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_latency_ms = code, latency
    delivery.last_response, delivery.last_error = text[:500], error
    db.session.add(WebhookAttempt(delivery_id=delivery.id, status_code=code, latency_ms=latency,
                                  response_excerpt=text[:500], error=error))
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at = "delivered", utcnow()
        endpoint.consecutive_failures = 0
        return "delivered"
    _failed(endpoint, delivery)
    return delivery.status


def _failed(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    cfg = current_app.config
    endpoint.consecutive_failures += 1
    if endpoint.consecutive_failures >= cfg["WEBHOOK_DISABLE_AFTER"]:
        delivery.status = "failed"
        _disable(endpoint)
        return
    if utcnow() - delivery.created_at > timedelta(hours=cfg["WEBHOOK_MAX_AGE_HOURS"]):
        delivery.status = "dead"
        return
    backoff = cfg["WEBHOOK_BACKOFF"]
    wait = backoff[min(delivery.attempts - 1, len(backoff) - 1)]
    delivery.status, delivery.next_attempt_at = "failed", utcnow() + timedelta(seconds=wait)
    _queue_send(delivery, delay=wait)


def _disable(endpoint: WebhookEndpoint) -> None:
    from app.blueprints.store.models import Role, StaffUser
    from app.core.mail import queue_mail

    endpoint.active = False
    endpoint.disabled_reason = _("Disabled after %(n)d failed deliveries in a row.", n=endpoint.consecutive_failures)
    audit.record(None, "webhook.disabled", endpoint, label=endpoint.url,
                 changes={"active": [True, False], "reason": [None, endpoint.disabled_reason]})
    owners = db.session.scalars(select(StaffUser.email).join(Role).where(
        Role.builtin == "owner", StaffUser.status == "active")).all()
    store = current_store()
    for email in owners:
        queue_mail(email, _("A webhook of %(store)s was disabled", store=store.name),
                   _("The endpoint %(url)s failed %(n)d times in a row and was disabled.\n\n"
                     "Fix the receiver, then enable it again under Store › Webhooks; failed deliveries can be "
                     "re-sent from there.", url=endpoint.url, n=endpoint.consecutive_failures))


@every(60, queue="webhooks")
def sweep_webhooks() -> int:
    """Safety net: queue deliveries whose next attempt is due but whose job was lost."""
    now = utcnow()
    due = db.session.scalars(select(WebhookDelivery).join(WebhookEndpoint).where(
        WebhookDelivery.status.in_(("pending", "failed")), WebhookEndpoint.active,
        WebhookDelivery.next_attempt_at <= now - timedelta(seconds=60)).limit(500)).all()
    for delivery in due:
        delivery.next_attempt_at = now + timedelta(seconds=120)
        _queue_send(delivery)
    return len(due)

"""Sign-in by phone: a six-digit one-time code sent by SMS (app.core.sms), valid for a few
minutes, a few tries, used once. Sending is limited per phone (one a minute, a handful an
hour and a day) and per client address (an hour), counted from the codes table itself under
a per-phone lock, so the limits hold across processes and move with the clock.

A code proves the phone: the shopper signs in to the member with that verified phone, or a
new member is made for it (no email, no password; both can be added later). A phone typed
into an email account at registration is not verified and is never signed in to by SMS.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text, update

from app.blueprints.members.models import Member, SmsCode
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import emit
from app.core.phones import MAINLAND_MOBILE_MESSAGE, mainland_mobile
from app.core.tenancy import current_store
from app.extensions import db


class TooManyCodes(DomainError):
    """A send limit was reached; `retry_after` says in how many seconds one may ask again."""

    field = "phone"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


@dataclass
class CodeSent:
    phone: str
    code: str                 # only for handing to the SMS provider; never stored
    code_id: int
    expires_in: int
    resend_in: int


@dataclass
class CodeCheck:
    member: Member | None
    error: str | None = None
    created: bool = False


def _phone(raw: str) -> str:
    phone = mainland_mobile(raw)
    if phone is None:
        raise DomainError(str(MAINLAND_MOBILE_MESSAGE), field="phone")
    return phone


def _digest(phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"sms:{current_store().id}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def send_sign_in_code(raw_phone: str, client: str) -> CodeSent:
    """Make a new code for the phone if the limits allow (else TooManyCodes, nothing written).
    The caller commits, then hands `code` to the SMS provider."""
    cfg = current_app.config
    phone = _phone(raw_phone)
    client = (client or "unknown")[:64]
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"sms:{phone}"})
    now = utcnow()

    def sent_since(column, value, seconds: int):
        return db.session.execute(select(func.count(), func.min(SmsCode.created_at)).where(
            column == value, SmsCode.created_at > now - timedelta(seconds=seconds))).one()

    windows = [(SmsCode.phone, phone, cfg["SMS_RESEND_SECONDS"], 1),
               (SmsCode.phone, phone, 3600, cfg["SMS_PHONE_PER_HOUR"]),
               (SmsCode.phone, phone, 86400, cfg["SMS_PHONE_PER_DAY"]),
               (SmsCode.client, client, 3600, cfg["SMS_CLIENT_PER_HOUR"])]
    for column, value, seconds, limit in windows:
        count, oldest = sent_since(column, value, seconds)
        if count >= limit:
            wait = int((oldest + timedelta(seconds=seconds) - now).total_seconds()) + 1
            if seconds == cfg["SMS_RESEND_SECONDS"] and limit == 1:
                raise TooManyCodes(_("A code was sent a moment ago. You can ask for another in %(n)d seconds.",
                                     n=wait), wait)
            raise TooManyCodes(_("Too many codes were asked for. Try again in %(n)d minutes.",
                                 n=max(1, (wait + 59) // 60)), wait)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    ttl = cfg["SMS_CODE_TTL_SECONDS"]
    row = SmsCode(phone=phone, client=client, code_hash=_digest(phone, code), created_at=now,
                  expires_at=now + timedelta(seconds=ttl))
    db.session.add(row)
    db.session.flush()
    return CodeSent(phone, code, row.id, ttl, cfg["SMS_RESEND_SECONDS"])


def record_delivery(code_id: int, provider_id: str) -> None:
    db.session.execute(update(SmsCode).where(SmsCode.id == code_id).values(provider_id=provider_id[:64]))


def sign_in_with_code(raw_phone: str, code: str) -> CodeCheck:
    """Check a code against the phone's newest live one. A wrong code counts a try (the caller
    commits either way, so tries cannot be replayed by a rollback); the right one is used up
    and returns the member, made now if the phone is new."""
    phone = _phone(raw_phone)
    now = utcnow()
    row = db.session.scalar(select(SmsCode).where(SmsCode.phone == phone, SmsCode.used_at.is_(None))
                            .order_by(SmsCode.id.desc()).limit(1).with_for_update())
    if row is None or row.expires_at <= now:
        return CodeCheck(None, _("This code has expired or was never sent. Ask for a new one."))
    if row.attempts >= current_app.config["SMS_CODE_ATTEMPTS"]:
        return CodeCheck(None, _("Too many wrong codes. Ask for a new one."))
    row.attempts += 1
    if not hmac.compare_digest(row.code_hash, _digest(phone, (code or "").strip())):
        db.session.flush()
        return CodeCheck(None, _("The code is wrong."))
    row.used_at = now
    member = db.session.scalar(select(Member).where(Member.phone == phone, Member.phone_verified.is_(True)))
    created = member is None
    if created:
        member = Member(email="", phone=phone, phone_verified=True, name="", password_hash=None, status="active")
        db.session.add(member)
        db.session.flush()
        emit("member.registered", {"member_id": member.id, "email": "", "phone": phone})
    if member.status != "active":
        row.used_at = None
        return CodeCheck(None, _("This account is disabled."))
    member.last_login_at = now
    db.session.flush()
    return CodeCheck(member, created=created)

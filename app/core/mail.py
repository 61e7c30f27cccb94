"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files under instance/mail/
(readable by platform staff on the Mail page)."""
from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app


def mail_dir() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "mail"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="houtai.local")
    msg.set_content(body)
    return msg


def send_mail(to: str, subject: str, body: str) -> str:
    """Deliver one plain-text message; returns its Message-ID. Call only after commit."""
    cfg = current_app.config
    msg = build_message(to, subject, body)
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(msg)
    else:
        from app.core.db import utcnow

        name = f"{utcnow().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (mail_dir() / name).write_bytes(bytes(msg))
    return msg["Message-ID"]


def queue_mail(to: str, subject: str, body: str) -> None:
    """Send mail from the `mail` queue once the current transaction commits. If Redis
    cannot take the job, the mail is sent right away rather than lost."""
    from app.core import jobs
    from app.extensions import db

    if not (to or "").strip():
        return      # a shopper who signed up by SMS may have no email address: nothing to send

    def push():
        try:
            jobs.enqueue(send_mail_job, to, str(subject), str(body))
        except Exception:  # Redis is down: deliver now instead
            send_mail(to, str(subject), str(body))

    if db.session().in_transaction():
        jobs.after_commit(push)
    else:
        push()


def list_mail(limit: int = 200) -> list[dict]:
    """Newest files first, parsed just enough for a list."""
    from email import policy
    from email.parser import BytesParser

    files = sorted(mail_dir().glob("*.eml"), reverse=True)[:limit]
    out = []
    for path in files:
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        date = msg["Date"]
        out.append({"name": path.name, "to": msg["To"], "subject": msg["Subject"],
                    "date": date.datetime if date is not None and getattr(date, "datetime", None) else None,
                    "body": msg.get_body(preferencelist=("plain",)).get_content()})
    return out


from app.core.jobs import job  # noqa: E402


@job(queue="mail", timeout=60, retry=(30, 120, 600, 1800))
def send_mail_job(to: str, subject: str, body: str) -> str:
    return send_mail(to, subject, body)

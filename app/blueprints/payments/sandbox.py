"""The sandbox gateway: Houtai's own test gateway for development and demos.

Its protocol is that of the real ones in small: the shop sends the payer to a hosted page;
the gateway posts a form notification signed with HMAC-SHA256 over the sorted fields
(``sign`` field, hex), and expects the plain text ``success`` back.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

NAME = "sandbox"


def secret(store_id: int) -> str:
    """Per-store signing secret, derived from the app secret (real gateways: per merchant)."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), f"sandbox:{store_id}".encode(), hashlib.sha256).hexdigest()


def sign(fields: dict, key: str) -> str:
    payload = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign" and fields[k] not in (None, ""))
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


def verify(fields: dict, key: str) -> bool:
    return hmac.compare_digest(sign(fields, key), str(fields.get("sign", "")))

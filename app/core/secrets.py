"""Credentials at rest: sealed with Fernet (AES-128-CBC + HMAC-SHA256) in the application,
so a database dump alone does not reveal a store's gateway keys.

The key comes from CREDENTIALS_KEYS (comma-separated Fernet keys, newest first, so keys can be
rotated: old tokens still open, new ones are sealed with the first key), else it is derived
from SECRET_KEY with HKDF.
"""
from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class SealBroken(Exception):
    """The sealed value cannot be opened with any configured key."""


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in (current_app.config.get("CREDENTIALS_KEYS") or "").split(",") if k.strip()]
    if not keys:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"houtai-credentials",
                       info=b"fernet").derive(current_app.config["SECRET_KEY"].encode())
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(k) for k in keys])


def seal(values: dict) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def unseal(token: str | None) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as err:
        raise SealBroken("credentials cannot be decrypted with the configured keys") from err

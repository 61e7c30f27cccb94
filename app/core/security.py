"""Passwords (argon2id) and signed one-time tokens."""
from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY = _hasher.hash("houtai-timing-guard")
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; spends the same time when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_fingerprint(password_hash: str | None) -> str:
    """Short digest of the current hash: a token carrying it dies once the password changes."""
    return hashlib.sha256((password_hash or "none").encode()).hexdigest()[:16]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"houtai.{purpose}")


def make_token(purpose: str, data: dict) -> str:
    return _serializer(purpose).dumps(data)


class BadToken(ValueError):
    """The link is invalid, used already, or expired."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def read_token(purpose: str, token: str, max_age: int) -> dict:
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as err:
        raise BadToken(expired=True) from err
    except BadSignature as err:
        raise BadToken() from err

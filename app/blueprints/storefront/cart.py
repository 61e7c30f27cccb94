"""Carts: a guest's lives in a signed cookie scoped to the store's path; a signed-in
shopper's lives in the database; signing in merges the first into the second."""
from __future__ import annotations

import json

from flask import current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from app.blueprints.members import services as members
from app.core.tenancy import current_store

COOKIE = "cart"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="houtai.cart")


def _cookie_path() -> str:
    return f"/shop/{current_store().slug}/"


def read_guest(raw: str | None = None) -> dict[int, int]:
    raw = raw if raw is not None else request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return {}
    if data.get("s") != current_store().id:
        return {}
    return {int(k): int(v) for k, v in data.get("i", {}).items() if int(v) > 0}


def write_guest(response, items: dict[int, int]) -> None:
    if items:
        value = _serializer().dumps({"s": current_store().id, "i": {str(k): v for k, v in items.items()}})
        response.set_cookie(COOKIE, value, path=_cookie_path(), httponly=True, samesite="Lax", max_age=30 * 86400)
    else:
        response.delete_cookie(COOKIE, path=_cookie_path())


def shopper_signed_in() -> bool:
    return current_user.is_authenticated and getattr(current_user, "realm", None) == "shopper"


def current_items() -> dict[int, int]:
    return members.cart_of(current_user.id) if shopper_signed_in() else read_guest()


def merge_guest_cart(member, raw: str, response) -> None:
    """Called at sign-in: the guest cart joins the account's cart and the cookie goes."""
    from app.core.formview import committed

    guest = read_guest(raw)
    if guest:
        member_id = member.id
        committed(lambda: members.merge_cart(member_id, guest))
    write_guest(response, {})

"""Guest checkout in the shopper API, under /api/v1/shop/<slug>/guest/, where the store allows
buying without an account (the same store switch as the pages' guest checkout): quote and place
an order from a list of SKUs and a delivery address, find it again by its number and the phone
given, read it and pay it. Placing or finding an order answers a guest token (a bearer token
for that one order); without it, with a wrong one or with another order's number it is a 404
like a missing order. A wrong number or phone answers the same 404, and failed look-ups are
limited per order number and per client address, together with the shop's look-up page. The operations are described in the OpenAPI document here, beside their
routes."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, jsonify, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.blueprints.members import services as members
from app.blueprints.orders import services as orders
from app.blueprints.storefront import queries
from app.blueprints.storefront.api import (ApiError, _int, _json, _order_body, _pricing_body, _shipping_body, _str,
                                           _wechat_jsapi, api, delivery_method, idempotency_key, order_note)
from app.blueprints.storefront.openapi import SPEC, _json as _doc, _op, _ref
from app.core import regions
from app.core.errors import DomainError
from app.core.formview import committed
from app.core.permissions import public
from app.core.tenancy import current_store
from app.extensions import limiter

GUEST_TOKEN_AGE = 30 * 86400


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="houtai.api.guest")


def _guest_body(view) -> dict:
    """An order with the token that reads and pays it."""
    token = _serializer().dumps({"s": current_store().id, "o": view.number})
    return {**_order_body(view, timeline=True), "guest_token": token, "token_type": "Bearer",
            "expires_in": GUEST_TOKEN_AGE}


NOT_FOUND = "No such order."


def _token_order(number: str) -> str | None:
    """The order number that the request's guest token names, if the token is this store's and
    that order's; None for no token, a forged one or another order's. Raises the 401 of an
    expired token only for a token of this very order (so it tells nothing a stranger can use)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        data = _serializer().loads(header[7:], max_age=GUEST_TOKEN_AGE)
    except SignatureExpired as err:
        data, expired = _serializer().load_payload(err.payload), True
    except BadSignature:
        return None
    else:
        expired = False
    if not isinstance(data, dict) or data.get("s") != current_store().id or data.get("o") != number:
        return None
    if expired:
        raise ApiError(401, "token_expired", "The guest token expired; look the order up again.")
    return number


def guest_token(fn):
    """The guest token of the order named in the path (from checkout or look-up), checked before
    the order is looked for: no token, a wrong one, another order's, or a number that is not a
    guest order of this store all answer the same 404, so nothing tells which numbers exist."""

    @wraps(fn)
    def wrapper(number, *args, **kwargs):
        order = orders.guest_order(number) if _token_order(number) is not None else None
        if order is None:
            raise ApiError(404, "not_found", NOT_FOUND)
        g.guest_order = order
        return fn(number, *args, **kwargs)

    wrapper.permission = "public"
    return wrapper


def _open():
    if not orders.guest_checkout_open():
        raise ApiError(403, "guest_checkout_off", "This shop sells to signed-in shoppers only: get a token first.")


def _items(data: dict) -> dict[int, int]:
    """`items`: [{sku_id, quantity}], the same SKU twice adding up."""
    raw = data.get("items")
    if not isinstance(raw, list) or not raw or len(raw) > orders.MAX_LINES or not all(isinstance(i, dict) for i in raw):
        raise ApiError(422, "bad_value", f"items must be a list of 1 to {orders.MAX_LINES} {{sku_id, quantity}}.",
                       "items")
    items: dict[int, int] = {}
    for item in raw:
        sku_id = _int(item.get("sku_id"), "items.sku_id", 1, 2 ** 31 - 1)
        items[sku_id] = items.get(sku_id, 0) + _int(item.get("quantity"), "items.quantity", 1, members.MAX_CART_QUANTITY)
    return items


def _address(data: dict) -> dict:
    """The delivery address, checked as the address book checks it (errors name address.<field>)."""
    raw = data.get("address")
    if not isinstance(raw, dict):
        raise ApiError(422, "bad_value", "address must be an object: name, phone, region_code, street, postcode.",
                       "address")
    values = {f: raw.get(f) if isinstance(raw.get(f), str) else "" for f in members.ADDRESS_INPUT}
    try:
        return members.address_values(values)
    except DomainError as err:
        raise ApiError(422, "bad_value", err.message, f"address.{err.field}" if err.field else "address")


def _email(data: dict) -> str:
    email = data.get("email", "")
    if email is None:
        return ""
    if not isinstance(email, str) or len(email) > 254 or (email.strip() and "@" not in email.strip()[1:-1]):
        raise ApiError(422, "bad_value", "email is an email address like name@example.com (or leave it out).", "email")
    return email.strip()


@api.route("/guest/checkout/quote", methods=["POST"])
@public
def guest_quote():
    """What POST guest/checkout would charge for these SKUs to this district (or, where the shop
    ships abroad, to another country: the freight templates' rates for areas not named): goods,
    freight, total."""
    _open()
    data = _json()
    items, delivery = _items(data), delivery_method(data)
    country = data.get("country", "CN")
    if country != "CN":             # abroad, where the shop ships there: no region
        from app.blueprints.logistics import queries as logistics
        from app.core import countries

        if not isinstance(country, str) or country not in countries.codes():
            raise ApiError(422, "bad_value", "country is an ISO 3166 alpha-2 code, e.g. US.", "country")
        if not logistics.ships_abroad():
            raise ApiError(422, "bad_value", "This shop delivers within mainland China only.", "country")
        region_code = ""
    else:
        region_code = data.get("region_code")
        if not isinstance(region_code, str) or not regions.is_leaf(region_code):
            raise ApiError(422, "bad_value", "region_code is a six-digit district code (a leaf of GET regions).",
                           "region_code")
    preview = orders.preview_checkout(items, region_code, delivery)
    if preview.error:
        raise ApiError(422, "undeliverable", preview.error, "region_code")
    from app.blueprints.promotions import queries as promotions

    return jsonify({**_shipping_body(preview), "pricing": _pricing_body(promotions.describe(preview.priced))})


@api.route("/guest/checkout", methods=["POST"])
@public
def guest_checkout():
    """Place an order without an account. The address's name and phone are the order's contact;
    with the number, the phone finds the order again. An Idempotency-Key makes retries safe as in
    POST checkout."""
    _open()
    data = _json()
    key = idempotency_key()
    digest = orders.fingerprint(api="guest_checkout", body=data)
    existing = orders.order_for_key(None, key, digest)
    if existing is not None:
        return jsonify(_guest_body(queries.order_view(existing, timeline=True))), 201, {"Idempotent-Replayed": "true"}
    items, delivery = _items(data), delivery_method(data)
    address, email = _address(data), _email(data)
    note = order_note(data)
    shopper = {"name": address["name"], "email": email, "phone": address["phone"]}

    def place():
        order = orders.place_order([orders.LineRequest(s, q) for s, q in items.items()], address, shopper=shopper,
                                   shopper_id=None, delivery_method=delivery, note=note, idempotency_key=key,
                                   source="api", request_hash=digest, key_checked=True)
        return queries.order_view(order, timeline=True)

    from app.blueprints.logistics.freight import Undeliverable

    try:
        return jsonify(_guest_body(committed(place))), 201
    except Undeliverable as err:   # rolled back by `committed`
        raise ApiError(422, "undeliverable", err.message, "address.region_code")


def _lookup_key() -> str:
    """Failed look-ups count per order number (and store), whichever address they come from and
    whether they come through the API (JSON) or the shop's look-up page (a form)."""
    if request.is_json:
        data = request.get_json(silent=True)
        number = data.get("number") if isinstance(data, dict) else None
    else:
        number = request.form.get("number")
    return f"guest-lookup:{current_store().id}:{number.strip()[:24] if isinstance(number, str) else ''}"


def _not_found(response) -> bool:
    return response.status_code == 404


# One pair of buckets for the API's look-up and the shop's look-up page (storefront.order_lookup),
# so that neither lets a client guess numbers and phones while the other is locked.
lookup_ip_limit = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_IP"], scope="guest-lookup-ip",
                                       methods=["POST"], override_defaults=False, deduct_when=_not_found)
lookup_number_limit = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"],
                                           scope="guest-lookup-number", key_func=_lookup_key, methods=["POST"],
                                           override_defaults=False, deduct_when=_not_found)


@api.route("/guest/orders/lookup", methods=["POST"])
@public
@lookup_ip_limit
@lookup_number_limit
def guest_lookup():
    """Find a guest order by its number and the phone given at checkout: the order and its guest token."""
    data = _json()
    number, phone = _str(data, "number", 24).strip(), _str(data, "phone", 40)
    order = orders.guest_order(number, phone)
    if order is None:
        raise ApiError(404, "not_found", "No order with this number and phone.")
    return jsonify(_guest_body(queries.order_view(order, timeline=True)))


@api.route("/guest/orders/<number>")
@guest_token
def guest_order(number):
    return jsonify(_guest_body(queries.order_view(g.guest_order, timeline=True)))


@api.route("/guest/orders/<number>/pay", methods=["POST"])
@guest_token
def guest_pay(number):
    """Start paying a guest order, as POST orders/{number}/pay; the payer comes back to the
    order's guest page."""
    from app.blueprints.payments.gateway_views import begin

    order, data = g.guest_order, _json()
    gateway, method = _str(data, "gateway", limit=20), ""
    if gateway == "wechat":
        method = _str(data, "method", limit=10, required=False) or "h5"
        if method not in ("native", "h5", "jsapi"):
            raise ApiError(422, "bad_value", "method must be native, h5 or jsapi.", "method")
    openid = _str(data, "openid", limit=128, required=False) if method == "jsapi" else ""
    if openid:
        payment, jsapi = _wechat_jsapi(order, openid)
        return jsonify(payment=payment.number, amount=payment.amount, currency=payment.currency,
                       gateway=payment.gateway, redirect_url=None, code_url=None, jsapi=jsapi), 201
    back = url_for("storefront.guest_order", number=order.number, _external=True)
    payment, result = begin(order, gateway, method, back)
    return jsonify(payment=payment.number, amount=payment.amount, currency=payment.currency, gateway=payment.gateway,
                   redirect_url=result.redirect_url, client_secret=result.context.get("client_secret"),
                   publishable_key=result.context.get("publishable_key"), code_url=result.context.get("code_url"),
                   jsapi=None), 201


# --- the OpenAPI document --------------------------------------------------------------------------

_GUEST = [{"guest": []}]
_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 24}}
_FORBIDDEN = {"403": _doc(_ref("Error"), "guest_checkout_off: the shop sells to signed-in shoppers only")}
_TOKEN_ERRORS = {
    "401": _doc(_ref("Error"), "token_expired: this order's guest token expired; look the order up again"),
    "404": _doc(_ref("Error"), "not_found: no guest order with this number, or no, a wrong or another order's "
                               "guest token (the same answer, so that it tells nothing of which numbers exist)")}
_ITEMS = {"type": "array", "minItems": 1, "maxItems": 50, "items": {
    "type": "object", "required": ["sku_id", "quantity"], "properties": {
        "sku_id": {"type": "integer", "minimum": 1}, "quantity": {"type": "integer", "minimum": 1, "maximum": 99}}}}
SPEC["components"]["securitySchemes"]["guest"] = {
    "type": "http", "scheme": "bearer",
    "description": "A guest token: guest_token from POST guest/checkout or POST guest/orders/lookup, for that order"}
SPEC["components"]["schemas"].update({
    "GuestCheckout": {"type": "object", "required": ["items", "address"], "properties": {
        "items": _ITEMS, "address": _ref("AddressInput"),
        "email": {"type": "string", "maxLength": 254, "description": "Optional: where the order's news goes"},
        "delivery_method": {"type": "string", "enum": ["express", "pickup"]},
        "note": {"type": "string", "maxLength": 500}}},
    "GuestQuoteInput": {"type": "object", "required": ["items"], "properties": {
        "items": _ITEMS, "region_code": {"type": "string", "pattern": "^[0-9]{6}$",
                                         "description": "In the mainland (required there): a district (leaf) code "
                                                        "of GET regions"},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$", "default": "CN",
                    "description": "ISO 3166 alpha-2; another than CN where the shop ships abroad"},
        "delivery_method": {"type": "string", "enum": ["express", "pickup"]}}},
    "GuestLookup": {"type": "object", "required": ["number", "phone"], "properties": {
        "number": {"type": "string", "maxLength": 24}, "phone": {"type": "string", "maxLength": 40,
                                                                 "description": "The phone given at checkout"}}},
    "GuestOrder": {"allOf": [_ref("Order"), {"type": "object", "required": ["guest_token", "token_type"], "properties": {
        "guest_token": {"type": "string", "description": "Bearer token for GET and pay of this order"},
        "token_type": {"type": "string", "enum": ["Bearer"]}, "expires_in": {"type": "integer"}}}]},
})
SPEC["paths"].update({
    "/api/v1/shop/{slug}/guest/checkout/quote": {"post": _op(
        "quoteGuestCheckout", "Goods, freight and total for SKUs to a district, without an account",
        _doc(_ref("CheckoutQuote")), body=_ref("GuestQuoteInput"), extra=_FORBIDDEN)},
    "/api/v1/shop/{slug}/guest/checkout": {"post": _op(
        "guestCheckout", "Place an order without an account (where the shop allows it)",
        _doc(_ref("GuestOrder"), "Created"), body=_ref("GuestCheckout"), status="201",
        params=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 80}}],
        extra={**_FORBIDDEN, "409": _doc(_ref("Error"), "The idempotency key was used for a different order")})},
    "/api/v1/shop/{slug}/guest/orders/lookup": {"post": _op(
        "lookUpGuestOrder", "Find a guest order by its number and the phone given (the same 404 for either wrong)",
        _doc(_ref("GuestOrder")), body=_ref("GuestLookup"))},
    "/api/v1/shop/{slug}/guest/orders/{number}": {"get": {
        **_op("getGuestOrder", "A guest order with its timeline and shipments", _doc(_ref("GuestOrder")),
              params=[_NUMBER], extra=_TOKEN_ERRORS), "security": _GUEST}},
    "/api/v1/shop/{slug}/guest/orders/{number}/pay": {"post": {
        **_op("payGuestOrder", "Start paying a guest order", _doc(_ref("PaymentStart"), "Created"),
              body=_ref("PayInput"), status="201", params=[_NUMBER],
              extra={**_TOKEN_ERRORS, "502": _doc(_ref("Error"), "The payment gateway did not answer")}),
        "security": _GUEST}},
})

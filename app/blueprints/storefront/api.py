"""The storefront JSON API at /api/v1/shop/<slug>/ (documented in /api/v1/openapi.json).

Shoppers authenticate with a bearer token from POST /auth/token. Errors are
``{"error": {"code", "message", "field"}}`` with a 4xx status; bad input changes nothing.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, jsonify, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.blueprints.auth import services as auth
from app.blueprints.catalog import queries as catalog
from app.blueprints.logistics import queries as logistics
from app.blueprints.members import services as members
from app.blueprints.orders import services as orders
from app.blueprints.payments.gateways import GatewayError
from app.blueprints.storefront import queries
from app.core import regions
from app.core.errors import DomainError, retry_after
from app.core.formview import commit, committed
from app.core.retry import in_transaction
from app.core.permissions import public
from app.core.security import password_fingerprint
from app.core.tenancy import StoreBlueprint, current_store
from app.extensions import csrf, db, limiter

api = StoreBlueprint("shop_api", __name__, base="/api/v1/shop")
csrf.exempt(api)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(api)
TOKEN_AGE = 30 * 86400


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        self.status, self.code, self.message, self.field = status, code, message, field


@api.errorhandler(ApiError)
def _api_error(err: ApiError):
    return jsonify(error={"code": err.code, "message": err.message, "field": err.field}), err.status


@api.errorhandler(GatewayError)
def _gateway_error(err: GatewayError):
    db.session.rollback()
    return jsonify(error={"code": "gateway_unavailable", "field": None,
                          "message": "The payment service did not answer. Try again in a moment."}), 502


@api.errorhandler(DomainError)
def _domain_error(err: DomainError):
    status = 409 if isinstance(err, orders.IdempotencyConflict) else 422
    code = "idempotency_conflict" if status == 409 else type(err).__name__.lower()
    db.session.rollback()
    return jsonify(error={"code": code, "message": err.message, "field": err.field}), status


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="houtai.api")


def shopper_token(fn):
    """Bearer-token shoppers only; the token is bound to this store and dies with a password change."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise ApiError(401, "unauthorized", "Send Authorization: Bearer <token> from POST /auth/token.")
        try:
            data = _serializer().loads(header[7:], max_age=TOKEN_AGE)
        except SignatureExpired:
            raise ApiError(401, "token_expired", "The token expired; ask for a new one.")
        except BadSignature:
            raise ApiError(401, "bad_token", "The token is not valid.")
        member = members.member(data.get("m")) if data.get("s") == current_store().id else None
        if member is None or not member.is_active or password_fingerprint(member.password_hash) != data.get("f"):
            raise ApiError(401, "bad_token", "The token is not valid.")
        g.member = member
        return fn(*args, **kwargs)

    wrapper.permission = "shopper"
    return wrapper


def _json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "Send a JSON object body.")
    return data


def _int(value, field: str, low: int = 1, high: int = 10 ** 9) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiError(422, "bad_value", f"{field} must be a whole number from {low} to {high}.", field)
    return value


def _page() -> int:
    """The `page` query parameter, 1 to 10000."""
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 10000:
        raise ApiError(422, "bad_value", "page must be a whole number from 1 to 10000.", "page")
    return int(page)


def _str(data: dict, field: str, limit: int = 200, required: bool = True) -> str:
    value = data.get(field, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise ApiError(422, "bad_value", f"{field} must be a text of 1 to {limit} characters.", field)
    return value


# --- auth --------------------------------------------------------------------------------------

@api.route("/auth/register", methods=["POST"])
@public
def register():
    data = _json()
    email, password = _str(data, "email", 254), _str(data, "password", 200)
    member = committed(lambda: members.register(email, password, data.get("name") or "", data.get("phone") or ""))
    return jsonify(_token_body(member)), 201


def _token_account_key() -> str:
    """Wrong passwords count per account (and store), whichever address they come from."""
    data = request.get_json(silent=True)
    email = data.get("email") if isinstance(data, dict) else None
    email = email.strip().lower()[:254] if isinstance(email, str) else ""
    return f"api-login:{current_store().id}:{email}"


@api.errorhandler(429)
def _too_many(err):
    """Two kinds of limit answer 429 here: the lockouts of POST auth/token and POST
    guest/orders/lookup (their limits count only failed attempts) and the API's request limit
    per client. Both say when to retry."""
    limit = getattr(err, "limit", None)
    wait = retry_after(err)
    if limit is not None and limit.deduct_when is None:
        body = {"code": "rate_limited", "field": None,
                "message": f"Too many requests to this shop's API (the limit is {limit.limit}). "
                           f"Wait {wait} seconds and try again."}
    elif request.endpoint == "shop_api.guest_lookup":
        body = {"code": "too_many_attempts", "field": None,
                "message": "Too many look-ups with a wrong number or phone. Wait a few minutes and try again."}
    else:
        body = {"code": "too_many_attempts", "field": None,
                "message": "Too many sign-in attempts. Wait a few minutes and try again."}
    return jsonify(error=body), 429, {"Retry-After": str(wait)}


@api.route("/auth/token", methods=["POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_IP"], override_defaults=False,
               deduct_when=lambda response: response.status_code == 401)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"], key_func=_token_account_key, override_defaults=False,
               deduct_when=lambda response: response.status_code == 401)
def token():
    data = _json()
    email, password = _str(data, "email", 254), _str(data, "password", 200)

    def sign_in():
        member = auth.authenticate("shopper", email, password)
        if member is None:   # rolled back: a wrong password changes nothing
            raise ApiError(401, "bad_credentials", "The email or password is wrong.")
        return member

    return jsonify(_token_body(committed(sign_in)))


@api.route("/auth/sms/code", methods=["POST"])
@public
def sms_code():
    """Text a sign-in code to a mainland mobile number (limits per phone and per client
    address answer 429 with Retry-After)."""
    from app.blueprints.members import phone_sign_in
    from app.core.sms import SmsError, sender

    phone = _str(_json(), "phone", 40)
    try:
        sent = committed(lambda: phone_sign_in.send_sign_in_code(phone, request.remote_addr or "unknown"))
    except phone_sign_in.TooManyCodes as err:
        return jsonify(error={"code": "too_many_codes", "message": err.message, "field": "phone"}), 429, {
            "Retry-After": str(err.retry_after)}
    try:
        provider_id = sender().send_code(sent.phone, sent.code)
    except SmsError:
        raise ApiError(503, "sms_failed", "The text message could not be sent. Try again later.", "phone") from None
    commit(lambda: phone_sign_in.record_delivery(sent.code_id, provider_id))
    return jsonify(phone=phone_sign_in.masked(sent.phone), expires_in=sent.expires_in, resend_in=sent.resend_in), 202


@api.route("/auth/sms/token", methods=["POST"])
@public
def sms_token():
    """A bearer token for the code texted to the phone; a new phone gets a new member."""
    from app.blueprints.members import phone_sign_in

    data = _json()
    phone, code = _str(data, "phone", 40), _str(data, "code", 6)
    check = committed(lambda: phone_sign_in.sign_in_with_code(phone, code))   # a wrong try is kept: it counts
    if check.member is None:
        raise ApiError(401, "bad_code", check.error, "code")
    return jsonify({**_token_body(check.member), "created": check.created}), 201 if check.created else 200


def _token_body(member) -> dict:
    token = _serializer().dumps({"s": current_store().id, "m": member.id, "f": password_fingerprint(member.password_hash)})
    return {"token": token, "token_type": "Bearer", "expires_in": TOKEN_AGE}


# --- catalogue ---------------------------------------------------------------------------------

def _product_summary(p) -> dict:
    return {"id": p.id, "title": p.title, "subtitle": p.subtitle, "min_price": p.min_price, "max_price": p.max_price,
            "currency": current_store().currency, "image": p.image}


@api.route("/products")
@public
def products():
    q = (request.args.get("q") or "")[:100]
    category = request.args.get("category", "")
    if category and (not category.isdigit() or len(category) > 9):
        raise ApiError(422, "bad_value", "category must be a category id.", "category")
    page = _page()
    rows, total = queries.products(q=q, category_id=int(category) if category else None, page=page)
    return jsonify(items=[_product_summary(p) for p in rows], total=total, page=page, per_page=queries.PER_PAGE)


@api.route("/products/<int:id>")
@public
def product(id):
    page = queries.product_page(id)
    if page is None:
        raise ApiError(404, "not_found", "No such product on sale.")
    p, stock = page.product, page.stock
    return jsonify({**_product_summary(p), "images": [i.key for i in p.images], "description_html": p.description_html,
                    "skus": [{"id": s.id, "code": s.code, "options": s.options, "price": s.sale_price,
                              "list_price": s.list_price, "available": stock.get(s.id, 0)} for s in p.skus]})


# --- cart, addresses, checkout, orders ------------------------------------------------------------

def _cart_body(member_id: int, level: str | None) -> dict:
    from app.blueprints.promotions import queries as promotions

    items = members.cart_of(member_id)
    skus = catalog.sku_snapshots(items)
    sellable = {sku_id: q for sku_id, q in items.items() if sku_id in skus and skus[sku_id].sellable}
    return {"items": [{"sku_id": sku_id, "quantity": quantity, "code": skus[sku_id].code if sku_id in skus else None,
                       "price": skus[sku_id].sale_price if sku_id in skus else None} for sku_id, quantity in items.items()],
            "pricing": _pricing_body(promotions.cart_breakdown(sellable, member_id, level, skus=skus))
            if sellable else None}


def _pricing_body(b: dict | None) -> dict | None:
    """The pricing pipeline's explanation: every rule applied in order with its amount, every
    rule skipped with its reason (code and words), each line's share of the discounts."""
    if b is None:
        return None
    return {"goods_total": b["goods_total"], "discount_total": b["discount_total"],
            "shipping_fee": b["shipping_fee"], "shipping_discount": b["shipping_discount"],
            "points_used": b["points_used"], "payable": b["payable"],
            "applied": [{"rule": a["key"], "name": a["name"], "kind": a["kind"], "stage": a["stage"],
                         "stage_label": a["stage_label"], "amount": a["amount"]} for a in b["applied"]],
            "skipped": [{"rule": x["key"], "name": x["name"], "stage": x["stage"], "reason": x["reason"],
                         "reason_label": x["reason_label"]} for x in b["skipped"]],
            "lines": [{"sku_id": l["sku_id"], "quantity": l["quantity"], "unit_price": l["unit_price"],
                       "discount": l["discount"], "paid": l["paid"],
                       "steps": [{"rule": st["key"], "amount": st["amount"]} for st in l["steps"]]}
                      for l in b["lines"]]}


@api.route("/cart")
@shopper_token
def cart():
    return jsonify(_cart_body(g.member.id, None))


@api.route("/cart/items", methods=["PUT"])
@shopper_token
def cart_item():
    data = _json()
    sku_id = _int(data.get("sku_id"), "sku_id")
    quantity = _int(data.get("quantity"), "quantity", 0, members.MAX_CART_QUANTITY)
    sku = catalog.sku_snapshots([sku_id]).get(sku_id)
    if sku is None or not sku.enabled:
        raise ApiError(404, "not_found", "No such SKU.", "sku_id")
    member_id, allowed = g.member.id, min(quantity, queries.cart_limit(sku_id))   # never more than can be bought
    level = None   # the member center gives the level (pricing reads it)
    commit(lambda: members.set_cart_line(member_id, sku_id, allowed))
    body = _cart_body(member_id, level)
    if allowed < quantity:
        body["notice"] = f"Only {allowed} of SKU {sku.code} can be bought now; the cart holds {allowed}."
    return jsonify(body)


def _address_body(a) -> dict:
    return {"id": a.id, **a.as_dict(), "is_default": a.is_default}


@api.route("/regions")
@public
def region_list():
    """China's divisions under `parent` (the provinces without it): the address cascade."""
    parent = request.args.get("parent", "")
    if parent and not regions.valid(parent):
        raise ApiError(422, "bad_value", "parent must be a six-digit region code from this list.", "parent")
    return jsonify(items=[{"code": r.code, "name": r.name(), "leaf": not r.children} for r in regions.children(parent)])


@api.route("/addresses")
@shopper_token
def addresses():
    return jsonify(items=[_address_body(a) for a in members.addresses(g.member.id)])


@api.route("/addresses", methods=["POST"])
@shopper_token
def address_add():
    data = _json()
    values = {f: data.get(f) if isinstance(data.get(f), str) else "" for f in members.ADDRESS_INPUT}
    member = g.member
    address = committed(lambda: members.save_address(member, {**values, "is_default": data.get("is_default") is True}))
    return jsonify(_address_body(address)), 201


def _order_body(o, timeline: bool = False) -> dict:
    """An order snapshot (storefront.queries) as the API shows it."""
    body = {"number": o.number, "status": o.status, "type": o.order_type, "currency": o.currency,
            "goods_total": o.goods_total, "discount_total": o.discount_total, "shipping_fee": o.shipping_fee,
            "tax_total": o.tax_total, "payable": o.payable, "created_at": o.created_at.isoformat(),
            "payment_deadline": o.payment_deadline.isoformat() if o.payment_deadline else None,
            "address": o.address,
            "lines": [{"id": l.id, "sku_id": l.sku_id, "sku_code": l.sku_code, "title": l.title, "options": l.options,
                       "unit_price": l.unit_price, "quantity": l.quantity, "discount": l.discount} for l in o.lines]}
    if timeline:
        from app.blueprints.promotions import queries as promotions

        body["pricing"] = _pricing_body(promotions.order_breakdown_by_number(o.number))
        body["timeline"] = [{"at": e.at.isoformat(), "status": e.to_status, "reason": e.reason} for e in o.timeline]
        body["shipments"] = [_shipment_body(s) for s in logistics.shipments_for_order_number(o.number)]
    return body


def _shipping_body(preview) -> dict:
    shipping = preview.shipping
    body = {"goods_total": preview.goods_total, "discount_total": preview.discount_total,
            "shipping_fee": preview.shipping_payable, "tax_total": preview.tax_total,
            "payable": preview.payable, "currency": current_store().currency, "shipping_source": shipping.source,
            "freight": [{"template": g.template_name, "basis": g.basis, "units": g.units, "pieces": g.pieces,
                         "free": g.free, "fee": g.charged} for g in (shipping.quote.groups if shipping.quote else ())]}
    if preview.tax is not None:
        a = preview.tax.assessment
        body["tax"] = {"regime": a.regime, "reason": a.reason or None, "dutiable": a.dutiable, "duty": a.duty,
                       "consumption_tax": a.consumption, "vat": a.vat, "total": a.total,
                       "year_limit_checked": preview.tax.payer_checked}
    return body


def _payer_of(data: dict) -> dict | None:
    """The `payer` object of a cross-border checkout: {name, id_number}."""
    payer = data.get("payer")
    if payer is None:
        return None
    if not isinstance(payer, dict) or not all(isinstance(payer.get(k, ""), str) for k in ("name", "id_number")):
        raise ApiError(422, "bad_value", "payer is an object with name and id_number (texts).", "payer")
    return {"name": payer.get("name", ""), "id_number": payer.get("id_number", ""), "phone": g.member.phone or ""}


_PAYER_FIELDS = {"payer_name": "payer.name", "payer_id_number": "payer.id_number"}


@api.route("/checkout/quote", methods=["POST"])
@shopper_token
def checkout_quote():
    """What POST checkout would charge for the cart to this address (or region) and delivery
    method, before the order is placed: goods, freight, total. Nothing is reserved."""
    data = _json()
    items = members.cart_of(g.member.id)
    if not items:
        raise ApiError(422, "empty_cart", "The cart is empty.")
    delivery = delivery_method(data)
    if data.get("address_id") is not None:
        address = members.address_of(g.member.id, _int(data.get("address_id"), "address_id"))
        if address is None:
            raise ApiError(422, "bad_value", "address_id must be one of your addresses.", "address_id")
        region_code, field = address.region_code, "address_id"
    else:
        region_code, field = data.get("region_code"), "region_code"
        if not isinstance(region_code, str) or not regions.is_leaf(region_code):
            raise ApiError(422, "bad_value", "Send address_id, or region_code: a six-digit district code "
                                             "(a leaf of GET regions).", "region_code")
    payer = _payer_of(data)
    from app.blueprints.crossborder import services as crossborder

    if payer is not None and crossborder.enabled():       # a payer's mistake is named as such
        try:
            crossborder.check_payer(payer["name"], payer["id_number"])
        except DomainError as err:
            raise ApiError(422, "bad_value", err.message, _PAYER_FIELDS.get(err.field, "payer"))
    coupon_ids, points = _coupon_ids(data), _points(data)
    preview = orders.preview_checkout(items, region_code, delivery, shopper_id=g.member.id, payer=payer,
                                      coupon_ids=coupon_ids, points=points)
    if preview.error:
        raise ApiError(422, "undeliverable", preview.error, field)
    from app.blueprints.promotions import queries as promotions

    body = _shipping_body(preview)
    body["pricing"] = _pricing_body(promotions.describe(preview.priced))
    return jsonify(body)


def _coupon_ids(data: dict) -> tuple[int, ...]:
    raw = data.get("coupon_ids", [])
    if not isinstance(raw, list) or len(raw) > 5 or not all(isinstance(c, int) and 0 < c < 2 ** 62 for c in raw):
        raise ApiError(422, "bad_value", "coupon_ids is a list of at most 5 coupon ids from GET coupons.", "coupon_ids")
    return tuple(raw)

def _points(data: dict) -> int:
    """The points the shopper pays with (0: none); more than the balance is refused."""
    raw = data.get("points", 0)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= 10_000_000:
        raise ApiError(422, "bad_value", "points is a whole number of points, 0 or more.", "points")
    if raw:
        from app.blueprints.members import queries as member_queries

        balance = member_queries.points_balance(g.member.id)
        if raw > balance:
            raise ApiError(422, "bad_value", f"You have {balance} points.", "points")
    return raw


def _shipment_body(s) -> dict:
    """A shipment (logistics.queries.ShipmentView) with its tracking, newest event first."""
    return {"number": s.number, "carrier": {"code": s.carrier_code, "name": s.carrier_name}, "waybill_no": s.waybill_no,
            "status": s.status, "status_label": s.status_label, "shipped_at": s.shipped_at.isoformat(),
            "signed_at": s.signed_at.isoformat() if s.signed_at else None,
            "lines": [{"order_line_id": l.get("order_line_id"), "sku_id": l.get("sku_id"), "quantity": l.get("quantity")}
                      for l in s.lines],
            "events": [{"at": e.at.isoformat(), "status": e.status, "status_label": e.status_label,
                        "description": e.description, "location": e.location} for e in s.events]}


def idempotency_key() -> str | None:
    """The request's Idempotency-Key header (None without one); longer than the orders' column
    holds is a 422. The key is stored on the order it placed (`orders.order_for_key` finds it)."""
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 80:
        raise ApiError(422, "bad_value", "Idempotency-Key is at most 80 characters.", "Idempotency-Key")
    return key


def delivery_method(data: dict) -> str:
    """`delivery_method` of a checkout body: express (the default) or pickup."""
    delivery = data.get("delivery_method", "express")
    if delivery not in orders.DELIVERY_METHODS:
        raise ApiError(422, "bad_value", "delivery_method is express or pickup.", "delivery_method")
    return delivery


def order_note(data: dict) -> str:
    """`note` of a checkout body: the shopper's words to the shop, at most 500 characters."""
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > 500:
        raise ApiError(422, "bad_value", "note is a text of at most 500 characters.", "note")
    return note


@api.route("/checkout", methods=["POST"])
@shopper_token
def checkout():
    """Place an order from the cart. Send an Idempotency-Key header to make retries safe: a
    retry with the same key and body answers with the first order (also after the cart
    emptied, also when retries arrive at once); the same key with another body is a 409."""
    data = _json()
    key = idempotency_key()
    digest = orders.fingerprint(api="checkout", body=data)
    existing = orders.order_for_key(g.member.id, key, digest)
    if existing is not None:
        return jsonify(_order_body(queries.order_view(existing))), 201, {"Idempotent-Replayed": "true"}
    items = members.cart_of(g.member.id)
    if not items:
        raise ApiError(422, "empty_cart", "The cart is empty.")
    address = members.address_of(g.member.id, _int(data.get("address_id"), "address_id"))
    if address is None:
        raise ApiError(422, "bad_value", "address_id must be one of your addresses.", "address_id")
    delivery = delivery_method(data)
    note = order_note(data)
    coupon_ids, points = _coupon_ids(data), _points(data)
    member_id, shopper = g.member.id, {"name": g.member.name, "email": g.member.email, "phone": g.member.phone}
    address, payer = address.as_dict(), _payer_of(data)

    def place():
        order = orders.place_order([orders.LineRequest(s, q) for s, q in items.items()], address, shopper=shopper,
                                   shopper_id=member_id, delivery_method=delivery, note=note, idempotency_key=key,
                                   source="api", request_hash=digest, key_checked=True, payer=payer,
                                   coupon_ids=coupon_ids, points=points)
        members.clear_cart(member_id, items)
        return queries.order_view(order)   # taken before the commit: nothing to read again

    from app.blueprints.logistics.freight import Undeliverable

    try:
        return jsonify(_order_body(committed(place))), 201
    except Undeliverable as err:   # rolled back by `committed`
        raise ApiError(422, "undeliverable", err.message, "address_id")
    except DomainError as err:   # rolled back by `committed` too
        if err.field not in _PAYER_FIELDS:
            raise
        raise ApiError(422, "bad_value", err.message, _PAYER_FIELDS[err.field])


@api.route("/orders")
@shopper_token
def order_list():
    page = _page()
    rows, total = queries.my_orders(g.member.id, page=page)
    return jsonify(items=[_order_body(o) for o in rows], total=total, page=page,
                   pages=max(1, -(-total // queries.ORDERS_PER_PAGE)))


def _own(number: str):
    order = orders.shopper_order(g.member.id, number)
    if order is None:
        raise ApiError(404, "not_found", "No such order.")
    return order


@api.route("/orders/<number>")
@shopper_token
def order_detail(number):
    order = queries.my_order(g.member.id, number)
    if order is None:
        raise ApiError(404, "not_found", "No such order.")
    return jsonify(_order_body(order, timeline=True))


@api.route("/orders/<number>/cancel", methods=["POST"])
@shopper_token
def order_cancel(number):
    def cancel():
        order = _own(number)
        orders.cancel_order(None, order, "cancelled by the shopper (API)")
        return order

    return jsonify(_order_body(queries.order_view(committed(cancel))))


@api.route("/payment-methods")
@public
def payment_methods():
    from app.blueprints.payments import accounts
    from app.blueprints.payments.gateways import registry

    return jsonify(items=[{"code": name, "label": str(registry()[name].label)} for name in accounts.enabled_gateways()])


@api.route("/orders/<number>/pay", methods=["POST"])
@shopper_token
def order_pay(number):
    """Start a payment: the answer says where to send the payer (`redirect_url`), or, for Stripe,
    the PaymentIntent's `client_secret` and the publishable key for Stripe.js."""
    from app.blueprints.payments.gateway_views import begin

    order = _own(number)
    data = _json()
    gateway = _str(data, "gateway", limit=20)
    method = ""
    if gateway == "wechat":
        method = _str(data, "method", limit=10, required=False) or "h5"
        if method not in ("native", "h5", "jsapi"):
            raise ApiError(422, "bad_value", "method must be native, h5 or jsapi.", "method")
    openid = _str(data, "openid", limit=128, required=False) if method == "jsapi" else ""
    if openid:      # a client that knows the payer's openid (a mini program) skips the OAuth step
        payment, jsapi = _wechat_jsapi(order, openid)
        return jsonify(payment=payment.number, amount=payment.amount, currency=payment.currency,
                       gateway=payment.gateway, redirect_url=None, code_url=None, jsapi=jsapi), 201
    payment, result = begin(order, gateway, method)
    return jsonify(payment=payment.number, amount=payment.amount, currency=payment.currency, gateway=payment.gateway,
                   redirect_url=result.redirect_url, client_secret=result.context.get("client_secret"),
                   publishable_key=result.context.get("publishable_key"), code_url=result.context.get("code_url"),
                   jsapi=None), 201


def _wechat_jsapi(order, openid: str):
    """A WeChat Pay JSAPI attempt for a payer whose openid the client already has: (payment,
    the parameters for getBrandWCPayRequest / wx.requestPayment)."""
    from app.blueprints.payments import accounts, services as payment_services

    payment = committed(lambda: payment_services.start_payment(order, "wechat", "jsapi"))
    gateway = accounts.gateway("wechat")
    notify = url_for("payment_notify.notify", slug=current_store().slug, gateway="wechat", _external=True)
    return payment, committed(lambda: gateway.jsapi(payment, order, openid, notify))


# --- after-sales ---------------------------------------------------------------------------------

MAX_IMAGE_TEXT = 7 * 1024 * 1024   # base64 of a 5 MB photo


def _aftersales_body(r) -> dict:
    """An after-sales request (aftersales.queries.RequestView) as the API shows it."""
    body = {"number": r.number, "order_number": r.order_number, "kind": r.kind, "status": r.status,
            "status_label": r.status_label, "outcome": r.outcome, "reason": r.reason, "currency": r.currency,
            "amount": r.amount, "shipping_refund": r.shipping_refund, "refunded": r.refunded,
            "reject_reason": r.reject_reason, "return_address": r.return_address,
            "return_carrier": r.return_carrier, "return_waybill": r.return_waybill,
            "ship_back_due_at": r.ship_back_due_at.isoformat() if r.ship_back_due_at else None,
            "created_at": r.created_at.isoformat(), "photos": len(r.evidence_ids),
            "lines": [{"order_line_id": l.order_line_id, "sku_code": l.sku_code, "title": l.title,
                       "quantity": l.quantity, "amount": l.amount, "exchange_sku_code": l.exchange_sku_code}
                      for l in r.lines]}
    if r.timeline:
        body["timeline"] = [{"at": e.at.isoformat(), "status": e.to_status, "reason": e.reason} for e in r.timeline]
    return body


def _own_request(number: str):
    from app.blueprints.aftersales import queries as aftersales

    view = aftersales.shopper_request(g.member.id, number)
    if view is None:
        raise ApiError(404, "not_found", "No such after-sales request.")
    return view


@api.route("/aftersales/reasons")
@shopper_token
def aftersales_reasons():
    from app.blueprints.aftersales import services as aftersales

    return jsonify(items=[{"id": r.id, "name": aftersales.reason_label(r),
                           "return_shipping_payer": r.return_shipping_payer} for r in aftersales.reasons()])


@api.route("/aftersales")
@shopper_token
def aftersales_list():
    from app.blueprints.aftersales import queries as aftersales

    page = _page()
    rows, total = aftersales.shopper_requests(g.member.id, page)
    return jsonify(items=[_aftersales_body(r) for r in rows], total=total, page=page, pages=max(1, -(-total // 20)))


@api.route("/aftersales", methods=["POST"])
@shopper_token
def aftersales_create():
    """Ask for a refund, a return or an exchange of some units of an order's lines."""
    import base64
    import binascii

    from app.blueprints.aftersales import queries as aftersales_queries, services as aftersales

    data = _json()
    number = _str(data, "order_number", limit=24)
    kind = _str(data, "kind", limit=20)
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines or len(lines) > 50 or not all(isinstance(l, dict) for l in lines):
        raise ApiError(422, "bad_value", "lines must be a list of {order_line_id, quantity}.", "lines")
    quantities, exchange = {}, {}
    for line in lines:
        line_id = _int(line.get("order_line_id"), "order_line_id", 1, 2 ** 62)
        quantities[line_id] = _int(line.get("quantity"), "quantity", 1, 9999)
        if line.get("exchange_sku_id") is not None:
            exchange[line_id] = _int(line.get("exchange_sku_id"), "exchange_sku_id", 1, 2 ** 31 - 1)
    reason_id = _int(data.get("reason_id"), "reason_id", 1, 2 ** 31 - 1)
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > 1000:
        raise ApiError(422, "bad_value", "description must be a text of up to 1000 characters.", "description")
    images = data.get("images", [])
    if not isinstance(images, list) or len(images) > aftersales.MAX_IMAGES or not all(
            isinstance(i, str) and len(i) <= MAX_IMAGE_TEXT for i in images):
        raise ApiError(422, "bad_value", "images must be up to 6 base64 texts of at most 5 MB pictures.", "images")
    try:
        photos = tuple(base64.b64decode(i, validate=True) for i in images)
    except (binascii.Error, ValueError):
        raise ApiError(422, "bad_value", "images must be base64 texts.", "images")
    ask = aftersales.Ask(kind, quantities, reason_id, description, photos, exchange)
    req = committed(lambda: aftersales.create_request(g.member, g.member.id, number, ask))
    return jsonify(_aftersales_body(aftersales_queries.shopper_request(g.member.id, req.number))), 201


@api.route("/aftersales/<number>")
@shopper_token
def aftersales_detail(number):
    return jsonify(_aftersales_body(_own_request(number)))


@api.route("/aftersales/<number>/cancel", methods=["POST"])
@shopper_token
def aftersales_cancel(number):
    from app.blueprints.aftersales import services as aftersales

    def cancel():
        req = aftersales.shopper_request(g.member.id, number, lock=True)
        if req is None:
            raise ApiError(404, "not_found", "No such after-sales request.")
        aftersales.cancel(g.member, req)

    committed(cancel)
    return jsonify(_aftersales_body(_own_request(number)))


@api.route("/aftersales/<number>/return-waybill", methods=["POST"])
@shopper_token
def aftersales_waybill(number):
    """The shopper sent the goods back: the carrier's code and the waybill number."""
    from app.blueprints.aftersales import services as aftersales

    _own_request(number)          # another shopper's request is not found, whatever the body
    data = _json()
    carrier, waybill = _str(data, "carrier", limit=32), _str(data, "waybill_no", limit=40)

    def send():
        req = aftersales.shopper_request(g.member.id, number, lock=True)
        if req is None:
            raise ApiError(404, "not_found", "No such after-sales request.")
        aftersales.send_back(g.member, req, carrier, waybill)

    committed(send)
    return jsonify(_aftersales_body(_own_request(number)))
# --- coupons --------------------------------------------------------------------------------------

def _coupon_body(c, t) -> dict:
    from app.blueprints.promotions import coupons

    return {"id": c.id, "template_id": t.id, "name": t.name, "kind": t.kind,
            "description": coupons.describe(t, current_store().currency), "status": c.status,
            "usable": coupons.usable(c), "valid_until": c.valid_until.isoformat() if c.valid_until else None}


@api.route("/coupons")
@shopper_token
def coupon_wallet():
    """The shopper's own coupons (another shopper's never show) and the coupons to claim now."""
    from app.blueprints.promotions import coupons

    held, currency = coupons.held_counts(g.member.id), current_store().currency
    return jsonify(wallet=[_coupon_body(c, t) for c, t in coupons.wallet(g.member.id)],
                   claimable=[{"template_id": t.id, "name": t.name, "description": coupons.describe(t, currency),
                               "left": t.quantity - t.issued, "claimed": held.get(t.id, 0),
                               "per_member_limit": t.per_member_limit} for t in coupons.claimable_templates()])


@api.route("/coupons/<int:id>/claim", methods=["POST"])
@shopper_token
def coupon_claim(id):
    from app.blueprints.promotions import coupons

    if not 0 < id < 2 ** 31 or coupons.template(id) is None:
        raise ApiError(404, "not_found", "No such coupon.")
    member_id = g.member.id

    def claim():
        coupon = coupons.claim_coupon(member_id, id)
        return _coupon_body(coupon, coupons.template(coupon.template_id))

    return jsonify(committed(claim)), 201

"""The OpenAPI 3 document of the storefront API, served at /api/v1/openapi.json."""
from __future__ import annotations

from flask import Blueprint, jsonify

from app.core.permissions import public

doc_bp = Blueprint("api_doc", __name__)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {str(code): _json(_ref("Error"), text) for code, text in (
    (400, "Bad request"), (401, "Not signed in"), (403, "Not allowed (the store is suspended)"), (404, "Not found"),
    (405, "Method not allowed"), (422, "Invalid input"))}
ERRORS["429"] = {**_json(_ref("Error"), "Too many requests (the API limit per client) or sign-in attempts"),
                 "headers": {"Retry-After": {"description": "Seconds until the limit lets requests through",
                                             "schema": {"type": "integer", "minimum": 1}}}}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9-]{3,40}$"}}
BEARER = [{"bearer": []}]


PRICING = {"type": "object", "required": ["goods_total", "discount_total", "payable", "applied", "skipped"],
                        "description": "The pricing pipeline's explanation: rules applied in order, rules skipped",
                        "properties": {
                            "goods_total": {"type": "integer"}, "discount_total": {"type": "integer"},
                            "shipping_fee": {"type": "integer"}, "shipping_discount": {"type": "integer"},
                            "points_used": {"type": "integer"}, "payable": {"type": "integer"},
                            "applied": {"type": "array", "items": _ref("PricingStep")},
                            "skipped": {"type": "array", "items": _ref("PricingSkip")},
                            "lines": {"type": "array", "items": _ref("PricingLine")}}}


def _nullable(schema: dict, description: str) -> dict:
    """`schema` (inlined, so that OpenAPI 3.0's nullable applies to it) or null."""
    return {**schema, "nullable": True, "description": description}


def _op(operation_id: str, summary: str, ok: dict, *, body: dict | None = None, params: list | None = None,
        secure: bool = False, status: str = "200", extra: dict | None = None) -> dict:
    op = {"operationId": operation_id, "summary": summary, "parameters": [SLUG, *(params or [])],
          "responses": {status: ok, **ERRORS, **(extra or {})}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if secure:
        op["security"] = BEARER
    return op


_REGION_CODE = {"type": "string", "pattern": "^[0-9]{6}$", "example": "440305",
                "description": "Six-digit GB/T 2260 administrative division code"}
_REGION_OUT = {"type": "string", "pattern": "^([0-9]{6})?$", "example": "440305",
               "description": "Six-digit GB/T 2260 code of the district (or city); empty on addresses from before regions"}

IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 80},
                   "description": "Makes retries safe: the same key and body answer with the first result "
                                  "(header Idempotent-Replayed: true); the same key with another body is a 409"}

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Houtai storefront API", "version": "1.0.0",
             "description": "Shopper API of one store. Amounts are integer minor units (fen for CNY)."},
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message", "field"],
                "properties": {
                    "code": {"type": "string", "description": "Stable machine-readable code",
                             "example": "bad_value"},
                    "message": {"type": "string", "description": "What went wrong and what to do, for people"},
                    "field": {"type": "string", "nullable": True,
                              "description": "The input (body field, query parameter or header) at fault, if one"},
                    "status": {"type": "integer", "description": "The HTTP status (pages outside the shop API)"},
                    "title": {"type": "string", "description": "A short title (pages outside the shop API)"},
                    "suspended": {"type": "boolean", "description": "The store is suspended"},
                    "permission": {"type": "string", "description": "The permission that was missing"}}}}},
            "ShippingAddress": {"type": "object", "required": ["name", "phone", "city", "street"], "properties": {
                f: {"type": "string", "maxLength": 120} for f in
                ("name", "phone", "province", "city", "district", "street", "postcode")} | {
                "region_code": _REGION_OUT,
                "country": {"type": "string", "description": "Only on an address abroad (ISO 3166 alpha-2)"}}},
            "OrderLine": {"type": "object",
                          "required": ["sku_id", "sku_code", "title", "unit_price", "quantity", "discount"],
                          "properties": {
                              "id": {"type": "integer", "description": "The line's id (after-sales requests name it)"},
                              "sku_id": {"type": "integer"}, "sku_code": {"type": "string"}, "title": {"type": "string"},
                              "options": _ref("SkuOptions"),
                              "unit_price": {"type": "integer", "description": "Minor units"},
                              "quantity": {"type": "integer", "minimum": 1},
                              "discount": {"type": "integer", "description": "This line's share of discounts"}}},
            "TimelineEntry": {"type": "object", "required": ["at", "status"], "properties": {
                "at": {"type": "string", "format": "date-time"},
                "status": {"type": "string", "nullable": True, "description": "The order's status after this step"},
                "reason": {"type": "string"}}},
            "SkuOptions": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Sales options by attribute name, e.g. {\"颜色\": \"红色\", \"尺码\": \"M\"}"},
            "Sku": {"type": "object", "required": ["id", "code", "options", "price", "available"], "properties": {
                "id": {"type": "integer"}, "code": {"type": "string"}, "options": _ref("SkuOptions"),
                "price": {"type": "integer", "nullable": True}, "list_price": {"type": "integer", "nullable": True},
                "available": {"type": "integer", "minimum": 0}}},
            "PaymentMethods": {"type": "object", "required": ["items"], "properties": {"items": {
                "type": "array", "items": {"type": "object", "required": ["code", "label"], "properties": {
                    "code": {"type": "string"}, "label": {"type": "string"}}}}}},
            "PayInput": {"type": "object", "required": ["gateway"], "properties": {
                "gateway": {"type": "string", "enum": ["sandbox", "alipay", "wechat", "stripe", "card"]},
                "method": {"type": "string", "enum": ["native", "h5", "jsapi"], "default": "h5",
                           "description": "WeChat Pay only: native (a QR code to show: code_url), h5 (a mobile "
                                          "browser: redirect_url) or jsapi (inside WeChat: redirect_url to the "
                                          "OAuth step, or the signed jsapi parameters at once given openid)"},
                "openid": {"type": "string", "maxLength": 128,
                           "description": "WeChat Pay jsapi only: the payer's openid in the store's app"}}},
            "WeChatJsapi": {"type": "object", "description": "Parameters for WeixinJSBridge getBrandWCPayRequest",
                            "required": ["appId", "timeStamp", "nonceStr", "package", "signType", "paySign"],
                            "properties": {k: {"type": "string"} for k in (
                                "appId", "timeStamp", "nonceStr", "package", "signType", "paySign")}},
            "PaymentStart": {"type": "object", "required": ["payment", "amount", "currency", "gateway"], "properties": {
                "payment": {"type": "string"}, "amount": {"type": "integer"}, "currency": {"type": "string"},
                "gateway": {"type": "string"}, "redirect_url": {"type": "string", "nullable": True},
                "client_secret": {"type": "string", "nullable": True},
                "publishable_key": {"type": "string", "nullable": True},
                "code_url": _nullable({"type": "string"}, "WeChat Pay native: the weixin:// link to show as a QR code"),
                "jsapi": {"allOf": [_ref("WeChatJsapi")], "nullable": True}}},
            "SmsCodeInput": {"type": "object", "required": ["phone"], "properties": {
                "phone": {"type": "string", "maxLength": 40, "example": "13800138000",
                          "description": "A mainland China mobile number (spaces, dashes and +86 allowed)"}}},
            "SmsCodeSent": {"type": "object", "required": ["phone", "expires_in", "resend_in"], "properties": {
                "phone": {"type": "string", "description": "The number, masked (138****8000)"},
                "expires_in": {"type": "integer", "description": "Seconds the code is valid"},
                "resend_in": {"type": "integer", "description": "Seconds before another code may be asked for"}}},
            "SmsSignIn": {"type": "object", "required": ["phone", "code"], "properties": {
                "phone": {"type": "string", "maxLength": 40}, "code": {"type": "string", "maxLength": 6,
                                                                       "pattern": "^[0-9]{6}$"}}},
            "SmsToken": {"type": "object", "required": ["token", "token_type", "expires_in", "created"], "properties": {
                "token": {"type": "string"}, "token_type": {"type": "string", "enum": ["Bearer"]},
                "expires_in": {"type": "integer"},
                "created": {"type": "boolean", "description": "true: a new account was made for this phone"}}},
            "Credentials": {"type": "object", "required": ["email", "password"], "properties": {
                "email": {"type": "string", "maxLength": 254}, "password": {"type": "string", "maxLength": 200}}},
            "Registration": {"type": "object", "required": ["email", "password"], "properties": {
                "email": {"type": "string", "maxLength": 254}, "password": {"type": "string", "maxLength": 200},
                "name": {"type": "string", "maxLength": 120}, "phone": {"type": "string", "maxLength": 40}}},
            "Token": {"type": "object", "required": ["token", "token_type"], "properties": {
                "token": {"type": "string"}, "token_type": {"type": "string"}, "expires_in": {"type": "integer"}}},
            "ProductSummary": {"type": "object", "required": ["id", "title"], "properties": {
                "id": {"type": "integer"}, "title": {"type": "string"}, "subtitle": {"type": "string"},
                "min_price": {"type": "integer", "nullable": True}, "max_price": {"type": "integer", "nullable": True},
                "currency": {"type": "string"}, "image": {"type": "string", "nullable": True}}},
            "ProductList": {"type": "object", "required": ["items", "total"], "properties": {
                "items": {"type": "array", "items": _ref("ProductSummary")}, "total": {"type": "integer"},
                "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
            "Product": {"allOf": [_ref("ProductSummary"), {"type": "object", "properties": {
                "images": {"type": "array", "items": {"type": "string"}}, "description_html": {"type": "string"},
                "skus": {"type": "array", "items": _ref("Sku")}}}]},
            "CartLine": {"type": "object", "required": ["sku_id", "quantity"], "properties": {
                "sku_id": {"type": "integer", "minimum": 1}, "quantity": {"type": "integer", "minimum": 0, "maximum": 99}}},
            "Cart": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
                "type": "object", "properties": {"sku_id": {"type": "integer"}, "quantity": {"type": "integer"},
                                                 "code": {"type": "string", "nullable": True},
                                                 "price": {"type": "integer", "nullable": True}}}},
                "pricing": _nullable(PRICING, "The cart through the pricing pipeline (freight at checkout)"),
                "notice": {"type": "string", "description": "Set when the cart holds less than was asked for "
                                                           "(no more can be bought than is available)."}}},
            "AddressInput": {"type": "object", "required": ["name", "phone", "street"], "properties": {
                "name": {"type": "string", "maxLength": 120},
                "phone": {"type": "string", "maxLength": 40,
                          "description": "In the mainland a mainland China mobile number (11 digits; spaces, dashes, "
                                         "+86 allowed); abroad a number valid in `country` (kept as +E.164)",
                          "example": "13800138000"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$", "default": "CN",
                            "description": "ISO 3166 alpha-2; another than CN only where the shop ships abroad "
                                           "(422 field country otherwise)"},
                "region_code": _REGION_CODE | {"description": "Mainland (CN) only, required there: the district, or a "
                                                              "city or region without districts (a leaf of GET regions)"},
                "city": {"type": "string", "maxLength": 60, "description": "Abroad only, required there"},
                "province": {"type": "string", "maxLength": 60,
                             "description": "Abroad only: state, province or region, if the country has them"},
                "street": {"type": "string", "maxLength": 200}, "postcode": {"type": "string", "maxLength": 20},
                "is_default": {"type": "boolean"}}},
            "Address": {"type": "object", "required": ["id", "region_code"], "properties": {
                "id": {"type": "integer"}, "is_default": {"type": "boolean"}, "region_code": _REGION_OUT,
                "country": {"type": "string", "description": "ISO 3166 alpha-2 (CN: the mainland)"}} | {
                f: {"type": "string"} for f in ("name", "phone", "province", "city", "district", "street", "postcode")}},
            "Region": {"type": "object", "required": ["code", "name", "leaf"], "properties": {
                "code": _REGION_CODE, "name": {"type": "string", "description": "In the request's language"},
                "leaf": {"type": "boolean", "description": "No divisions below: an address may keep this code"}}},
            "RegionList": {"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": _ref("Region")}}},
            "AddressList": {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Address")}}},
            "Checkout": {"type": "object", "required": ["address_id"], "properties": {
                "address_id": {"type": "integer", "minimum": 1},
                "delivery_method": {"type": "string", "enum": ["express", "pickup"]},
                "note": {"type": "string", "maxLength": 500},
                "payer": _ref("Payer"),
                "coupon_ids": {"type": "array", "maxItems": 5, "items": {"type": "integer"},
                               "description": "Coupons of your wallet to use"},
                "points": {"type": "integer", "minimum": 0,
                           "description": "Points to pay with (at most your balance; the store caps their share)"}}},
            "Payer": {"type": "object", "required": ["name", "id_number"],
                      "description": "A cross-border store's orders need the person who pays (customs matches them)",
                      "properties": {"name": {"type": "string", "maxLength": 60, "description": "Real name"},
                                     "id_number": {"type": "string", "pattern": "^[0-9]{17}[0-9Xx]$",
                                                   "description": "PRC resident identity card number"}}},
            "CrossBorderTax": {
                "type": "object", "required": ["regime", "dutiable", "duty", "consumption_tax", "vat", "total",
                                               "year_limit_checked"],
                "description": "Duty 0 %, VAT and consumption tax at 70 % within ¥5,000 per order and ¥26,000 per "
                               "payer and year; otherwise taxed in full as general trade. Minor units.",
                "properties": {"regime": {"type": "string", "enum": ["cross_border", "general_trade"]},
                               "reason": {"type": "string", "nullable": True, "enum": ["order_limit", "year_limit", None]},
                               "dutiable": {"type": "integer"}, "duty": {"type": "integer"},
                               "consumption_tax": {"type": "integer"}, "vat": {"type": "integer"},
                               "total": {"type": "integer"},
                               "year_limit_checked": {"type": "boolean",
                                                      "description": "false: no payer given, the year assumed unused"}}},
            "CheckoutQuoteInput": {"type": "object", "properties": {
                "address_id": {"type": "integer", "minimum": 1, "description": "One of your addresses"},
                "region_code": _REGION_CODE | {"description": "Instead of address_id: a district (leaf) code"},
                "delivery_method": {"type": "string", "enum": ["express", "pickup"]},
                "payer": _ref("Payer"),
                "coupon_ids": {"type": "array", "maxItems": 5, "items": {"type": "integer"}},
                "points": {"type": "integer", "minimum": 0}}},
            "Coupon": {"type": "object", "required": ["id", "template_id", "name", "status"], "properties": {
                "id": {"type": "integer", "description": "Send it in coupon_ids at checkout"},
                "template_id": {"type": "integer"}, "name": {"type": "string"},
                "kind": {"type": "string", "enum": ["amount_off", "percent_off", "free_shipping"]},
                "description": {"type": "string", "description": "What it gives, in the request's language"},
                "status": {"type": "string", "enum": ["unused", "used", "expired", "void", "locked"]},
                "usable": {"type": "boolean"},
                "valid_until": {"type": "string", "format": "date-time", "nullable": True}}},
            "CouponOffer": {"type": "object", "required": ["template_id", "name", "left"], "properties": {
                "template_id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"},
                "left": {"type": "integer"}, "claimed": {"type": "integer", "description": "How many you hold"},
                "per_member_limit": {"type": "integer"}}},
            "CouponWallet": {"type": "object", "required": ["wallet", "claimable"], "properties": {
                "wallet": {"type": "array", "items": _ref("Coupon")},
                "claimable": {"type": "array", "items": _ref("CouponOffer")}}},
            "PricingStep": {"type": "object", "required": ["rule", "name", "stage", "amount"], "properties": {
                "rule": {"type": "string", "description": "p:<promotion id>, c:<coupon id>, level, points or flash"},
                "name": {"type": "string"}, "kind": {"type": "string"},
                "stage": {"type": "string", "enum": ["member", "item", "order", "coupon", "points", "shipping"]},
                "stage_label": {"type": "string"}, "amount": {"type": "integer", "description": "Minor units taken"}}},
            "PricingSkip": {"type": "object", "required": ["rule", "name", "reason", "reason_label"], "properties": {
                "rule": {"type": "string"}, "name": {"type": "string"}, "stage": {"type": "string"},
                "reason": {"type": "string", "description": "A code, e.g. threshold, budget, exclusive, ended"},
                "reason_label": {"type": "string", "description": "The reason in the request's language"}}},
            "PricingLine": {"type": "object", "properties": {
                "sku_id": {"type": "integer"}, "quantity": {"type": "integer"}, "unit_price": {"type": "integer"},
                "discount": {"type": "integer", "description": "This line's share of every discount"},
                "paid": {"type": "integer"},
                "steps": {"type": "array", "items": {"type": "object", "properties": {
                    "rule": {"type": "string"}, "amount": {"type": "integer"}}}}}},
            "Pricing": PRICING,
            "FreightPart": {"type": "object", "required": ["template", "basis", "units", "pieces", "free", "fee"],
                            "properties": {
                                "template": {"type": "string", "description": "The freight template's name"},
                                "basis": {"type": "string", "enum": ["piece", "weight", "volume"]},
                                "units": {"type": "integer", "description": "Pieces, grams or cubic centimetres"},
                                "pieces": {"type": "integer"}, "free": {"type": "boolean"},
                                "fee": {"type": "integer", "description": "What this template adds, minor units"}}},
            "CheckoutQuote": {"type": "object",
                              "required": ["goods_total", "shipping_fee", "payable", "currency", "shipping_source"],
                              "properties": {
                                  "goods_total": {"type": "integer"}, "shipping_fee": {"type": "integer", "minimum": 0},
                                  "discount_total": {"type": "integer", "minimum": 0},
                                  "pricing": _ref("Pricing"),
                                  "payable": {"type": "integer"}, "currency": {"type": "string"},
                                  "tax_total": {"type": "integer", "description": "Cross-border tax (0 otherwise)"},
                                  "tax": _ref("CrossBorderTax"),
                                  "shipping_source": {"type": "string", "enum": ["template", "settings", "pickup", "member"],
                                                      "description": "Freight templates, the flat fee, or pickup"},
                                  "freight": {"type": "array", "items": _ref("FreightPart")}}},
            "Order": {"type": "object", "required": ["number", "status", "payable"], "properties": {
                "number": {"type": "string"}, "status": {"type": "string"}, "type": {"type": "string"},
                "currency": {"type": "string"}, "goods_total": {"type": "integer"}, "discount_total": {"type": "integer"},
                "shipping_fee": {"type": "integer"}, "tax_total": {"type": "integer"}, "payable": {"type": "integer"},
                "created_at": {"type": "string"},
                "payment_deadline": {"type": "string", "nullable": True}, "address": _ref("ShippingAddress"),
                "lines": {"type": "array", "items": _ref("OrderLine")},
                "timeline": {"type": "array", "items": _ref("TimelineEntry"),
                             "description": "Only on GET orders/{number}"},
                "shipments": {"type": "array", "items": _ref("Shipment"),
                              "description": "Only on GET orders/{number}: each parcel handed to a carrier"},
                "pricing": _nullable(PRICING, "Only on GET orders/{number}: how it was priced")}},
            "Carrier": {"type": "object", "required": ["code", "name"], "properties": {
                "code": {"type": "string", "description": "The carrier's company code as Kuaidi100 spells it, e.g. shunfeng"},
                "name": {"type": "string", "description": "In the language the request asked for"}}},
            "TrackingEvent": {"type": "object", "required": ["at", "status", "status_label", "description"], "properties": {
                "at": {"type": "string", "format": "date-time", "description": "When the carrier scanned it"},
                "status": {"type": "string", "enum": ["in_transit", "out_for_delivery", "signed", "exception", "returned"]},
                "status_label": {"type": "string"}, "description": {"type": "string", "description": "The carrier's words"},
                "location": {"type": "string"}}},
            "ShipmentLine": {"type": "object", "properties": {
                "order_line_id": {"type": "integer", "nullable": True}, "sku_id": {"type": "integer", "nullable": True},
                "quantity": {"type": "integer", "nullable": True}}},
            "Shipment": {"type": "object",
                         "required": ["number", "carrier", "waybill_no", "status", "status_label", "shipped_at", "events"],
                         "properties": {
                             "number": {"type": "string"}, "carrier": _ref("Carrier"), "waybill_no": {"type": "string"},
                             "status": {"type": "string", "enum": ["awaiting_pickup", "in_transit", "out_for_delivery",
                                                                   "signed", "exception", "returned"]},
                             "status_label": {"type": "string"},
                             "shipped_at": {"type": "string", "format": "date-time"},
                             "signed_at": {"type": "string", "format": "date-time", "nullable": True},
                             "lines": {"type": "array", "items": _ref("ShipmentLine")},
                             "events": {"type": "array", "items": _ref("TrackingEvent"),
                                        "description": "Newest first"}}},
            "OrderList": {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Order")},
                                                           "total": {"type": "integer"}, "page": {"type": "integer"},
                                                           "pages": {"type": "integer"}}},
        },
    },
    "paths": {
        "/api/v1/shop/{slug}/auth/register": {"post": _op("register", "Create a shopper account", _json(_ref("Token"), "Created"),
                                                          body=_ref("Registration"), status="201")},
        "/api/v1/shop/{slug}/auth/token": {"post": _op("getToken", "Get a bearer token", _json(_ref("Token")),
                                                       body=_ref("Credentials"))},
        "/api/v1/shop/{slug}/auth/sms/code": {"post": _op(
            "sendSmsCode", "Text a sign-in code to a mainland mobile number", _json(_ref("SmsCodeSent"), "Sent"),
            body=_ref("SmsCodeInput"), status="202",
            extra={"503": _json(_ref("Error"), "The SMS provider could not send it")})},
        "/api/v1/shop/{slug}/auth/sms/token": {"post": _op(
            "getTokenBySms", "Get a bearer token with the texted code (a new phone gets a new account)",
            _json(_ref("SmsToken")), body=_ref("SmsSignIn"),
            extra={"201": _json(_ref("SmsToken"), "Signed in to a new account made for the phone")})},
        "/api/v1/shop/{slug}/products": {"get": _op("listProducts", "Products on sale", _json(_ref("ProductList")), params=[
            {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}},
            {"name": "category", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"}},
            {"name": "page", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{1,5}$"}}])},
        "/api/v1/shop/{slug}/products/{id}": {"get": _op("getProduct", "One product with its SKUs and availability",
                                                         _json(_ref("Product")), params=[
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}])},
        "/api/v1/shop/{slug}/cart": {"get": _op("getCart", "The shopper's cart", _json(_ref("Cart")), secure=True)},
        "/api/v1/shop/{slug}/cart/items": {"put": _op("setCartLine", "Set a cart line (0 removes it)", _json(_ref("Cart")),
                                                      body=_ref("CartLine"), secure=True)},
        "/api/v1/shop/{slug}/regions": {"get": _op(
            "listRegions", "China's administrative divisions (GB/T 2260) under a parent, the provinces without one",
            _json(_ref("RegionList")), params=[{"name": "parent", "in": "query",
                                                "schema": {"type": "string", "pattern": "^([0-9]{6})?$"}}])},
        "/api/v1/shop/{slug}/addresses": {
            "get": _op("listAddresses", "The shopper's addresses", _json(_ref("AddressList")), secure=True),
            "post": _op("addAddress", "Add an address", _json(_ref("Address"), "Created"), body=_ref("AddressInput"), secure=True,
                        status="201")},
        "/api/v1/shop/{slug}/coupons": {"get": _op(
            "listCoupons", "The shopper's coupon wallet and the coupons to claim now", _json(_ref("CouponWallet")),
            secure=True)},
        "/api/v1/shop/{slug}/coupons/{id}/claim": {"post": _op(
            "claimCoupon", "Claim one coupon of a template (422 coupongone: none left, or the shopper's limit)",
            _json(_ref("Coupon"), "Claimed"), secure=True, status="201", params=[
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}])},
        "/api/v1/shop/{slug}/checkout/quote": {"post": _op(
            "quoteCheckout", "Goods, freight and total for the cart to an address, before placing the order",
            _json(_ref("CheckoutQuote")), body=_ref("CheckoutQuoteInput"), secure=True)},
        "/api/v1/shop/{slug}/checkout": {"post": _op(
            "checkout", "Place an order from the cart", _json(_ref("Order"), "Created"), body=_ref("Checkout"), secure=True,
            status="201", params=[IDEMPOTENCY_KEY],
            extra={"409": _json(_ref("Error"), "The idempotency key was used for a different order")})},
        "/api/v1/shop/{slug}/orders": {"get": _op("listOrders", "The shopper's orders, newest first, 20 a page",
                                                  _json(_ref("OrderList")), secure=True, params=[
            {"name": "page", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{1,5}$"}}])},
        "/api/v1/shop/{slug}/orders/{number}": {"get": _op("getOrder", "One order with its timeline", _json(_ref("Order")),
                                                           secure=True, params=[
            {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 24}}])},
        "/api/v1/shop/{slug}/payment-methods": {"get": _op("listPaymentMethods", "Payment methods this shop takes",
                                                           _json(_ref("PaymentMethods")))},
        "/api/v1/shop/{slug}/orders/{number}/pay": {"post": _op(
            "payOrder", "Start paying an order", _json(_ref("PaymentStart"), "Created"), body=_ref("PayInput"), secure=True,
            status="201", params=[{"name": "number", "in": "path", "required": True,
                                   "schema": {"type": "string", "maxLength": 24}}],
            extra={"502": _json(_ref("Error"), "The payment gateway did not answer")})},
        "/api/v1/shop/{slug}/orders/{number}/cancel": {"post": _op("cancelOrder", "Cancel an unpaid order", _json(_ref("Order")),
                                                                   secure=True, params=[
            {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 24}}])},
    },
}

_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 24}}
SPEC["components"]["schemas"].update({
    "AfterSalesLine": {"type": "object", "required": ["order_line_id", "quantity", "amount"], "properties": {
        "order_line_id": {"type": "integer"}, "sku_code": {"type": "string"}, "title": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1},
        "amount": {"type": "integer", "description": "The units' paid share (minor units); 0 for an exchange"},
        "exchange_sku_code": {"type": "string", "description": "The SKU wanted instead (exchange)"}}},
    "AfterSalesRequest": {"type": "object", "required": ["number", "order_number", "kind", "status", "lines"],
                          "properties": {
        "number": {"type": "string"}, "order_number": {"type": "string"},
        "kind": {"type": "string", "enum": ["refund_only", "return_refund", "exchange"]},
        "status": {"type": "string", "enum": ["requested", "approved", "rejected", "escalated", "awaiting_return",
                                              "returned", "received", "inspected", "refunded", "exchange_shipped",
                                              "closed", "cancelled"]},
        "status_label": {"type": "string", "description": "The status in the request's language"},
        "outcome": {"type": "string", "nullable": True,
                    "enum": ["refunded", "exchanged", "rejected", "cancelled", "expired", "closed", None]},
        "reason": {"type": "string"}, "currency": {"type": "string"},
        "amount": {"type": "integer", "description": "Goods to refund, minor units"},
        "shipping_refund": {"type": "integer"}, "refunded": {"type": "integer", "description": "Paid back so far"},
        "reject_reason": {"type": "string"}, "return_address": {"type": "string"},
        "return_carrier": {"type": "string"}, "return_waybill": {"type": "string"},
        "ship_back_due_at": {"type": "string", "format": "date-time", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"}, "photos": {"type": "integer"},
        "lines": {"type": "array", "items": _ref("AfterSalesLine")},
        "timeline": {"type": "array", "items": _ref("TimelineEntry")}}},
    "AfterSalesAsk": {"type": "object", "required": ["order_number", "kind", "lines", "reason_id"], "properties": {
        "order_number": {"type": "string", "maxLength": 24},
        "kind": {"type": "string", "enum": ["refund_only", "return_refund", "exchange"]},
        "lines": {"type": "array", "minItems": 1, "maxItems": 50, "items": {
            "type": "object", "required": ["order_line_id", "quantity"], "properties": {
                "order_line_id": {"type": "integer", "minimum": 1}, "quantity": {"type": "integer", "minimum": 1},
                "exchange_sku_id": {"type": "integer", "minimum": 1}}}},
        "reason_id": {"type": "integer", "minimum": 1, "description": "From GET aftersales/reasons"},
        "description": {"type": "string", "maxLength": 1000},
        "images": {"type": "array", "maxItems": 6, "items": {
            "type": "string", "format": "byte", "description": "A PNG, JPEG, GIF or WebP photo of at most 5 MB"}}}},
})
_REQUEST_LIST = {"type": "object", "required": ["items", "total"], "properties": {
    "items": {"type": "array", "items": _ref("AfterSalesRequest")}, "total": {"type": "integer"},
    "page": {"type": "integer"}, "pages": {"type": "integer"}}}
SPEC["paths"].update({
    "/api/v1/shop/{slug}/aftersales/reasons": {"get": _op(
        "listAfterSalesReasons", "The reasons a shopper picks from", _json({"type": "object", "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "return_shipping_payer": {"type": "string", "enum": ["shopper", "store"]}}}}}}), secure=True)},
    "/api/v1/shop/{slug}/aftersales": {
        "get": _op("listAfterSalesRequests", "The shopper's after-sales requests, newest first",
                   _json(_REQUEST_LIST), secure=True, params=[
                       {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}]),
        "post": _op("createAfterSalesRequest", "Ask for a refund, a return or an exchange of some units of an order",
                    _json(_ref("AfterSalesRequest"), "Created"), body=_ref("AfterSalesAsk"), secure=True,
                    status="201")},
    "/api/v1/shop/{slug}/aftersales/{number}": {"get": _op(
        "getAfterSalesRequest", "One of the shopper's after-sales requests with its timeline",
        _json(_ref("AfterSalesRequest")), secure=True, params=[_NUMBER])},
    "/api/v1/shop/{slug}/aftersales/{number}/cancel": {"post": _op(
        "cancelAfterSalesRequest", "Withdraw a request before the goods are on their way back",
        _json(_ref("AfterSalesRequest")), secure=True, params=[_NUMBER])},
    "/api/v1/shop/{slug}/aftersales/{number}/return-waybill": {"post": _op(
        "sendAfterSalesReturn", "The goods were sent back: the carrier code and the waybill number",
        _json(_ref("AfterSalesRequest")), secure=True, params=[_NUMBER], body={
            "type": "object", "required": ["carrier", "waybill_no"], "properties": {
                "carrier": {"type": "string", "maxLength": 32}, "waybill_no": {"type": "string", "maxLength": 40}}})},
})


@doc_bp.route("/api/v1/openapi.json")
@public
def openapi():
    return jsonify(SPEC)

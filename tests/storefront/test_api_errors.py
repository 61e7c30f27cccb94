"""The API's error bodies always have the documented shape {"error": {"code", "message",
"field"}} (unknown store, unknown route, wrong method, rate limit with Retry-After), and the
OpenAPI document names every operation and types what the API really sends."""
import copy

import jsonschema_rs   # schemathesis's JSON Schema validator
import pytest

from tests.orders.test_orders import _shop
from tests.storefront.test_idempotency import _api_shopper


def _resolve(node, components):
    """The OpenAPI 3.0 schema as plain JSON Schema: $refs inlined, nullable as a null type."""
    if isinstance(node, list):
        return [_resolve(n, components) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _resolve(components[node["$ref"].rsplit("/", 1)[1]], components)
    out = {k: _resolve(v, components) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _schema(spec, name, strict=False):
    schema = _resolve(spec["components"]["schemas"][name], spec["components"]["schemas"])
    if strict:  # every key sent must be documented
        schema = copy.deepcopy(schema)
        schema["additionalProperties"] = False
        schema["properties"]["error"]["additionalProperties"] = False
    return schema


def _error(spec, response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    jsonschema_rs.validate(_schema(spec, "Error", strict=True), body)
    assert body["error"]["code"] == code and body["error"]["message"] and "field" in body["error"]
    return body["error"]


def test_unknown_store_route_and_method_answer_the_documented_error_body(app, client, store, spec):
    _error(spec, client.get("/api/v1/shop/no-such-store/products"), 404, "not_found")
    _error(spec, client.get(f"/api/v1/shop/{store.slug}/no-such-route"), 404, "not_found")
    _error(spec, client.get("/api/v1/nothing-here"), 404, "not_found")
    _error(spec, client.delete(f"/api/v1/shop/{store.slug}/products"), 405, "method_not_allowed")
    bad = _error(spec, client.get(f"/api/v1/shop/{store.slug}/products?page=x"), 422, "bad_value")
    assert bad["field"] == "page"
    _error(spec, client.get(f"/api/v1/shop/{store.slug}/cart"), 401, "unauthorized")


def test_the_api_limit_answers_429_with_retry_after_and_says_it_is_the_api_limit(app, client, store, spec):
    saved = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = "2 per minute"
    try:
        for _ in range(2):
            assert client.get(f"/api/v1/shop/{store.slug}/products").status_code == 200
        response = client.get(f"/api/v1/shop/{store.slug}/products")
        error = _error(spec, response, 429, "rate_limited")
    finally:
        app.config["API_RATE_LIMIT"] = saved
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "API" in error["message"] and "sign" not in error["message"].lower()


def test_every_operation_has_a_unique_operation_id(spec):
    ids = [op.get("operationId") for path in spec["paths"].values() for op in path.values()]
    assert all(ids) and len(ids) == len(set(ids))


def test_orders_and_skus_are_typed_and_match_what_the_api_sends(app, client, store, spec):
    (sku,), _wh = _shop(app, store, stock=5)
    base, auth, address_id = _api_shopper(app, client, store, sku, f"typed@{store.slug}.cn")
    order = client.post(f"{base}/checkout", json={"address_id": address_id}, headers=auth).get_json()
    detail = client.get(f"{base}/orders/{order['number']}", headers=auth).get_json()
    schemas = spec["components"]["schemas"]
    order_schema = _resolve(schemas["Order"], schemas)
    for part in ("address", "lines", "timeline"):
        typed = order_schema["properties"][part]
        assert (typed.get("properties") or typed.get("items", {}).get("properties")), part
    jsonschema_rs.validate(order_schema, detail)
    assert detail["timeline"] and detail["lines"][0]["sku_id"] == sku
    product = client.get(f"{base}/products/{detail['lines'][0]['sku_id'] and _product_id(client, base)}").get_json()
    product_schema = _resolve(schemas["Product"], schemas)
    jsonschema_rs.validate(product_schema, product)
    options = _resolve(schemas["Sku"], schemas)["properties"]["options"]
    assert options["type"] == "object" and options["additionalProperties"] == {"type": "string"}


def _product_id(client, base) -> int:
    return client.get(f"{base}/products").get_json()["items"][0]["id"]

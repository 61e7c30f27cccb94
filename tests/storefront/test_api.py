"""The storefront JSON API: tokens, catalogue, cart, checkout with idempotency, privacy,
JSON errors, and a schemathesis run against the OpenAPI document."""
import os

from tests.conftest import PASSWORD
from tests.inventory.test_stock import _level
from tests.orders.test_orders import _shop


EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "50"))   # per operation


def _token(client, slug, email):
    response = client.post(f"/api/v1/shop/{slug}/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_api_checkout_is_idempotent_and_private(app, client, store):
    (sku,), wh = _shop(app, store, stock=5, price=1250)
    base = f"/api/v1/shop/{store.slug}"
    products = client.get(f"{base}/products?q=商品").get_json()
    assert products["total"] == 1
    detail = client.get(f"{base}/products/{products['items'][0]['id']}").get_json()
    assert detail["skus"][0]["available"] == 5 and detail["skus"][0]["price"] == 1250
    auth = _token(client, store.slug, f"api@{store.slug}.cn")
    assert client.put(f"{base}/cart/items", json={"sku_id": sku, "quantity": 2}, headers=auth).status_code == 200
    address = client.post(f"{base}/addresses", json={"name": "王五", "phone": "13700000000", "region_code": "110101", "street": "长安街"},
                          headers=auth).get_json()
    headers = {**auth, "Idempotency-Key": "api-order-1"}
    first = client.post(f"{base}/checkout", json={"address_id": address["id"]}, headers=headers)
    assert first.status_code == 201 and first.get_json()["payable"] == 2500
    assert _level(app, store, sku, wh) == (5, 2)
    client.put(f"{base}/cart/items", json={"sku_id": sku, "quantity": 3}, headers=auth)
    conflict = client.post(f"{base}/checkout", json={"address_id": address["id"], "note": "改"}, headers=headers)
    assert conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "idempotency_conflict"
    number = first.get_json()["number"]
    other = _token(client, store.slug, f"other@{store.slug}.cn")
    assert client.get(f"{base}/orders/{number}", headers=other).status_code == 404
    assert client.get(f"{base}/orders", headers=other).get_json()["items"] == []
    assert client.get(f"{base}/orders/{number}", headers=auth).get_json()["timeline"][0]["status"] == "pending_payment"
    assert client.post(f"{base}/orders/{number}/cancel", headers=auth).get_json()["status"] == "cancelled"
    assert _level(app, store, sku, wh) == (5, 0)


def test_api_errors_are_json_and_change_nothing(app, client, store):
    base = f"/api/v1/shop/{store.slug}"
    assert client.get(f"{base}/cart").status_code == 401
    assert client.get(f"{base}/cart", headers={"Authorization": "Bearer nope"}).get_json()["error"]["code"] == "bad_token"
    auth = _token(client, store.slug, f"err@{store.slug}.cn")
    bad = client.put(f"{base}/cart/items", json={"sku_id": "x", "quantity": 1}, headers=auth)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "sku_id"
    assert client.post(f"{base}/checkout", data="not json", headers=auth).status_code == 400
    assert client.get(f"{base}/products?page=abc").status_code == 422
    assert client.get(f"/api/v1/shop/no-such-store/products").get_json()["error"]["status"] == 404
    wrong = client.post(f"{base}/auth/token", json={"email": f"err@{store.slug}.cn", "password": "wrong"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "bad_credentials"


def test_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/shop/{slug}/checkout" in spec["paths"]


def test_schemathesis_finds_no_server_error(app, store):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    _shop(app, store, stock=3)
    client = app.test_client()
    token = _token(client, store.slug, f"fuzz@{store.slug}.cn")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for operation in schema.get_all_operations():
        op = operation.ok()

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=op.as_strategy())
        def run(case):
            case.path_parameters = {**(case.path_parameters or {}), "slug": store.slug}
            response = case.call(headers=token)
            try:
                case.validate_response(response, checks=[not_a_server_error])
            except Exception as err:  # collect, then fail once with all of them
                failures.append(f"{case.method} {case.formatted_path}: {err}")

        run()
    assert failures == []


def test_api_order_list_pages(app, client, store):
    from sqlalchemy import select, update

    from app.blueprints.members.models import Member
    from app.blueprints.orders.models import Order
    from app.extensions import db
    from tests.catalog.test_pages import _get
    from tests.orders.test_orders import _place

    (sku,), _wh = _shop(app, store, stock=50, price=100)
    auth = _token(client, store.slug, f"pages@{store.slug}.cn")
    ids = [_place(app, store, [(sku, 1)]) for _ in range(22)]
    member_id = _get(app, store, lambda: db.session.scalar(select(Member.id).where(Member.email == f"pages@{store.slug}.cn")))
    _get(app, store, lambda: db.session.execute(update(Order).where(Order.id.in_(ids)).values(shopper_id=member_id)))
    base = f"/api/v1/shop/{store.slug}/orders"
    first, second = client.get(base, headers=auth).get_json(), client.get(f"{base}?page=2", headers=auth).get_json()
    assert (len(first["items"]), first["total"], first["pages"]) == (20, 22, 2) and len(second["items"]) == 2
    assert client.get(f"{base}?page=x", headers=auth).status_code == 422

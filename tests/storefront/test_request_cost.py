"""What one shopper's order costs over the API, in SQL statements: a cart change and a
checkout each take a fixed number, whatever the shopper has ordered before."""
from sqlalchemy import event

from app.extensions import db
from tests.orders.test_orders import _shop
from tests.storefront.test_api import _token

CART_STATEMENTS = 11       # store, member, SKU snapshot, available stock (the cart holds no more), cart line read + write, cart read, snapshot; pricing: the member's level and segments, live promotions
CHECKOUT_STATEMENTS = 25   # placing the order (20 with a key: one reads the freight templates, one the member's
                           # level and blacklist flag, one whether the store sells cross-border; pricing: the level
                           # and segments again, the live promotions) plus store, member, key, cart, address


def _counted(app, call):
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *args: statements.append(statement.split("\n")[0][:120])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return response, statements


def test_a_cart_change_and_a_checkout_take_a_fixed_number_of_statements(app, client, store):
    skus, _wh = _shop(app, store, stock=50, price=1250, skus=3)
    base = f"/api/v1/shop/{store.slug}"
    auth = _token(client, store.slug, f"cost@{store.slug}.cn")
    address = client.post(f"{base}/addresses", json={"name": "王五", "phone": "13700000000", "region_code": "110101", "street": "长安街"},
                          headers=auth).get_json()
    client.put(f"{base}/cart/items", json={"sku_id": skus[2], "quantity": 1}, headers=auth)
    client.post(f"{base}/checkout", json={"address_id": address["id"]}, headers={**auth, "Idempotency-Key": "cost-0"})
    for i, sku in enumerate(skus[:2], start=1):
        response, cart = _counted(app, lambda: client.put(f"{base}/cart/items", json={"sku_id": sku, "quantity": 2},
                                                          headers=auth))
        assert response.status_code == 200 and len(cart) <= CART_STATEMENTS, "\n".join(cart)
        response, checkout = _counted(app, lambda: client.post(f"{base}/checkout", json={"address_id": address["id"]},
                                                               headers={**auth, "Idempotency-Key": f"cost-{i}"}))
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["lines"][0]["quantity"] == 2
        assert len(checkout) <= CHECKOUT_STATEMENTS, "\n".join(checkout)

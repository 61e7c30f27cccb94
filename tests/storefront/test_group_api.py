"""The shop API of group buying: the group buys on now and their open groups, starting a group
and joining one through its share code (each an order to pay), the shopper's own groups; what
it sends matches the OpenAPI document, bad input is a 422 that changes nothing, and one shopper
never sees another's groups."""
from datetime import timedelta
from types import SimpleNamespace

import jsonschema_rs
import pytest
from sqlalchemy import func, select

from app.blueprints.promotions import groupbuy
from app.blueprints.promotions.models import GroupTeam
from app.core.db import utcnow
from tests import factories as f
from tests.conftest import PASSWORD, wait_for
from tests.storefront.test_api_errors import _resolve


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _schema(spec, name):
    return _resolve(spec["components"]["schemas"][name], spec["components"]["schemas"])


def _auth(client, store, member):
    response = client.post(f"/api/v1/shop/{store.slug}/auth/token", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _teams(store) -> int:
    return f.read(store, lambda: f.db_session().scalar(select(func.count()).select_from(GroupTeam)))


def test_two_shoppers_fill_a_group_through_the_api(app, client, store, spec):
    base = f"/api/v1/shop/{store.slug}"
    sku = f.sku(store, price=10_000, stock=20)
    now = utcnow()
    with f.bound(store, request=True) as session:
        activity = groupbuy.save_activity(None, None, {
            "name": "两人拼团", "sku_id": sku.id, "group_price": 6_000, "group_size": 2, "time_limit_minutes": 60,
            "starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(days=3)})
        groupbuy.set_status(None, activity, "active")
        session.flush()
        activity_id = activity.id
    leader, friend, stranger = f.member(store), f.member(store), f.member(store)
    leader_address, friend_address = f.address(store, leader).id, f.address(store, friend).id
    mine, theirs, nobody = _auth(client, store, leader), _auth(client, store, friend), _auth(client, store, stranger)

    listed = client.get(f"{base}/group-buys").get_json()
    jsonschema_rs.validate({"type": "array", "items": _schema(spec, "GroupBuy")}, listed["items"])
    item = next(i for i in listed["items"] if i["id"] == activity_id)
    assert (item["group_price"], item["sku"]["sale_price"], item["open_groups"]) == (6_000, 10_000, 0)

    url = f"{base}/group-buys/{activity_id}/open"
    assert client.post(url, json={"address_id": leader_address}).status_code == 401
    bad = client.post(url, json={"address_id": friend_address}, headers=mine)     # another shopper's address
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "address_id"
    assert client.post(url, json={"address_id": leader_address, "points": -1}, headers=mine).status_code == 422
    assert _teams(store) == 0                                                      # nothing changed
    assert client.post(f"{base}/group-buys/999999/open", json={"address_id": leader_address},
                       headers=mine).status_code == 404

    opened = client.post(url, json={"address_id": leader_address}, headers=mine)
    assert opened.status_code == 201, opened.get_json()
    jsonschema_rs.validate(_schema(spec, "GroupPlaced"), opened.get_json())
    group, order = opened.get_json()["group"], opened.get_json()["order"]
    assert group["status"] == "pending" and order["type"] == "group_buy" and order["payable"] == 6_000
    code = group["code"]
    assert group["share_url"].endswith(f"/shop/{store.slug}/groups/{code}")
    detail = client.get(f"{base}/orders/{order['number']}", headers=mine).get_json()
    assert [a["rule"] for a in detail["pricing"]["applied"]] == ["group"]
    assert client.post(f"{base}/groups/{code}/join", json={"address_id": friend_address},
                       headers=theirs).status_code == 422                          # not open before the leader paid

    f.payment(store, SimpleNamespace(id=f.read(store, lambda: _order_id(order["number"]))))
    wait_for(lambda: client.get(f"{base}/groups/{code}").get_json()["status"] == "open", timeout=60)
    open_groups = client.get(f"{base}/group-buys/{activity_id}/groups").get_json()["items"]
    jsonschema_rs.validate({"type": "array", "items": _schema(spec, "Group")}, open_groups)
    assert [g["code"] for g in open_groups] == [code] and open_groups[0]["places_left"] == 1

    joined = client.post(f"{base}/groups/{code}/join", json={"address_id": friend_address}, headers=theirs)
    assert joined.status_code == 201, joined.get_json()
    again = client.post(f"{base}/groups/{code}/join", json={"address_id": friend_address}, headers=theirs)
    assert again.status_code == 422 and "already" in again.get_json()["error"]["message"]
    assert client.get(f"{base}/groups/NOSUCHCODE").status_code == 404
    f.payment(store, SimpleNamespace(id=f.read(store, lambda: _order_id(joined.get_json()["order"]["number"]))))
    wait_for(lambda: client.get(f"{base}/groups/{code}").get_json()["status"] == "succeeded", timeout=60)

    leader_groups = client.get(f"{base}/groups/mine", headers=mine).get_json()["items"]
    jsonschema_rs.validate({"type": "array", "items": _schema(spec, "MyGroup")}, leader_groups)
    assert [(g["code"], g["leader"], g["place_status"], g["order_number"]) for g in leader_groups] == \
        [(code, True, "paid", order["number"])]
    assert [g["leader"] for g in client.get(f"{base}/groups/mine", headers=theirs).get_json()["items"]] == [False]
    assert client.get(f"{base}/groups/mine", headers=nobody).get_json()["items"] == []
    assert client.get(f"{base}/groups/mine").status_code == 401


def _order_id(number):
    from app.blueprints.orders import queries as orders

    return orders.order_id_of(number)


def test_the_group_operations_are_in_the_openapi_document(spec):
    operations = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"listGroupBuys", "listOpenGroups", "openGroup", "getGroup", "joinGroup", "listMyGroups"} <= operations


def test_a_retried_open_with_the_same_idempotency_key_answers_with_the_first_group_and_order(app, client, store):
    from app.blueprints.orders.models import Order

    base = f"/api/v1/shop/{store.slug}"
    sku = f.sku(store, price=10_000, stock=20)
    now = utcnow()
    with f.bound(store, request=True) as session:
        activity = groupbuy.save_activity(None, None, {
            "name": "重试拼团", "sku_id": sku.id, "group_price": 6_000, "group_size": 2, "time_limit_minutes": 60,
            "starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(days=3)})
        groupbuy.set_status(None, activity, "active")
        session.flush()
        activity_id = activity.id
    leader = f.member(store)
    home, office = f.address(store, leader).id, f.address(store, leader).id
    auth = _auth(client, store, leader)
    orders = lambda: f.read(store, lambda: f.db_session().scalar(  # noqa: E731
        select(func.count()).select_from(Order).where(Order.shopper_id == leader.id)))
    url, headers = f"{base}/group-buys/{activity_id}/open", {**auth, "Idempotency-Key": "open-retry-1"}
    teams_before = _teams(store)

    first = client.post(url, json={"address_id": home}, headers=headers)
    assert first.status_code == 201, first.get_json()
    again = client.post(url, json={"address_id": home}, headers=headers)
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (_teams(store) - teams_before, orders()) == (1, 1)

    other = client.post(url, json={"address_id": office}, headers=headers)      # the same key, another body
    assert other.status_code == 409
    assert other.get_json() == {"error": {"code": "idempotency_conflict", "field": None,
                                          "message": other.get_json()["error"]["message"]}}
    assert (_teams(store) - teams_before, orders()) == (1, 1)                  # nothing changed

    fresh = client.post(url, json={"address_id": home}, headers={**auth, "Idempotency-Key": "open-retry-2"})
    assert fresh.status_code == 201 and fresh.get_json()["group"]["code"] != first.get_json()["group"]["code"]
    too_long = client.post(url, json={"address_id": home}, headers={**auth, "Idempotency-Key": "k" * 81})
    assert too_long.status_code == 422 and too_long.get_json()["error"]["field"] == "Idempotency-Key"
    assert (_teams(store) - teams_before, orders()) == (2, 2)


def test_open_group_documents_the_idempotency_key(spec):
    operation = spec["paths"]["/api/v1/shop/{slug}/group-buys/{id}/open"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert "409" in operation["responses"]

"""The shopper API of group buying (拼团), under /api/v1/shop/<slug>/: the group buys on now,
the groups of one that can be joined, a group by its share code, starting a group and joining
one (each an order to pay, as POST orders/{number}/pay pays any order), and the shopper's own
groups. Starting and joining go through the same helper as the shop pages (`group_views`).
The operations are described in the OpenAPI document here, beside their routes."""
from __future__ import annotations

from flask import g, jsonify, url_for

from app.blueprints.storefront import queries
from app.blueprints.storefront.api import (ApiError, _int, _json, _order_body, _points, api, idempotency_key,
                                           shopper_token)
from app.blueprints.storefront.group_views import place_in_group
from app.blueprints.storefront.openapi import IDEMPOTENCY_KEY, SPEC, _json as _doc, _op, _ref
from app.core.permissions import public


def _activity_body(a, sku, open_groups: int) -> dict:
    return {"id": a.id, "name": a.name, "group_price": a.group_price, "group_size": a.group_size,
            "time_limit_minutes": a.time_limit_minutes, "starts_at": a.starts_at.isoformat(),
            "ends_at": a.ends_at.isoformat(), "open_groups": open_groups,
            "sku": {"id": sku.sku_id, "code": sku.code, "title": sku.title, "options": dict(sku.options),
                    "image": sku.image, "sale_price": sku.sale_price}}


def _group_body(team) -> dict:
    from app.blueprints.promotions import groupbuy
    from app.core.db import utcnow

    seconds = max(0, int((team.expires_at - utcnow()).total_seconds())) if team.expires_at else None
    return {"code": team.code, "activity_id": team.activity_id, "status": team.status,
            "status_label": str(groupbuy.GROUP_LABELS[team.status]), "size": team.size, "paid": team.paid,
            "taken": team.taken, "places_left": max(0, team.size - team.taken),
            "opened_at": team.opened_at.isoformat() if team.opened_at else None,
            "expires_at": team.expires_at.isoformat() if team.expires_at else None, "seconds_left": seconds,
            "share_url": url_for("storefront.group_page", code=team.code, _external=True)}


@api.route("/group-buys")
@public
def group_buy_list():
    """The group buys on now, with their SKU and how many groups are open to join."""
    from app.blueprints.promotions import groupbuy

    return jsonify(items=[_activity_body(r["activity"], r["sku"], r["open_groups"]) for r in groupbuy.shop_activities()])


def _live_activity(id: int):
    from app.blueprints.promotions import groupbuy

    activity = groupbuy.activity(id)
    if activity is None or activity.status == "draft":
        raise ApiError(404, "not_found", "No such group buy.")
    return activity


@api.route("/group-buys/<int:id>/groups")
@public
def group_buy_groups(id):
    """The groups of a group buy one can join now, the nearest to full first."""
    from app.blueprints.promotions import groupbuy

    activity = _live_activity(id)
    return jsonify(items=[_group_body(t) for t in groupbuy.open_teams(activity.id, limit=20)])


@api.route("/groups/<code>")
@public
def group_detail(code):
    from app.blueprints.promotions import groupbuy

    team = groupbuy.team_by_code(code)
    if team is None:
        raise ApiError(404, "not_found", "No such group.")
    return jsonify(_group_body(team))


def _placed(start) -> tuple:
    """Start or join a group for the token's shopper from the JSON body ({address_id, points}):
    201 with the group and the order to pay; a refusal is a 422 and nothing changes."""
    from app.blueprints.members import services as members

    data = _json()
    address = members.address_of(g.member.id, _int(data.get("address_id"), "address_id"))
    if address is None:
        raise ApiError(422, "bad_value", "address_id must be one of your addresses.", "address_id")
    group, order = place_in_group(start, g.member, address, points=_points(data), then=lambda team, order: (
        _group_body(team), _order_body(queries.order_view(order))))   # read before the commit
    return jsonify(group=group, order=order), 201


@api.route("/group-buys/<int:id>/open", methods=["POST"])
@shopper_token
def group_buy_open(id):
    """Start a group: an order at the group price; the group opens once it is paid. An
    Idempotency-Key makes retries safe as in checkout (the key is the order's): the same key
    and body answer with the first group and order, the same key with another body is a 409."""
    from app.blueprints.orders import services as orders
    from app.blueprints.promotions import groupbuy

    key = idempotency_key()
    digest = orders.fingerprint(api="openGroup", activity_id=id, body=_json())
    existing = orders.order_for_key(g.member.id, key, digest)
    if existing is not None and (team := groupbuy.team_of_order(existing.id)) is not None:
        return jsonify(group=_group_body(team), order=_order_body(queries.order_view(existing))), 201, \
            {"Idempotent-Replayed": "true"}
    activity = _live_activity(id)
    return _placed(lambda member_id, address, shopper, points: groupbuy.open_group(
        activity.id, member_id, address, shopper, points=points, idempotency_key=key, request_hash=digest))


@api.route("/groups/<code>/join", methods=["POST"])
@shopper_token
def group_join_api(code):
    """Join a group through its share code: an order to pay before the group's time runs out."""
    from app.blueprints.promotions import groupbuy

    if groupbuy.team_by_code(code) is None:
        raise ApiError(404, "not_found", "No such group.")
    return _placed(lambda member_id, address, shopper, points: groupbuy.join_group(
        code, member_id, address, shopper, points=points))


@api.route("/groups/mine")
@shopper_token
def my_groups():
    """The shopper's groups, newest first: each with the shopper's place and order."""
    from app.blueprints.orders import queries as orders
    from app.blueprints.promotions import groupbuy

    rows = groupbuy.member_groups(g.member.id)
    refs = orders.order_refs(place.order_id for place, _team in rows)
    return jsonify(items=[{**_group_body(team), "leader": place.leader, "place_status": place.status,
                           "place_status_label": str(groupbuy.MEMBER_LABELS[place.status]),
                           "order_number": refs[place.order_id].number if place.order_id in refs else None}
                          for place, team in rows])


# --- the OpenAPI document of these operations ---------------------------------------------------------

_GROUP_STATUSES = ["pending", "open", "succeeded", "failed", "cancelled"]
_PLACE = {"type": "object", "required": ["address_id"], "properties": {
    "address_id": {"type": "integer", "minimum": 1, "description": "One of the shopper's addresses (GET addresses)"},
    "points": {"type": "integer", "minimum": 0, "description": "Points to pay with (0: none)"}}}
_ITEMS = lambda name: _doc({"type": "object", "required": ["items"],  # noqa: E731
                            "properties": {"items": {"type": "array", "items": _ref(name)}}})
SPEC["components"]["schemas"].update({
    "GroupBuy": {"type": "object", "required": ["id", "name", "group_price", "group_size", "sku"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "group_price": {"type": "integer", "description": "Minor units, per unit"},
        "group_size": {"type": "integer", "minimum": 2, "maximum": 50},
        "time_limit_minutes": {"type": "integer", "description": "A group's time to fill, from its leader's payment"},
        "starts_at": {"type": "string", "format": "date-time"}, "ends_at": {"type": "string", "format": "date-time"},
        "open_groups": {"type": "integer", "description": "Groups open to join now"},
        "sku": {"type": "object", "required": ["id", "code", "title", "sale_price"], "properties": {
            "id": {"type": "integer"}, "code": {"type": "string"}, "title": {"type": "string"},
            "options": {"type": "object", "additionalProperties": {"type": "string"}},
            "image": {"type": "string", "nullable": True},
            "sale_price": {"type": "integer", "description": "The usual price (minor units)"}}}}},
    "Group": {"type": "object", "required": ["code", "activity_id", "status", "size", "paid", "taken", "share_url"],
              "properties": {
        "code": {"type": "string", "description": "The share code (the link's last part)"},
        "activity_id": {"type": "integer"},
        "status": {"type": "string", "enum": _GROUP_STATUSES}, "status_label": {"type": "string"},
        "size": {"type": "integer"}, "paid": {"type": "integer", "description": "Places paid"},
        "taken": {"type": "integer", "description": "Places held by paid or unpaid orders"},
        "places_left": {"type": "integer"},
        "opened_at": {"type": "string", "format": "date-time", "nullable": True},
        "expires_at": {"type": "string", "format": "date-time", "nullable": True},
        "seconds_left": {"type": "integer", "nullable": True}, "share_url": {"type": "string", "format": "uri"}}},
    "MyGroup": {"allOf": [_ref("Group"), {"type": "object", "required": ["leader", "place_status"], "properties": {
        "leader": {"type": "boolean"},
        "place_status": {"type": "string", "enum": ["pending", "paid", "refund_due", "refunded", "cancelled"]},
        "place_status_label": {"type": "string"},
        "order_number": {"type": "string", "nullable": True}}}]},
    "GroupPlaced": {"type": "object", "required": ["group", "order"], "properties": {
        "group": _ref("Group"), "order": _ref("Order")}},
})
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 16}}
SPEC["paths"].update({
    "/api/v1/shop/{slug}/group-buys": {"get": _op("listGroupBuys", "The group buys on now", _ITEMS("GroupBuy"))},
    "/api/v1/shop/{slug}/group-buys/{id}/groups": {"get": _op(
        "listOpenGroups", "The groups of a group buy that can be joined now, the nearest to full first",
        _ITEMS("Group"), params=[_ID])},
    "/api/v1/shop/{slug}/group-buys/{id}/open": {"post": _op(
        "openGroup", "Start a group: an order at the group price (pay it to open the group)",
        _doc(_ref("GroupPlaced"), "Created"), status="201", params=[_ID, IDEMPOTENCY_KEY], body=_PLACE, secure=True,
        extra={"409": _doc(_ref("Error"), "The idempotency key was used for a different request")})},
    "/api/v1/shop/{slug}/groups/{code}": {"get": _op("getGroup", "A group by its share code", _doc(_ref("Group")),
                                                     params=[_CODE])},
    "/api/v1/shop/{slug}/groups/{code}/join": {"post": _op(
        "joinGroup", "Join a group: an order at the group price, to pay before the group's time runs out",
        _doc(_ref("GroupPlaced"), "Created"), status="201", params=[_CODE], body=_PLACE, secure=True)},
    "/api/v1/shop/{slug}/groups/mine": {"get": _op("listMyGroups", "The shopper's groups, newest first",
                                                   _ITEMS("MyGroup"), secure=True)},
})

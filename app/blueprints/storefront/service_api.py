"""The shopper API of customer service, under /api/v1/shop/<slug>/service/: the shopper's threads
with the store (the general one and one per order), their messages with attachments, writing and
reading them, and the shopper's tickets with the satisfaction rating. Every lookup goes by the
token's shopper: another shopper's thread, ticket or file answers 404 like a missing one. The
operations are described in the OpenAPI document here, beside their routes."""
from __future__ import annotations

import base64
import binascii

from flask import g, jsonify, request, send_file

from app.blueprints.service import queries, services
from app.blueprints.storefront.api import ApiError, _int, _json, _str, api, shopper_token
from app.blueprints.storefront.openapi import SPEC, _json as _doc, _op, _ref
from app.core.formview import commit, committed

MAX_FILE_TEXT = 7 * 1024 * 1024          # base64 of a 5 MB file


def _order_number(value) -> str:
    """'' (the general thread) or one of the shopper's own orders; another's is a 404."""
    from app.blueprints.orders import queries as orders

    if value in (None, ""):
        return ""
    if not isinstance(value, str) or len(value) > 24:
        raise ApiError(422, "bad_value", "order_number must be an order number of up to 24 characters.",
                       "order_number")
    if orders.shopper_order(g.member.id, value, timeline=False) is None:
        raise ApiError(404, "not_found", "No such order.", "order_number")
    return value


def _conversation_body(c) -> dict:
    return {"id": c.id, "order_number": c.order_number, "status": c.status, "unread": c.shopper_unread,
            "last_message_at": c.last_message_at.isoformat(), "last_message_preview": c.last_message_preview,
            "last_author": c.last_author}


def _message_body(m) -> dict:
    return {"id": m.id, "author": m.author, "author_name": m.author_name if m.author == "shopper" else "",
            "body": m.body, "created_at": m.created_at.isoformat(),
            "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
                            for a in m.attachments]}


def _ticket_body(t) -> dict:
    from app.blueprints.service.services import STATUS_LABELS

    return {"id": t.id, "number": t.number, "subject": t.subject, "status": t.status,
            "status_label": str(STATUS_LABELS[t.status]), "order_number": t.order_number,
            "aftersales_number": t.aftersales_number, "created_at": t.created_at.isoformat(),
            "rateable": t.rateable, "csat_score": t.csat_score, "csat_comment": t.csat_comment or ""}


@api.route("/service/conversations")
@shopper_token
def service_conversations():
    return jsonify(items=[_conversation_body(c) for c in queries.shopper_conversations(g.member.id)],
                   unread=int(queries.shopper_unread(g.member.id)))


@api.route("/service/messages")
@shopper_token
def service_messages():
    """The messages of one thread, oldest first (the general thread without `order_number`)."""
    number = _order_number(request.args.get("order_number", ""))
    conversation = queries.shopper_conversation(g.member.id, number)
    return jsonify(conversation=_conversation_body(conversation) if conversation else None,
                   items=[_message_body(m) for m in (queries.messages(conversation.id) if conversation else [])])


def _files(data: dict) -> list[tuple[str, bytes]]:
    files = data.get("attachments", [])
    if not isinstance(files, list) or len(files) > services.MAX_FILES or not all(
            isinstance(f, dict) and isinstance(f.get("content"), str) and len(f["content"]) <= MAX_FILE_TEXT
            and isinstance(f.get("filename", ""), str) and len(f.get("filename", "")) <= 200 for f in files):
        raise ApiError(422, "bad_value", f"attachments must be up to {services.MAX_FILES} objects "
                       "{filename, content (base64)} of at most 5 MB each.", "attachments")
    try:
        return [(f.get("filename") or "", base64.b64decode(f["content"], validate=True)) for f in files]
    except (binascii.Error, ValueError):
        raise ApiError(422, "bad_value", "attachment contents must be base64 texts.", "attachments")


@api.route("/service/messages", methods=["POST"])
@shopper_token
def service_message_send():
    """Write to the store: in the general thread, or the thread about one of the shopper's orders."""
    data = _json()
    number = _order_number(data.get("order_number", ""))
    body = _str(data, "body", limit=services.MAX_BODY, required=False)
    files = _files(data)
    member = g.member

    def send():
        conversation = services.conversation_for(member.id, number, member.name or "", member.email)
        return services.post_message(conversation, "shopper", member, body, files)

    message = committed(send)
    return jsonify(_message_body(message)), 201


@api.route("/service/conversations/read", methods=["POST"])
@shopper_token
def service_read():
    """The shopper has read a thread: its unread count goes back to 0."""
    data = _json()
    number = _order_number(data.get("order_number", ""))
    conversation = queries.shopper_conversation(g.member.id, number)
    if conversation is None:
        raise ApiError(404, "not_found", "No such conversation.")
    commit(lambda: services.mark_read(conversation, "shopper"))
    return jsonify(_conversation_body(queries.shopper_conversation(g.member.id, number)))


@api.route("/service/attachments/<int:id>")
@shopper_token
def service_attachment(id):
    from app.core.storage import get_storage

    found = queries.shopper_attachment(g.member.id, id) if 0 < id < 2 ** 62 else None
    storage = get_storage()
    if found is None or not storage.owns(found.key):
        raise ApiError(404, "not_found", "No such attachment.")
    return send_file(storage.path(found.key), mimetype=found.content_type, download_name=found.filename,
                     as_attachment=True, max_age=0)


@api.route("/service/tickets")
@shopper_token
def service_tickets():
    return jsonify(items=[_ticket_body(t) for t in queries.shopper_tickets(g.member.id)])


@api.route("/service/tickets/<int:id>/rating", methods=["POST"])
@shopper_token
def service_ticket_rate(id):
    """Rate a solved ticket from 1 to 5 stars, once (it closes)."""
    ticket = queries.shopper_ticket(g.member.id, id) if 0 < id < 2 ** 62 else None
    if ticket is None:
        raise ApiError(404, "not_found", "No such ticket.")
    data = _json()
    score = _int(data.get("score"), "score", 1, 5)
    comment = _str(data, "comment", limit=500, required=False)
    member_id = g.member.id
    committed(lambda: services.rate_ticket(member_id, ticket, score, comment))
    return jsonify(_ticket_body(queries.shopper_ticket(member_id, id)))


# --- the OpenAPI document of these operations ---------------------------------------------------------

_ORDER_QUERY = {"name": "order_number", "in": "query", "required": False,
                "schema": {"type": "string", "maxLength": 24},
                "description": "One of the shopper's orders; leave out for the general thread"}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_THREAD = {"type": "object", "properties": {
    "order_number": {"type": "string", "maxLength": 24, "description": "Leave out (or empty) for the general thread"}}}
SPEC["components"]["schemas"].update({
    "ServiceConversation": {"type": "object", "required": ["id", "order_number", "unread"], "properties": {
        "id": {"type": "integer"}, "order_number": {"type": "string", "description": "Empty: the general thread"},
        "status": {"type": "string"}, "unread": {"type": "integer", "description": "Messages from the store not read"},
        "last_message_at": {"type": "string", "format": "date-time"}, "last_message_preview": {"type": "string"},
        "last_author": {"type": "string", "enum": ["shopper", "staff", "system"]}}},
    "ServiceAttachment": {"type": "object", "required": ["id", "filename", "content_type", "size"], "properties": {
        "id": {"type": "integer"}, "filename": {"type": "string"}, "content_type": {"type": "string"},
        "size": {"type": "integer"}}},
    "ServiceMessage": {"type": "object", "required": ["id", "author", "body", "created_at"], "properties": {
        "id": {"type": "integer"}, "author": {"type": "string", "enum": ["shopper", "staff", "system"]},
        "author_name": {"type": "string"}, "body": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "attachments": {"type": "array", "items": _ref("ServiceAttachment")}}},
    "ServiceTicket": {"type": "object", "required": ["id", "number", "subject", "status", "rateable"], "properties": {
        "id": {"type": "integer"}, "number": {"type": "string"}, "subject": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "pending", "escalated", "resolved", "closed", "merged"]},
        "status_label": {"type": "string"}, "order_number": {"type": "string"},
        "aftersales_number": {"type": "string", "description": "The after-sales request the ticket follows"},
        "created_at": {"type": "string", "format": "date-time"},
        "rateable": {"type": "boolean", "description": "Solved and not rated yet"},
        "csat_score": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
        "csat_comment": {"type": "string"}}},
})
SPEC["paths"].update({
    "/api/v1/shop/{slug}/service/conversations": {"get": _op(
        "listServiceConversations", "The shopper's threads with the store, latest first, and the unread total",
        _doc({"type": "object", "required": ["items", "unread"], "properties": {
            "items": {"type": "array", "items": _ref("ServiceConversation")}, "unread": {"type": "integer"}}}),
        secure=True)},
    "/api/v1/shop/{slug}/service/conversations/read": {"post": _op(
        "markServiceConversationRead", "The shopper has read a thread", _doc(_ref("ServiceConversation")),
        body=_THREAD, secure=True)},
    "/api/v1/shop/{slug}/service/messages": {
        "get": _op("listServiceMessages", "The messages of one thread, oldest first",
                   _doc({"type": "object", "required": ["items"], "properties": {
                       "conversation": {**_ref("ServiceConversation"), "nullable": True},
                       "items": {"type": "array", "items": _ref("ServiceMessage")}}}),
                   params=[_ORDER_QUERY], secure=True),
        "post": _op("sendServiceMessage", "Write to the store (a ticket opens, or a solved one reopens)",
                    _doc(_ref("ServiceMessage"), "Created"), status="201", secure=True, body={
                        "type": "object", "properties": {
                            **_THREAD["properties"],
                            "body": {"type": "string", "maxLength": services.MAX_BODY},
                            "attachments": {"type": "array", "maxItems": services.MAX_FILES, "items": {
                                "type": "object", "required": ["content"], "properties": {
                                    "filename": {"type": "string", "maxLength": 200},
                                    "content": {"type": "string", "format": "byte",
                                                "description": "An image or PDF of at most 5 MB, base64"}}}}}})},
    "/api/v1/shop/{slug}/service/attachments/{id}": {"get": {
        **_op("getServiceAttachment", "A file of one of the shopper's threads",
              {"description": "The file", "content": {"application/octet-stream": {
                  "schema": {"type": "string", "format": "binary"}}}}, params=[_ID], secure=True)}},
    "/api/v1/shop/{slug}/service/tickets": {"get": _op(
        "listServiceTickets", "The shopper's tickets, newest first",
        _doc({"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": _ref("ServiceTicket")}}}), secure=True)},
    "/api/v1/shop/{slug}/service/tickets/{id}/rating": {"post": _op(
        "rateServiceTicket", "Rate a solved ticket once, 1 to 5 stars (it closes)", _doc(_ref("ServiceTicket")),
        params=[_ID], secure=True, body={"type": "object", "required": ["score"], "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "comment": {"type": "string", "maxLength": 500}}})},
})

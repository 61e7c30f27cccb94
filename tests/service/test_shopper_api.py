"""The shopper API of customer service: threads (general and per order) with attachments, the
store's answer unread until the shopper reads it, the shopper's tickets and their rating — and
never another shopper's thread, file or ticket."""
import base64

from sqlalchemy import select

from app.blueprints.service import services
from app.blueprints.service.models import Conversation, Ticket
from app.extensions import db
from tests import factories as f
from tests.conftest import PASSWORD


def _auth(client, store, member):
    response = client.post(f"/api/v1/shop/{store.slug}/auth/token", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_a_shopper_writes_reads_the_answer_and_rates_the_ticket_through_the_api(app, client, store):
    base = f"/api/v1/shop/{store.slug}/service"
    member, other = f.member(store, name="李雷"), f.member(store)
    order = f.order(store, "paid", member_obj=member)
    mine, theirs = _auth(client, store, member), _auth(client, store, other)

    sent = client.post(f"{base}/messages", headers=mine, json={
        "order_number": order.number, "body": "什么时候发货？",
        "attachments": [{"filename": "cart.png", "content": base64.b64encode(f.png()).decode()}]})
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["body"] == "什么时候发货？" and sent.get_json()["attachments"][0]["filename"] == "cart.png"
    file_id = sent.get_json()["attachments"][0]["id"]
    assert client.get(f"{base}/attachments/{file_id}", headers=mine).data == f.png()
    assert client.get(f"{base}/attachments/{file_id}", headers=theirs).status_code == 404

    with f.bound(store, request=True):
        conversation = db.session.scalar(select(Conversation).where(Conversation.order_number == order.number))
        services.post_message(conversation, "staff", None, "今天下午发出")
    threads = client.get(f"{base}/conversations", headers=mine).get_json()
    assert threads["unread"] == 1 and threads["items"][0]["order_number"] == order.number
    thread = client.get(f"{base}/messages?order_number={order.number}", headers=mine).get_json()
    assert [(m["author"], m["body"]) for m in thread["items"]] == [("shopper", "什么时候发货？"), ("staff", "今天下午发出")]
    read = client.post(f"{base}/conversations/read", headers=mine, json={"order_number": order.number})
    assert read.status_code == 200 and read.get_json()["unread"] == 0

    # another shopper sees nothing of it, and cannot write about this order
    assert client.get(f"{base}/conversations", headers=theirs).get_json() == {"items": [], "unread": 0}
    assert client.get(f"{base}/messages?order_number={order.number}", headers=theirs).status_code == 404
    assert client.post(f"{base}/messages", headers=theirs, json={"order_number": order.number,
                                                                 "body": "?"}).status_code == 404
    assert client.get(f"{base}/tickets", headers=theirs).get_json() == {"items": []}

    tickets = client.get(f"{base}/tickets", headers=mine).get_json()["items"]
    assert len(tickets) == 1 and tickets[0]["order_number"] == order.number and not tickets[0]["rateable"]
    ticket_id = tickets[0]["id"]
    early = client.post(f"{base}/tickets/{ticket_id}/rating", headers=mine, json={"score": 5})
    assert early.status_code == 422 and early.get_json()["error"]["field"] == "score"
    with f.bound(store, request=True):
        services.resolve_ticket(None, db.session.get(Ticket, ticket_id), "answered")
    assert client.post(f"{base}/tickets/{ticket_id}/rating", headers=theirs, json={"score": 1}).status_code == 404
    bad = client.post(f"{base}/tickets/{ticket_id}/rating", headers=mine, json={"score": 9})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "score"
    rated = client.post(f"{base}/tickets/{ticket_id}/rating", headers=mine, json={"score": 4, "comment": "快"})
    assert rated.status_code == 200, rated.get_json()
    assert (rated.get_json()["status"], rated.get_json()["csat_score"], rated.get_json()["rateable"]) == \
        ("closed", 4, False)
    again = client.post(f"{base}/tickets/{ticket_id}/rating", headers=mine, json={"score": 5})
    assert again.status_code == 422 and f.get(store, Ticket, ticket_id).csat_score == 4


def test_the_general_thread_and_bad_input(client, store):
    base = f"/api/v1/shop/{store.slug}/service"
    member = f.member(store)
    auth = _auth(client, store, member)
    assert client.get(f"{base}/messages", headers=auth).get_json() == {"conversation": None, "items": []}
    assert client.get(f"{base}/tickets").status_code == 401
    empty = client.post(f"{base}/messages", headers=auth, json={"body": "  "})
    assert empty.status_code == 422 and empty.get_json()["error"]["field"] == "body"
    garbled = client.post(f"{base}/messages", headers=auth, json={"body": "hi", "attachments": [{"content": "%%"}]})
    assert garbled.status_code == 422 and garbled.get_json()["error"]["field"] == "attachments"
    assert client.get(f"{base}/conversations", headers=auth).get_json()["items"] == []       # nothing was written
    sent = client.post(f"{base}/messages", headers=auth, json={"body": "你好"})
    assert sent.status_code == 201
    thread = client.get(f"{base}/messages", headers=auth).get_json()
    assert thread["conversation"]["order_number"] == "" and [m["body"] for m in thread["items"]] == ["你好"]
    spec = client.get("/api/v1/openapi.json").get_json()
    ops = {op["operationId"] for path, item in spec["paths"].items() if "/service/" in path for op in item.values()}
    assert ops == {"listServiceConversations", "markServiceConversationRead", "listServiceMessages",
                   "sendServiceMessage", "getServiceAttachment", "listServiceTickets", "rateServiceTicket"}

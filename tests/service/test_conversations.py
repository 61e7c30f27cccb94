"""Conversations: the shopper's threads (general and per order) with attachments, the agent
inbox that updates itself, mail when the other side has not read in time, and privacy: a
shopper never sees another shopper's thread, ticket or file."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.blueprints.service import jobs as service_jobs, services
from app.blueprints.service.models import Attachment, Conversation, Message, Ticket
from app.core import jobs
from app.core.db import utcnow
from app.extensions import db
from tests import factories as f
from tests.conftest import last_mail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _run_job(app, store, fn):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return jobs.run_job(fn.job_name, store.id, [], {})


def _conversation(store, conversation_id) -> Conversation:
    return f.read(store, lambda: db.session.get(Conversation, conversation_id))


def _upload(name, data):
    import io

    return (io.BytesIO(data), name)


def test_a_shopper_writes_about_an_order_with_a_photo_and_staff_see_it_unread_in_the_inbox(store, owner):
    member = f.member(store, name="韩梅梅")
    order = f.order(store, "paid", member_obj=member)
    shopper = f.shopper_client(store, member)
    url = f"/shop/{store.slug}/service/orders/{order.number}"
    assert shopper.get(url).status_code == 200
    response = shopper.form(url, {"body": "包装破了", "files": [_upload("photo.png", f.png())]},
                            content_type="multipart/form-data")
    assert response.status_code == 303
    conversation = f.read(store, lambda: db.session.scalar(select(Conversation).where(
        Conversation.order_number == order.number)))
    assert (conversation.shopper_id, conversation.staff_unread) == (member.id, 1)
    inbox = owner.get(f"/store/{store.slug}/service/inbox").get_data(True)
    assert "韩梅梅" in inbox and "包装破了" in inbox and 'data-unread="1"' in inbox
    page = owner.get(f"/store/{store.slug}/service/conversations/{conversation.id}").get_data(True)
    assert "包装破了" in page and "service/conversations/%d/read" % conversation.id in page
    attachment = f.read(store, lambda: db.session.scalar(select(Attachment)))
    assert attachment.content_type == "image/png"
    assert owner.get(f"/store/{store.slug}/service/attachments/{attachment.id}").data == f.png()
    assert shopper.get(f"/shop/{store.slug}/service/attachments/{attachment.id}").data == f.png()
    # opening the thread marks it read (the page posts that itself once loaded)
    assert owner.form(f"/store/{store.slug}/service/conversations/{conversation.id}/read").status_code == 204
    assert _conversation(store, conversation.id).staff_unread == 0


def test_attachments_are_checked_for_type_and_size_and_a_refused_one_saves_nothing(store):
    member = f.member(store)
    shopper = f.shopper_client(store, member)
    url = f"/shop/{store.slug}/service/messages"
    for name, data in (("run.exe", b"MZ\x90\x00" * 10), ("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024))):
        response = shopper.form(url, {"body": "看附件", "files": [_upload(name, data)]},
                                content_type="multipart/form-data")
        assert response.status_code == 422
    assert "PNG, JPEG, GIF" in response.get_data(True) or "at most 5 MB" in response.get_data(True)
    assert f.read(store, lambda: db.session.scalar(select(Message.id))) is None
    response = shopper.form(url, {"body": "", "files": [_upload("invoice.pdf", PDF)]},
                            content_type="multipart/form-data")
    assert response.status_code == 303
    assert f.read(store, lambda: db.session.scalar(select(Attachment.content_type))) == "application/pdf"


def test_a_shopper_never_sees_another_shoppers_thread_ticket_or_file(store):
    alice, bob = f.member(store, name="Alice甲"), f.member(store, name="Bob乙")
    order = f.order(store, "paid", member_obj=alice)
    theirs = f.conversation(store, alice, order.number, body="ALICE-SECRET", files=[("a.png", f.png())])
    (ticket,) = f.read(store, lambda: db.session.scalars(select(Ticket).where(
        Ticket.conversation_id == theirs.id)).all())
    attachment = f.read(store, lambda: db.session.scalar(select(Attachment.id)))
    with f.bound(store, request=True):
        services.resolve_ticket(None, db.session.get(Ticket, ticket.id))
    snoop = f.shopper_client(store, bob)
    base = f"/shop/{store.slug}/service"
    assert snoop.get(f"{base}/orders/{order.number}").status_code == 404
    assert snoop.form(f"{base}/orders/{order.number}", {"body": "hi"}).status_code == 404
    assert snoop.get(f"{base}/attachments/{attachment}").status_code == 404
    assert snoop.form(f"{base}/conversations/{theirs.id}/read").status_code == 404
    assert snoop.form(f"{base}/tickets/{ticket.id}/rate", {"score": "1"}).status_code == 404
    for path in ("/", "/messages"):
        html = snoop.get(base + path).get_data(True)
        assert "ALICE-SECRET" not in html and ticket.number not in html and order.number not in html
    assert _conversation(store, theirs.id).shopper_unread == 0 and \
        f.read(store, lambda: db.session.get(Ticket, ticket.id).csat_score) is None
    # the owner of the thread does see it
    mine = f.shopper_client(store, alice).get(f"{base}/").get_data(True)
    assert ticket.number in mine and order.number in mine


def test_inbox_poll_answers_no_content_until_a_new_message_arrives(store, owner):
    member = f.member(store, name="李四")
    f.conversation(store, member, body="第一条")
    url = f"/store/{store.slug}/service/inbox"
    page = owner.get(url).get_data(True)
    import re

    poll = re.search(r'hx-get="([^"]+)" hx-trigger="every 10s"', page).group(1).replace("&amp;", "&")
    headers = {"HX-Request": "true", "HX-Target": "list-results"}
    assert owner.get(poll, headers=headers).status_code == 204
    f.conversation(store, f.member(store, name="王五"), body="第二条新消息")
    response = owner.get(poll, headers=headers)
    assert response.status_code == 200
    html = response.get_data(True)
    assert "第二条新消息" in html and 'hx-swap-oob="true"' in html and "<html" not in html
    fresh = re.search(r'hx-get="([^"]+)" hx-trigger="every 10s"', html).group(1).replace("&amp;", "&")
    assert owner.get(fresh, headers=headers).status_code == 204


def test_the_inbox_costs_the_same_statements_for_few_and_many_threads(app, make_store):
    from tests.support.crud import queries_for

    counts = {}
    for n in (2, 12):
        store = make_store()
        for i in range(n):
            f.conversation(store, f.member(store, name=f"顾客{i}"), body=f"消息{i}")
        owner = f.client("store", store=store)
        counts[n], html = queries_for(app, owner, f"/store/{store.slug}/service/inbox?per_page=50")
        assert f"消息{n - 1}" in html
    assert counts[2] == counts[12], counts


def test_unread_messages_are_mailed_after_the_stores_minutes_once(app, store):
    alert = f"{f.unique('desk')}@example.com"
    with f.bound(store, request=True):
        row = services.settings()
        row.alert_email, row.unread_mail_minutes = alert, 10
    member = f.member(store, email=f"{f.unique('shopper')}@example.com")
    conversation = f.conversation(store, member, body="有人在吗")
    assert _run_job(app, store, service_jobs.notify_unread) == 0              # not 10 minutes yet
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert _run_job(app, store, service_jobs.notify_unread) == 1
        assert _run_job(app, store, service_jobs.notify_unread) == 0          # once per unread streak
    assert "有人在吗" in last_mail(app, alert)
    # the store answers; the shopper does not read it in time and gets a mail with the link
    with f.bound(store, request=True):
        staff = f.staff(store, "customer_service")
        services.post_message(db.session.get(Conversation, conversation.id), "staff", staff, "您好，在的")
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert _run_job(app, store, service_jobs.notify_unread) == 1
    body = last_mail(app, member.email)
    assert "您好，在的" in body and f"/shop/{store.slug}/service/messages" in body
    # a thread read in time is not mailed
    other = f.conversation(store, f.member(store), body="第二位顾客")
    with f.bound(store, request=True):
        services.mark_read(db.session.get(Conversation, other.id), "staff")
    with time_machine.travel(utcnow() + timedelta(minutes=30), tick=False):
        assert _run_job(app, store, service_jobs.notify_unread) == 0

"""Customer service pages on the shared list and form views: fixed query counts, permission,
cross-store refusal, field errors."""
from app.blueprints.service.models import Agent, CannedReply, Conversation, Queue, SlaPolicy, Ticket
from app.blueprints.service.models import PRIORITIES
from tests import factories as f
from tests.support.crud import StorePages


class TestQueuePages(StorePages):
    list_path = "service/queues"
    create_path = "service/queues/new"
    edit_path = "service/queues/{id}"
    permission = "service.settings"
    model = Queue
    form = {"name": "售后组", "skill": "aftersales", "strategy": "least_loaded", "active": "y"}
    bad_form = {"name": "", "skill": "aftersales", "strategy": "round_robin"}

    def make(self, store, i):
        return f.service_queue(store, name=f"队列{i}-{f.unique('q')}")


class TestPolicyPages(StorePages):
    list_path = "service/sla-policies"
    create_path = "service/sla-policies/new"
    edit_path = "service/sla-policies/{id}"
    permission = "service.settings"
    model = SlaPolicy
    form = {"name": "紧急", "priority": "urgent", "queue_id": "0", "first_response_minutes": "10",
            "resolution_minutes": "60", "warn_minutes": "5", "active": "y"}
    bad_form = {"name": "紧急", "priority": "urgent", "queue_id": "0", "first_response_minutes": "30",
                "resolution_minutes": "20", "warn_minutes": "5"}

    def make(self, store, i):
        return f.service_policy(store, PRIORITIES[i % len(PRIORITIES)], queue_obj=f.service_queue(store))

    def edit_data(self, row):
        return {"name": row.name, "priority": row.priority, "queue_id": str(row.queue_id or 0),
                "first_response_minutes": "20", "resolution_minutes": "90", "warn_minutes": "5", "active": "y"}


class TestCannedPages(StorePages):
    list_path = "service/canned-replies"
    create_path = "service/canned-replies/new"
    edit_path = "service/canned-replies/{id}"
    permission = "service.settings"
    model = CannedReply
    form = {"title": "发货说明", "body": "{姓名}您好，订单 {order_number} 今天发出。", "active": "y"}
    bad_form = {"title": "坏变量", "body": "您好 {password}"}

    def make(self, store, i):
        return f.canned_reply(store, title=f"回复{i}-{f.unique('c')}")


class TestTicketPages(StorePages):
    list_path = "service/tickets"
    detail_path = "service/tickets/{id}"
    permission = "service.view"
    model = Ticket

    def make(self, store, i):
        queue = f.service_queue(store) if i == 0 else None
        return f.ticket(store, subject=f"工单{i}", queue_obj=queue, conversation_obj=f.conversation(store))


class TestInboxPages(StorePages):
    list_path = "service/inbox"
    detail_path = "service/conversations/{id}"
    permission = "service.view"
    model = Conversation

    def make(self, store, i):
        member = f.member(store, name=f"顾客{f.unique('m')}")
        return f.conversation(store, member, body=f"消息{i}", files=[("a.png", f.png())] if i % 2 else ())

    def shown(self, row):
        return row.shopper_name


class TestAgentPages(StorePages):
    list_path = "service/agents"
    edit_path = "service/agents/{id}"
    permission = "service.manage"
    model = Agent
    form = {"max_open": "5", "active": "y"}
    bad_form = {"max_open": "0"}

    def make(self, store, i):
        return f.service_agent(store, [])


def test_settings_refuse_a_bad_value_and_save_a_good_one(store, owner):
    from sqlalchemy import select

    from app.blueprints.service.models import ServiceSettings

    queue = f.service_queue(store, name="售后组")
    url = f"/store/{store.slug}/service/settings"
    assert owner.get(url).status_code == 200
    bad = {"message_queue_id": "0", "order_queue_id": "0", "aftersales_queue_id": str(queue.id),
           "unread_mail_minutes": "0", "auto_close_days": "3", "alert_email": "desk@example.com",
           "business_days": ["1", "2", "3", "4", "5", "6"], "business_opens": "08:30", "business_closes": "00:00"}
    assert owner.form(url, bad).status_code == 422
    assert f.read(store, lambda: f.db_session().scalar(select(ServiceSettings.id))) is None
    assert owner.form(url, {**bad, "unread_mail_minutes": "20"}).status_code == 303
    row = f.read(store, lambda: f.db_session().scalar(select(ServiceSettings)))
    assert (row.aftersales_queue_id, row.unread_mail_minutes, row.alert_email) == (queue.id, 20, "desk@example.com")
    assert (row.business_days, row.business_opens, row.business_closes) == ("123456", 510, 1440)    # 00:00: midnight


def test_staff_work_a_ticket_from_its_page(store, owner):
    from tests.service.test_tickets import _actions, _ticket

    queue, other = f.service_queue(store, name="售前"), f.service_queue(store, name="物流")
    agent = f.service_agent(store, [queue], online=False)
    ticket = f.ticket(store, subject="尺码咨询", queue_obj=queue, conversation_obj=f.conversation(store))
    base = f"/store/{store.slug}/service/tickets/{ticket.id}"
    assert "尺码咨询" in owner.get(base).get_data(True)
    assert owner.form(f"{base}/assign", {"agent_id": str(agent.id)}).status_code == 303
    assert owner.form(f"{base}/priority", {"priority": "urgent"}).status_code == 303
    assert owner.form(f"{base}/note", {"note": "老顾客"}).status_code == 303
    assert owner.form(f"{base}/reply", {"body": "您好，M 码合适"}).status_code == 303
    assert owner.form(f"{base}/pending", {"reason": ""}).status_code == 303
    assert owner.form(f"{base}/queue", {"queue_id": str(other.id)}).status_code == 303
    after = _ticket(store, ticket.id)
    assert (after.priority, after.status, after.queue_id, after.assignee_id) == ("urgent", "pending", other.id, None)
    assert after.first_responded_at is not None
    assert owner.form(f"{base}/note", {"note": ""}).status_code == 422
    assert owner.form(f"{base}/close", {"reason": ""}).status_code == 303     # not allowed from pending: refused
    assert _ticket(store, ticket.id).status == "pending"
    assert owner.form(f"{base}/resolve", {"reason": "已解答"}).status_code == 303
    assert _ticket(store, ticket.id).status == "resolved"
    assert {"assigned", "priority", "note", "first_response", "pending", "queue", "unassigned",
            "resolved"} <= set(_actions(store, ticket.id))
    page = owner.get(base).get_data(True)
    assert "老顾客" in page and "您好，M 码合适" in page

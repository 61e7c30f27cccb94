"""Customer service pages on the shared list and form views: fixed query counts, permission,
cross-store refusal, field errors."""
from app.blueprints.service.models import CannedReply, Conversation, Queue, SlaPolicy, Ticket
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

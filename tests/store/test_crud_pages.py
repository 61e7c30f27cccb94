"""The store center's list and edit pages through the shared page test base."""
from app.blueprints.store.models import Role, StaffUser
from app.blueprints.store.webhooks import WebhookEndpoint
from app.core.tasks import Task
from app.core.outbox import OutboxEvent
from app.core.audit import AuditEntry
from tests import factories as f
from tests.support.crud import StorePages


class TestStaffPages(StorePages):
    list_path = "staff"
    create_path = "staff/invite"
    edit_path = "staff/{id}"
    permission = "store.staff_manage"
    list_permission = "store.staff_view"
    model = StaffUser
    form = {"email": "new.colleague@example.com", "name": "New colleague", "role_id": "2"}
    edit_form = {"name": "Renamed", "role_id": "2"}
    bad_form = {"email": "not-an-email", "name": "x", "role_id": "2"}
    bad_edit_form = {"name": ""}

    def make(self, store, i):
        return f.staff(store, "warehouse", name=f"Staff {i:02d}")

    def shown(self, row):
        return row.email


class TestRolePages(StorePages):
    list_path = "roles"
    create_path = "roles/new"
    edit_path = "roles/{id}"
    permission = "store.roles"
    model = Role
    form = {"name": "Packers", "description": "pack", "permissions": ["store.dashboard"]}
    bad_form = {"name": "", "permissions": ["store.dashboard"]}

    def make(self, store, i):
        return f.role(store, ["store.dashboard"], name=f"Role {f.unique('r')}")


class TestWebhookPages(StorePages):
    list_path = "webhooks"
    create_path = "webhooks/new"
    edit_path = "webhooks/{id}"
    permission = "store.webhooks"
    model = WebhookEndpoint
    form = {"url": "https://hooks.example.com/new", "topics": ["order.paid"], "active": "y"}
    bad_form = {"url": "", "topics": ["order.paid"]}

    def make(self, store, i):
        return f.webhook(store, url=f"https://hooks.example.com/h{i}-{f.unique('w')}")

    def shown(self, row):
        return row.url


class TestAuditPages(StorePages):
    list_path = "audit"
    permission = "store.audit"
    model = None

    def make(self, store, i):
        f.audit_entry(store, label=f"audit-row-{store.id}-{i:02d}")
        return None

    def shown(self, row):
        return ""


class TestJobPages(StorePages):
    list_path = "jobs"
    permission = "store.jobs"
    model = Task

    def make(self, store, i):
        return f.task(store, title=f"Task {f.unique('t')}")

    def shown(self, row):
        return row.title


class TestEventPages(StorePages):
    list_path = "events"
    permission = "store.jobs"
    model = OutboxEvent

    def make(self, store, i):
        return f.event(store, status="dead", payload={"n": i})

    def shown(self, row):
        return row.topic

"""Staff, invitations, roles and permissions inside one store."""
import re

from sqlalchemy import select

from app.blueprints.platform.models import Store
from app.blueprints.store.models import StaffUser
from app.core.audit import AuditEntry
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import PASSWORD, add_staff, last_mail


def staff_id(app, store, email) -> int:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        return db.session.scalar(select(StaffUser.id).where(StaffUser.email == email))


def test_owner_invites_staff_who_joins_through_the_link(app, owner, store):
    from app.blueprints.store.queries import role_choices
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        finance = next(i for i, name in role_choices() if name == "Finance")
    response = owner.form(f"/store/{store.slug}/staff/invite", {"email": "new@person.cn", "name": "New", "role_id": finance})
    assert response.status_code == 303
    link = re.search(r"http://\S+/invitation/\S+", last_mail(app, "new@person.cn")).group(0)
    path = link.split("localhost", 1)[-1]
    newcomer = app.test_client()
    response = newcomer.form(path, {"name": "New Person", "password": "a-good-password", "confirm": "a-good-password"})
    assert response.status_code == 303
    assert newcomer.get(f"/store/{store.slug}/").status_code == 200
    # the link worked once
    assert app.test_client().get(path).status_code == 303


def test_staff_without_permission_gets_403_naming_it(app, store):
    email = add_staff(app, store, permissions=["store.dashboard"])
    member = app.test_client()
    member.login("store", email, slug=store.slug)
    response = member.get(f"/store/{store.slug}/staff")
    assert response.status_code == 403
    assert "store.staff_view" in response.get_data(as_text=True)


def test_sidebar_shows_only_permitted_entries(app, store):
    email = add_staff(app, store, permissions=["store.dashboard", "store.audit"])
    member = app.test_client()
    member.login("store", email, slug=store.slug)
    html = member.get(f"/store/{store.slug}/").get_data(as_text=True)
    menu = set(re.findall(r'data-menu="([^"]+)"', html))
    assert menu == {"store.dashboard", "store.audit"}


def test_changing_a_role_is_audited_with_before_and_after(app, owner, store):
    email = add_staff(app, store, role="warehouse")
    sid = staff_id(app, store, email)
    from app.blueprints.store.queries import role_choices
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        finance = next(i for i, name in role_choices() if name == "Finance")
    response = owner.form(f"/store/{store.slug}/staff/{sid}", {"name": "Renamed", "role_id": finance})
    assert response.status_code == 303
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.updated"))
        assert entry.changes["role"] == ["Warehouse", "Finance"]
        assert entry.changes["name"] == ["Staff", "Renamed"]
        assert entry.actor_name == store.owner_email and entry.ip == "127.0.0.1"


def test_last_owner_cannot_be_demoted(app, owner, store):
    sid = staff_id(app, store, store.owner_email)
    from app.blueprints.store.queries import role_choices
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        ops = next(i for i, name in role_choices() if name == "Operations")
    response = owner.form(f"/store/{store.slug}/staff/{sid}", {"name": "Owner", "role_id": ops})
    assert response.status_code == 422
    assert "at least one active owner" in response.get_data(as_text=True)


def test_invite_with_bad_email_rerenders_with_input_kept(owner, store):
    response = owner.form(f"/store/{store.slug}/staff/invite", {"email": "not-an-email", "name": "Kept Name", "role_id": 2})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Kept Name"' in html and 'aria-invalid="true"' in html


def test_plan_staff_limit_is_enforced(app, make_store):
    store = make_store(plan="free")  # 3 staff
    add_staff(app, store)
    add_staff(app, store)
    owner = app.test_client()
    owner.login("store", store.owner_email, slug=store.slug)
    response = owner.form(f"/store/{store.slug}/staff/invite", {"email": "fourth@x.cn", "name": "4", "role_id": 2})
    assert response.status_code == 422 and "plan allows 3" in response.get_data(as_text=True)


def test_custom_role_crud(app, owner, store):
    response = owner.form(f"/store/{store.slug}/roles/new",
                          {"name": "Auditor", "description": "reads logs", "permissions": ["store.audit", "store.dashboard"]})
    assert response.status_code == 303
    html = owner.get(f"/store/{store.slug}/roles?q=Auditor").get_data(as_text=True)
    assert "Auditor" in html
    response = owner.form(f"/store/{store.slug}/roles/new", {"name": "auditor", "permissions": ["store.audit"]})
    assert response.status_code == 422 and "exists already" in response.get_data(as_text=True)


def test_suspended_store_shows_the_suspended_page(app, store, platform_admin):
    member = app.test_client()
    member.login("store", store.owner_email, slug=store.slug)
    platform_admin.form(f"/platform/stores/{store.id}/suspend", {"reason": "unpaid"})
    response = member.get(f"/store/{store.slug}/")
    assert response.status_code == 403 and "suspended" in response.get_data(as_text=True)
    assert app.test_client().get(f"/store/{store.slug}/login").status_code == 403
    platform_admin.form(f"/platform/stores/{store.id}/reactivate")
    assert member.get(f"/store/{store.slug}/").status_code == 200


def test_password_change_needs_the_current_password(owner, store):
    response = owner.form(f"/store/{store.slug}/account", {"current": "wrong", "password": "x" * 12, "confirm": "x" * 12})
    assert response.status_code == 422 and "current password is wrong" in response.get_data(as_text=True)
    response = owner.form(f"/store/{store.slug}/account", {"current": PASSWORD, "password": "x" * 12, "confirm": "x" * 12})
    assert response.status_code == 303

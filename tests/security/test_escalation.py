"""Nobody gains more inside a store than they hold: the whole staff/role matrix, through
the pages an attacker would post to."""
import pytest
from sqlalchemy import select

from app.blueprints.platform.models import Store
from app.blueprints.store.models import Role, StaffUser
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import add_staff

MANAGER = ["store.dashboard", "store.staff_view", "store.staff_manage", "store.roles", "store.audit"]
AUDITOR = ["store.dashboard", "store.audit"]   # a subset of what the manager holds


class Shop:
    """A store with its owner, a staff manager holding MANAGER, a clerk whose 'Helper' role
    is within the manager's, a warehouse worker (whose role is not) and an 'Auditor' role
    the manager may hand out."""

    def __init__(self, app, store):
        self.app, self.store = app, store
        self.manager_email = add_staff(app, store, permissions=MANAGER)
        self.warehouse_email = add_staff(app, store, role="warehouse")
        self.clerk_email = add_staff(app, store, permissions=["store.dashboard"])
        with self._ctx():
            from app.blueprints.store import services

            services.create_role(None, "Auditor", "", AUDITOR)
            db.session.commit()

    def _ctx(self):
        from contextlib import ExitStack

        stack = ExitStack()
        stack.enter_context(self.app.app_context())
        stack.enter_context(store_context(db.session.get(Store, self.store.id)))
        return stack

    def role(self, name: str) -> int:
        with self._ctx():
            return next(r.id for r in db.session.scalars(select(Role)) if r.display_name == name)

    def staff(self, email: str) -> tuple[int, str, str]:
        """(id, role name, status)"""
        with self._ctx():
            s = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
            return s.id, s.role.display_name, s.status

    def permissions_of(self, name: str) -> list[str]:
        with self._ctx():
            return sorted(next(r.permissions for r in db.session.scalars(select(Role)) if r.display_name == name))

    def client(self, email: str):
        c = self.app.test_client()
        c.login("store", email, slug=self.store.slug)
        return c

    def url(self, path: str) -> str:
        return f"/store/{self.store.slug}{path}"


@pytest.fixture()
def shop(app, store):
    return Shop(app, store)


def _set_role(shop, actor_email, target_email, role_name):
    sid = shop.staff(target_email)[0]
    return shop.client(actor_email).form(shop.url(f"/staff/{sid}"), {"name": "Someone", "role_id": shop.role(role_name)})


# (who acts, whose role, new role, allowed?)
ROLE_MATRIX = [
    ("manager", "manager", "Owner", False),       # the attack: make oneself owner
    ("manager", "manager", "Auditor", False),     # nobody changes their own role, even downwards
    ("manager", "owner", "Warehouse", False),     # ... and then demote the real owner
    ("manager", "clerk", "Owner", False),         # only owners grant the owner role
    ("manager", "clerk", "Finance", False),       # Finance holds permissions the manager lacks
    ("manager", "clerk", "Auditor", True),        # a role within the manager's own permissions
    ("manager", "warehouse", "Auditor", False),   # the worker holds permissions the manager lacks
    ("owner", "clerk", "Owner", True),            # owners grant the owner role
    ("owner", "manager", "Finance", True),
    ("owner", "owner", "Warehouse", False),       # the last owner stays an owner
]


@pytest.mark.parametrize("actor,target,role_name,allowed", ROLE_MATRIX)
def test_staff_role_changes_follow_the_escalation_rules(shop, actor, target, role_name, allowed):
    emails = {"owner": shop.store.owner_email, "manager": shop.manager_email, "clerk": shop.clerk_email,
              "warehouse": shop.warehouse_email}
    before = shop.staff(emails[target])
    response = _set_role(shop, emails[actor], emails[target], role_name)
    after = shop.staff(emails[target])
    if allowed:
        assert response.status_code == 303
        assert after[1] == role_name
    else:
        assert response.status_code == 422
        assert after == before
        assert 'id="role_id-error"' in response.get_data(as_text=True)   # shown on the role field


def test_only_owners_change_an_owner_and_a_second_owner_may_step_down(shop):
    second = add_staff(shop.app, shop.store, role="owner")
    # a second owner may demote the first one; the first is then no longer protected as "last"
    assert _set_role(shop, second, shop.store.owner_email, "Operations").status_code == 303
    assert shop.staff(shop.store.owner_email)[1] == "Operations"
    # the remaining owner cannot demote themselves
    assert _set_role(shop, second, second, "Operations").status_code == 422
    assert shop.staff(second)[1] == "Owner"


@pytest.mark.parametrize("role_name,allowed", [("Owner", False), ("Finance", False), ("Auditor", True)])
def test_invitations_grant_only_roles_the_inviter_holds(shop, role_name, allowed):
    response = shop.client(shop.manager_email).form(
        shop.url("/staff/invite"), {"email": f"new-{role_name.lower()}@x.cn", "name": "New", "role_id": shop.role(role_name)})
    assert response.status_code == (303 if allowed else 422)
    assert ('id="role_id-error"' in response.get_data(as_text=True)) == (not allowed)
    with shop._ctx():
        invited = db.session.scalar(select(StaffUser).where(StaffUser.email == f"new-{role_name.lower()}@x.cn"))
        assert (invited is not None) == allowed


def test_staff_manager_cannot_disable_the_owner(shop):
    owner_id = shop.staff(shop.store.owner_email)[0]
    manager = shop.client(shop.manager_email)
    manager.form(shop.url(f"/staff/{owner_id}/status"), {"enabled": "0"})
    assert shop.staff(shop.store.owner_email)[2] == "active"
    # nor through the list's bulk action
    manager.form(shop.url("/staff"), {"action": "disable", "ids": [str(owner_id)]})
    assert shop.staff(shop.store.owner_email)[2] == "active"
    # nor the warehouse worker, who holds more than they do
    manager.form(shop.url(f"/staff/{shop.staff(shop.warehouse_email)[0]}/status"), {"enabled": "0"})
    assert shop.staff(shop.warehouse_email)[2] == "active"
    # but may disable the clerk, whose role is within theirs
    manager.form(shop.url(f"/staff/{shop.staff(shop.clerk_email)[0]}/status"), {"enabled": "0"})
    assert shop.staff(shop.clerk_email)[2] == "disabled"


def _save_role(shop, actor_email, role_name, codes, name=None):
    return shop.client(actor_email).form(shop.url(f"/roles/{shop.role(role_name)}"),
                                        {"name": name or role_name, "description": "", "permissions": codes})


def _manager_role_name(shop) -> str:
    return shop.staff(shop.manager_email)[1]


def test_nobody_edits_the_role_they_hold(shop):
    own = _manager_role_name(shop)
    response = _save_role(shop, shop.manager_email, own, MANAGER + ["payments.refund"])
    assert response.status_code == 422
    assert shop.permissions_of(own) == sorted(MANAGER)
    # not even to remove something
    assert _save_role(shop, shop.manager_email, own, ["store.dashboard"]).status_code == 422
    assert shop.permissions_of(own) == sorted(MANAGER)


@pytest.mark.parametrize("codes,allowed", [
    (AUDITOR + ["payments.refund"], False),       # adding a permission the editor lacks
    (AUDITOR + ["store.staff_view"], True),       # adding one the editor holds
    (["store.dashboard"], True),                  # removing one the editor holds
])
def test_role_editors_add_or_remove_only_what_they_hold(shop, codes, allowed):
    response = _save_role(shop, shop.manager_email, "Auditor", codes)
    assert response.status_code == (303 if allowed else 422)
    assert shop.permissions_of("Auditor") == (sorted(codes) if allowed else sorted(AUDITOR))


def test_role_editors_cannot_strip_permissions_they_lack_from_another_role(shop):
    finance = shop.permissions_of("Finance")
    response = _save_role(shop, shop.manager_email, "Finance", ["store.dashboard", "store.audit"])
    assert response.status_code == 422
    assert shop.permissions_of("Finance") == finance


def test_new_roles_hold_only_what_their_creator_holds(shop):
    manager = shop.client(shop.manager_email)
    response = manager.form(shop.url("/roles/new"), {"name": "Sneaky", "permissions": ["store.audit", "payments.refund"]})
    assert response.status_code == 422 and "Refund payments" in response.get_data(as_text=True)
    response = manager.form(shop.url("/roles/new"), {"name": "Fine", "permissions": ["store.audit"]})
    assert response.status_code == 303
    assert shop.permissions_of("Fine") == ["store.audit"]

"""Store-management operations on the bound store: staff, roles, invitations.
Each function flushes and audits; the caller commits (and mails after commit)."""
from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.blueprints.platform.models import Store
from app.blueprints.store.models import Role, StaffUser
from app.core import audit, permissions
from app.core.errors import DomainError, DuplicateCode
from app.core.outbox import emit
from app.core.security import (BadToken, hash_password, make_token, password_fingerprint, read_token)
from app.core.tenancy import current_store
from app.extensions import db


def seed_store(owner_email: str, owner_name: str, owner_password: str | None):
    """Built-in roles and the owner of a new store. Returns (owner, invitation token or None)."""
    roles = {}
    for code in permissions.BUILTIN_ROLES:
        role = Role(builtin=code, name=code, permissions=[] if code == "owner" else permissions.defaults_for(code))
        db.session.add(role)
        roles[code] = role
    owner = StaffUser(email=owner_email, name=owner_name, role=roles["owner"],
                      status="active" if owner_password else "invited",
                      password_hash=hash_password(owner_password) if owner_password else None,
                      invitation_nonce=None if owner_password else _new_nonce())
    db.session.add(owner)
    db.session.flush()  # the roles in one multi-row INSERT, then the owner: two statements
    return owner, None if owner_password else _invitation_link(owner)


def _sync_staff_count() -> None:
    count = db.session.scalar(select(func.count(StaffUser.id)).where(StaffUser.status != "disabled"))
    db.session.execute(db.update(Store).where(Store.id == current_store().id).values(staff_count=count))


def _role(role_id) -> Role:
    role = db.session.get(Role, role_id) if role_id else None
    if role is None:
        raise DomainError(_("Choose a role."), field="role_id")
    return role


def _active_owners() -> int:
    return db.session.scalar(
        select(func.count(StaffUser.id)).join(Role).where(Role.builtin == "owner", StaffUser.status == "active"))


class NotYours(DomainError):
    """A staff member tried to grant more than they hold, or to change their own access."""


def _held(actor) -> set[str] | None:
    """The permission codes `actor` holds; None for everything (owners, the CLI, the platform)."""
    if not isinstance(actor, StaffUser) or actor.role.is_owner:
        return None
    return set(actor.role.permissions)


def _is_owner(actor) -> bool:
    return _held(actor) is None


def _check_grantable(actor, role: Role, field: str = "role_id") -> None:
    """`actor` may hand out `role`: only owners grant the owner role, and nobody grants a
    role holding a permission they lack themselves."""
    held = _held(actor)
    if held is None:
        return
    if role.is_owner:
        raise NotYours(_("Only an owner can make someone an owner."), field=field)
    missing = sorted(set(role.permissions) - held)
    if missing:
        raise NotYours(_("You can only give roles whose permissions you hold yourself. This role also has: "
                         "%(codes)s", codes=_labels(missing)), field=field)


def _check_manageable(actor, staff: StaffUser, field: str | None = None) -> None:
    """`actor` may change `staff`'s access: not their own, and not that of someone holding
    more than they do (only owners change an owner)."""
    if isinstance(actor, StaffUser) and staff.id == actor.id:
        raise NotYours(_("You cannot change your own role or status. Ask another owner."), field=field)
    if staff.role.is_owner and not _is_owner(actor):
        raise NotYours(_("Only an owner can change another owner."), field=field)
    _check_grantable(actor, staff.role, field=field)


def _labels(codes) -> str:
    return ", ".join(str(permissions.REGISTRY[c].label) if c in permissions.REGISTRY else c for c in codes)


def _new_nonce() -> str:
    return secrets.token_urlsafe(12)


def _invitation_link(staff: StaffUser) -> str:
    return make_token("invite", {"s": current_store().id, "u": staff.id, "f": password_fingerprint(staff.password_hash),
                                 "n": staff.invitation_nonce})


def invitation_token(staff: StaffUser) -> str:
    """A new invitation link's token; every link issued before it stops working."""
    staff.invitation_nonce = _new_nonce()
    return _invitation_link(staff)


def resend_invitation(actor, staff: StaffUser) -> str:
    """A fresh invitation link for someone who has not joined yet; the earlier one dies."""
    if staff.status != "invited":
        raise DomainError(_("Only invited staff can get a new invitation."))
    _check_manageable(actor, staff)
    audit.record(actor, "staff.invitation_resent", staff, label=staff.email)
    return invitation_token(staff)


def invite_staff(actor, email: str, name: str, role_id: int) -> tuple[StaffUser, str]:
    """Add an invited staff member and return them with the token for their invitation
    link. The plan's staff limit applies."""
    email = (email or "").strip()
    if db.session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())):
        raise DuplicateCode(_("Someone with this email is on the staff already."), field="email")
    store = db.session.get(Store, current_store().id)
    if store.plan is not None:
        used = db.session.scalar(select(func.count(StaffUser.id)).where(StaffUser.status != "disabled"))
        if used >= store.plan.max_staff:
            raise DomainError(_("Your plan allows %(n)d staff members. Disable someone or ask the platform to "
                                "upgrade the plan.", n=store.plan.max_staff))
    role = _role(role_id)
    _check_grantable(actor, role)
    staff = StaffUser(email=email, name=(name or "").strip() or email.split("@")[0], role=role,
                      status="invited", invited_by_id=getattr(actor, "id", None))
    db.session.add(staff)
    db.session.flush()
    audit.record(actor, "staff.invited", staff, label=email,
                 changes=audit.snapshot(staff, ["email", "name", "status"]) | {"role": [None, staff.role.display_name]})
    _sync_staff_count()
    emit("staff.invited", {"staff_id": staff.id, "email": email, "role": staff.role.display_name})
    return staff, invitation_token(staff)


def check_invitation(token: str) -> StaffUser:
    """The invited staff member a link is for; BadToken when invalid, used or expired."""
    data = read_token("invite", token, current_app.config["INVITE_TOKEN_MAX_AGE"])
    if data.get("s") != current_store().id:
        raise BadToken()
    staff = db.session.get(StaffUser, data.get("u"))
    if (staff is None or staff.status != "invited" or password_fingerprint(staff.password_hash) != data.get("f")
            or staff.invitation_nonce != data.get("n")):   # links from before nonces existed carry none
        raise BadToken()
    return staff


def accept_invitation(token: str, name: str, password: str) -> StaffUser:
    """The invited person sets a name and password; the link then stops working."""
    staff = check_invitation(token)
    staff.name = name.strip()
    staff.password_hash = hash_password(password)
    staff.status = "active"
    staff.invitation_nonce = None
    audit.record(staff, "staff.joined", staff, label=staff.email, changes={"status": ["invited", "active"]})
    emit("staff.joined", {"staff_id": staff.id, "email": staff.email})
    return staff


def update_staff(actor, staff: StaffUser, name: str, role_id: int) -> StaffUser:
    """Rename or re-role a staff member; the store always keeps one active owner. Nobody
    changes their own role, grants a role holding permissions they lack, or (unless an
    owner) makes or unmakes an owner."""
    role = _role(role_id)
    if staff.role.is_owner and not role.is_owner and staff.status == "active" and _active_owners() <= 1:
        raise DomainError(_("The store needs at least one active owner. Make someone else owner first."),
                          field="role_id")
    if role.id != staff.role_id:
        _check_manageable(actor, staff, field="role_id")
        _check_grantable(actor, role)
    old_role = staff.role.display_name
    staff.name = (name or "").strip() or staff.name
    staff.role = role
    changes = audit.changes_of(staff, {"name"})
    if old_role != role.display_name:
        changes["role"] = [old_role, role.display_name]
    if changes:
        audit.record(actor, "staff.updated", staff, label=staff.email, changes=changes)
        emit("staff.updated", {"staff_id": staff.id, "email": staff.email, "changes": changes})
    return staff


def set_staff_status(actor, staff: StaffUser, enabled: bool) -> StaffUser:
    """Disable (sign-in refused, sessions end) or re-enable a staff member."""
    if staff.id == getattr(actor, "id", None) and not enabled:
        raise DomainError(_("You cannot disable your own account."))
    if not enabled and staff.role.is_owner and staff.status == "active" and _active_owners() <= 1:
        raise DomainError(_("The store needs at least one active owner."))
    _check_manageable(actor, staff)
    before = staff.status
    if enabled:
        staff.status = "active" if staff.password_hash else "invited"
    else:
        staff.status = "disabled"
    if before != staff.status:
        audit.record(actor, "staff.enabled" if enabled else "staff.disabled", staff, label=staff.email,
                     changes={"status": [before, staff.status]})
        _sync_staff_count()
        emit("staff.status_changed", {"staff_id": staff.id, "email": staff.email, "from": before, "to": staff.status})
    return staff


def _clean_permissions(codes) -> list[str]:
    unknown = [c for c in codes if c not in permissions.REGISTRY]
    if unknown:
        raise DomainError(_("Unknown permissions: %(codes)s", codes=", ".join(unknown)), field="permissions")
    return sorted(set(codes))


def create_role(actor, name: str, description: str, codes: list[str]) -> Role:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the role a name."), field="name")
    if db.session.scalar(select(Role.id).where(func.lower(Role.name) == name.lower())):
        raise DuplicateCode(_("A role with this name exists already."), field="name")
    codes = _clean_permissions(codes)
    held = _held(actor)
    if held is not None and set(codes) - held:
        raise NotYours(_("You can only give permissions you hold yourself: %(codes)s",
                         codes=_labels(sorted(set(codes) - held))), field="permissions")
    role = Role(name=name, description=(description or "").strip(), permissions=codes)
    db.session.add(role)
    audit.record(actor, "role.created", role, label=name, changes=audit.snapshot(role, ["name", "permissions"]))
    emit("role.changed", {"role_id": role.id, "name": name, "change": "created"})
    return role


def update_role(actor, role: Role, name: str, description: str, codes: list[str]) -> Role:
    """Change a role's permissions (and name, for custom roles). The owner role always
    holds every permission and cannot be edited; nobody edits the role they hold, and a
    staff member adds or removes only permissions they hold themselves."""
    if role.is_owner:
        raise DomainError(_("The owner role always has every permission."))
    if isinstance(actor, StaffUser) and actor.role_id == role.id:
        raise NotYours(_("You cannot change the role you hold yourself. Ask an owner."), field="permissions")
    codes = _clean_permissions(codes)
    held = _held(actor)
    if held is not None and (set(codes) ^ set(role.permissions)) - held:
        raise NotYours(_("You can only add or remove permissions you hold yourself: %(codes)s",
                         codes=_labels(sorted((set(codes) ^ set(role.permissions)) - held))), field="permissions")
    if not role.builtin:
        name = (name or "").strip()
        if not name:
            raise DomainError(_("Give the role a name."), field="name")
        clash = db.session.scalar(select(Role.id).where(func.lower(Role.name) == name.lower(), Role.id != role.id))
        if clash:
            raise DuplicateCode(_("A role with this name exists already."), field="name")
        role.name = name
    role.description = (description or "").strip()
    role.permissions = codes
    changes = audit.changes_of(role, {"name", "description", "permissions"})
    if changes:
        audit.record(actor, "role.updated", role, label=role.display_name, changes=changes)
        emit("role.changed", {"role_id": role.id, "name": role.display_name, "change": "updated", "changes": changes})
    return role


def delete_role(actor, role: Role) -> None:
    if role.builtin:
        raise DomainError(_("Built-in roles cannot be deleted."))
    if db.session.scalar(select(func.count(StaffUser.id)).where(StaffUser.role_id == role.id)):
        raise DomainError(_("Staff still hold this role. Give them another role first."))
    audit.record(actor, "role.deleted", role, label=role.name)
    emit("role.changed", {"role_id": role.id, "name": role.name, "change": "deleted"})
    db.session.delete(role)


def set_locale(user, locale: str) -> None:
    """A user's own language choice."""
    if locale not in ("zh_CN", "en"):
        raise DomainError(_("Choose a supported language."))
    user.locale = locale

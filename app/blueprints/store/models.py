"""Store-management tables in each store's schema: staff and roles."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args
from app.extensions import db

STAFF_STATUSES = ("invited", "active", "disabled")


class Role(CreatedAt, db.Model):
    __tablename__ = "roles"
    __table_args__ = tenant_args(
        Index("uq_roles_name", text("lower(name)"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the code of a built-in role ("owner", "operations", ...); NULL for custom roles
    builtin: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)

    @property
    def is_owner(self) -> bool:
        return self.builtin == "owner"

    @property
    def display_name(self) -> str:
        from app.core.permissions import builtin_role_label

        return builtin_role_label(self.builtin) if self.builtin else self.name


class StaffUser(CreatedAt, db.Model):
    __tablename__ = "staff_users"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {STAFF_STATUSES}", name="status"),
        Index("uq_staff_users_email", text("lower(email)"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="invited")
    role_id: Mapped[int] = mapped_column(ForeignKey("tenant.roles.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.staff_users.id"))
    # changes with every invitation sent, so only the newest link works
    invitation_nonce: Mapped[str | None] = mapped_column(String(32))

    role: Mapped[Role] = relationship(lazy="joined")

    realm = "store"
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        from app.core.tenancy import current_store

        return f"store:{current_store().id}:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def invited(self) -> bool:
        """Invited and not signed up yet: the invitation may be sent again."""
        return self.status == "invited"

    @property
    def disabled(self) -> bool:
        return self.status == "disabled"

    @property
    def is_owner(self) -> bool:
        return self.role.is_owner

    def can(self, permission: str) -> bool:
        return self.status == "active" and (self.role.is_owner or permission in self.role.permissions)

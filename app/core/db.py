"""Model helpers: where a table lives (platform or tenant schema) and common columns."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, func
from sqlalchemy.orm import Mapped, mapped_column

PLATFORM_SCHEMA = "platform"
# Tenant tables are declared in this placeholder schema; each request or job translates it
# to the bound store's real schema (see core/tenancy.py).
TENANT_SCHEMA = "tenant"


def platform_args(*items) -> tuple:
    """__table_args__ for a platform table, with optional constraints and indexes."""
    return (*items, {"schema": PLATFORM_SCHEMA})


def tenant_args(*items) -> tuple:
    """__table_args__ for a tenant table, with optional constraints and indexes."""
    return (*items, {"schema": TENANT_SCHEMA})


def is_tenant_table(table) -> bool:
    return getattr(table, "schema", None) == TENANT_SCHEMA


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow, nullable=False
    )

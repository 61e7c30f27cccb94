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


# --- connecting ---------------------------------------------------------------------------
#
# psycopg 3 turns a statement into a server-side prepared statement after it ran
# `prepare_threshold` times on one connection. Behind a transaction-mode pooler (PgBouncer)
# the names of those statements live on the client connection while the statements live on
# whichever server connection the pooler lent: one store's request can then execute a
# statement prepared for another store's schema. Prepares are therefore off unless the
# operator turns them on for direct connections (DB_PREPARE_THRESHOLD).


def prepare_threshold(value) -> int | None:
    """DB_PREPARE_THRESHOLD as psycopg wants it: None (never prepare) or a count."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text_value = str(value).strip().lower()
    if text_value in {"", "none", "off", "no", "false"}:
        return None
    return int(text_value)


def connect_args(config) -> dict:
    """psycopg connection arguments every engine of every process uses."""
    return {"prepare_threshold": prepare_threshold(config.get("DB_PREPARE_THRESHOLD"))}


def engine_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with the connection arguments applied (create_app)."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["connect_args"] = {**options.get("connect_args", {}), **connect_args(config)}
    return options


def fleet_engine(url: str, args: dict | None = None):
    """A one-connection engine for fleet work (migrations of many stores) that uses the
    same connection arguments as the app: pass `connect_args(app.config)`."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool, connect_args=args or {"prepare_threshold": None})

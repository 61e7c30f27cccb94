"""Binding a store's schema to the current request or job (DESIGN rule 4).

Tenant tables are declared once in the placeholder schema ``tenant``. Every ORM statement
and every flush is given a ``schema_translate_map`` that points ``tenant`` at the bound
store's own schema, so the SQL that reaches PostgreSQL names the schema explicitly: no
session state on the connection, which keeps it safe behind a transaction-mode pooler.
A tenant query with no store bound raises ``TenantNotBound`` before any SQL is sent.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import Blueprint, abort, g
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.core.db import TENANT_SCHEMA, is_tenant_table

UNBOUND_SCHEMA = "no_store_bound"


class TenantNotBound(RuntimeError):
    """A tenant table was used while no store is bound to the request or job."""


@dataclass(frozen=True)
class BoundStore:
    """The part of a store a request or job needs; never an ORM object (no lazy loads)."""

    id: int
    slug: str
    name: str
    schema: str
    status: str
    default_locale: str
    timezone: str
    currency: str

    @classmethod
    def of(cls, store) -> "BoundStore":
        if isinstance(store, BoundStore):
            return store
        return cls(
            id=store.id, slug=store.slug, name=store.name, schema=store.schema_name,
            status=store.status, default_locale=store.default_locale,
            timezone=store.timezone, currency=store.currency,
        )


_current: ContextVar[BoundStore | None] = ContextVar("houtai_store", default=None)
SCHEMA_RE = re.compile(r"^store_[0-9]+$")


def current_store() -> BoundStore:
    store = _current.get()
    if store is None:
        raise TenantNotBound("no store is bound to this request or job")
    return store


def bound_store() -> BoundStore | None:
    return _current.get()


def _translate_map() -> dict:
    store = _current.get()
    return {TENANT_SCHEMA: store.schema if store else UNBOUND_SCHEMA}


def bind_store(store, session: Session | None = None):
    """Bind `store` for what follows; returns a token for `unbind_store`.

    Switching to another store drops tenant objects from the session's identity map,
    because two stores can hold rows with the same primary key.
    """
    new = BoundStore.of(store)
    old = _current.get()
    if session is not None and old is not None and old.id != new.id:
        _forget_tenant_objects(session)
    return _current.set(new)


def unbind_store(token=None) -> None:
    if token is not None:
        _current.reset(token)
    else:
        _current.set(None)


def _forget_tenant_objects(session: Session) -> None:
    pending = [o for o in (*session.new, *session.dirty) if is_tenant_table(inspect(o).mapper.local_table)]
    if pending:
        raise TenantNotBound("cannot switch stores with unsaved changes; commit or roll back first")
    for obj in list(session.identity_map.values()):
        # expunging a parent cascades to its children, which may come later in this list
        if obj in session and is_tenant_table(inspect(obj).mapper.local_table):
            session.expunge(obj)


@contextmanager
def store_context(store, session: Session | None = None):
    """Run a block with `store` bound (CLI, jobs, tests), restoring the previous binding."""
    from app.extensions import db

    session = session or db.session
    token = bind_store(store, session)
    try:
        yield _current.get()
    finally:
        _current.reset(token)
        if not session.new and not session.dirty:
            _forget_tenant_objects(session)


@event.listens_for(Session, "do_orm_execute")
def _translate_statement(state) -> None:
    if _current.get() is None and any(is_tenant_table(m.local_table) for m in state.all_mappers):
        raise TenantNotBound("a tenant table was queried with no store bound")
    state.update_execution_options(schema_translate_map=_translate_map())


@event.listens_for(Session, "after_begin")
def _translate_connection(session, transaction, connection) -> None:
    connection.execution_options(schema_translate_map=_translate_map())


@event.listens_for(Session, "before_flush")
def _translate_flush(session, flush_context, instances) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if _current.get() is None and any(is_tenant_table(inspect(o).mapper.local_table) for o in touched):
        raise TenantNotBound("tenant rows were written with no store bound")
    session.connection().execution_options(schema_translate_map=_translate_map())


# --- store blueprints --------------------------------------------------------------------

class StoreSuspended(Exception):
    """Raised for any request to a suspended store; rendered as the 'suspended' page."""

    def __init__(self, store):
        self.store = store


def load_store(slug: str):
    """The live store with this slug, or None."""
    from app.extensions import db
    from app.blueprints.platform.models import Store

    return db.session.scalar(
        db.select(Store).where(Store.slug == slug, Store.status != "deleted")
    )


def _pull_store(endpoint, values) -> None:
    if values is None or "slug" not in values:
        return
    from app.extensions import db

    slug = values.pop("slug")
    store = load_store(slug)
    if store is None:
        abort(404)
    g.store_token = bind_store(store, db.session)
    g.store = _current.get()
    if store.status == "suspended":
        raise StoreSuspended(g.store)


def _push_slug(endpoint, values) -> None:
    store = _current.get()
    if "slug" not in values and store is not None:
        values["slug"] = store.slug


class StoreBlueprint(Blueprint):
    """A blueprint under /store/<slug>/... (or /shop/<slug>/... with base="/shop"): binds the
    store's schema for every request."""

    def __init__(self, name: str, import_name: str, url_prefix: str = "", base: str = "/store", **kwargs):
        super().__init__(name, import_name, url_prefix=f"{base}/<slug>" + url_prefix, **kwargs)
        self.url_value_preprocessor(_pull_store)
        self.url_defaults(_push_slug)


def teardown_binding(exc=None) -> None:
    token = g.pop("store_token", None)
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:
            _current.set(None)

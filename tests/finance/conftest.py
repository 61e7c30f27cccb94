"""Finance fixtures: run the finance handlers of a store's events now (as the worker would,
idempotent with it), and read the ledger."""
from __future__ import annotations

import itertools

from sqlalchemy import func, select

from app.core import outbox
from app.core.db import utcnow
from tests import factories as f

FINANCE = "app.blueprints.finance."
_fake_ids = itertools.count(10**12)


def settle(store) -> None:
    """Run every finance handler of every event of the store (a second run changes nothing)."""
    with f.bound(store) as session:
        events = session.execute(select(outbox.OutboxEvent.id, outbox.OutboxEvent.topic)
                                 .order_by(outbox.OutboxEvent.id)).all()
    for event_id, topic in events:
        for h in outbox.handlers_for(topic):
            if h.name.startswith(FINANCE):
                with f.bound(store, request=True):
                    outbox.run_handler(event_id, h.name)


def deliver(store, fn, topic: str, payload: dict, event_id: int | None = None) -> outbox.Event:
    """Hand one event to a finance handler directly (events whose emitter is another lane's)."""
    event = outbox.Event(event_id or next(_fake_ids), topic, payload, utcnow())
    with f.bound(store, request=True):
        fn(event)
    return event


def balances(store) -> dict[str, int]:
    """Debits minus credits per account code, summed from the lines themselves."""
    from app.blueprints.finance.models import Account, Line

    with f.bound(store) as session:
        return {code: int(v) for code, v in session.execute(
            select(Account.code, func.sum(Line.debit - Line.credit)).join(Line, Line.account_id == Account.id)
            .group_by(Account.code))}


def entries(store, **where) -> list:
    from app.blueprints.finance.models import Entry

    with f.bound(store) as session:
        stmt = select(Entry).order_by(Entry.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Entry, key) == value)
        rows = session.scalars(stmt).all()
        for row in rows:
            for line in row.lines:
                line.account.code
        session.expunge_all()
        return rows


def legs(entry) -> set[tuple]:
    """(account code, debit, credit) of an entry's lines."""
    return sorted((line.account.code, line.debit, line.credit) for line in entry.lines)

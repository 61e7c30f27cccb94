"""Retry a whole transaction that PostgreSQL aborted to break a deadlock or a serialization
conflict (SQLSTATE 40P01, 40001). Stock rows are locked in one order (SKU, then warehouse)
so deadlocks between our own transactions should not happen; this is the safety net at the
request or job boundary, where the whole unit of work can simply run again.
"""
from __future__ import annotations

import logging
import random
import time
from typing import Any, Callable

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

TRANSIENT_SQLSTATES = {"40P01", "40001"}   # deadlock_detected, serialization_failure
ATTEMPTS = 4


def is_transient(err: BaseException) -> bool:
    """A database error that running the transaction again can cure."""
    orig = getattr(err, "orig", None)
    return isinstance(err, DBAPIError) and getattr(orig, "sqlstate", None) in TRANSIENT_SQLSTATES


def in_transaction(work: Callable[[], Any], attempts: int = ATTEMPTS, session=None) -> Any:
    """Run `work()` and commit; if the database aborts it as a deadlock victim or for a
    serialization failure, roll back and run it again, up to `attempts` times in all, with a
    short random pause. Any other error (a domain error, a bug) propagates at once and the
    caller rolls back as usual. `work` must load what it changes itself, since a rollback
    expires everything it had loaded."""
    if session is None:
        from app.extensions import db

        session = db.session
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as err:
            if not is_transient(err) or attempt == attempts:
                raise
            session.rollback()
            log.warning("transaction aborted (%s), running it again (attempt %d of %d)",
                        getattr(err.orig, "sqlstate", "?"), attempt + 1, attempts)
            time.sleep(random.uniform(0.01, 0.05) * attempt)

"""The outbox and its worker (tests/core/test_outbox.py) through PgBouncer."""
from tests.core.test_outbox import *  # noqa: F401,F403

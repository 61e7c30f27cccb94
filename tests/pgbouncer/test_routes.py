"""The cross-store route walk (tests/core/test_routes.py) through PgBouncer."""
from tests.core.test_routes import *  # noqa: F401,F403

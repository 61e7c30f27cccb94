"""Connection arguments (tests/core/test_db_connect.py) through PgBouncer."""
from tests.core.test_db_connect import *  # noqa: F401,F403

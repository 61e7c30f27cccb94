"""Platform jobs: keep the pool of pre-built store schemas full."""
from __future__ import annotations

from app.blueprints.platform import schema_pool
from app.core import jobs
from app.core.periodic import every_platform


@every_platform(60, timeout=1800)
def refill_schema_pool() -> int:
    """Build one pooled schema if the pool is short (SCHEMA_POOL_SIZE), then queue itself
    again until it is full: one short job at a time, so other work is not held up."""
    built = schema_pool.refill(limit=1)
    if built and schema_pool.ready() < schema_pool.pool_size():
        jobs.enqueue(refill_schema_pool)
    return built

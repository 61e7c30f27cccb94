"""A no-op handler for the event benchmark (loaded by the worker via HOUTAI_EXTRA_MODULES)."""
from app.core.outbox import handler, register_topic

register_topic("bench.tick", "benchmark tick")


@handler("bench.tick")
def tick(event) -> None:
    """Does nothing: the benchmark measures the pipeline, not the handler."""

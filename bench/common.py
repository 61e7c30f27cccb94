"""Shared set-up: a throwaway instance (own embedded PostgreSQL and Redis) for one run."""
from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path


def bench_app():
    instance = Path(os.environ.get("BENCH_INSTANCE") or tempfile.mkdtemp(prefix="houtai-bench-"))
    os.environ["HOUTAI_INSTANCE"] = str(instance)
    os.environ.setdefault("EMBEDDED_DATABASE", "houtai_bench")
    from app import create_app
    from app.cli import upgrade_platform
    from app.extensions import db

    app = create_app()
    with app.app_context():
        upgrade_platform()
        from app.blueprints.platform.services import ensure_plans
        ensure_plans()
        db.session.commit()
    return app, instance


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{label}: n={len(ms)} p50={percentile(ms, 50):.1f} ms p95={percentile(ms, 95):.1f} ms "
            f"mean={statistics.mean(ms):.1f} ms max={max(ms):.1f} ms")


def cleanup(instance: Path) -> None:
    from app.core.embedded import stop_redis

    stop_redis(instance)

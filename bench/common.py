"""Shared set-up: a throwaway instance (own embedded PostgreSQL and Redis) for one run."""
from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path


_THROWAWAY: set[Path] = set()


def bench_app():
    given = os.environ.get("BENCH_INSTANCE")
    instance = Path(given or tempfile.mkdtemp(prefix="houtai-bench-"))
    if not given:
        _THROWAWAY.add(instance)
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
    """Stop the run's embedded servers; a throwaway instance is removed, since `make bench`
    runs the benchmarks one after another and a fleet of stores takes gigabytes."""
    import shutil

    import subprocess

    from app.core.embedded import postgres_running, stop_redis

    stop_redis(instance)
    if instance in _THROWAWAY:
        if postgres_running(instance):
            import pgserver
            # immediate: no shutdown checkpoint, the data is thrown away (a fast stop of a
            # 500-store database on a busy disk outlasts pg_ctl's wait)
            try:
                pgserver.pg_ctl(["-w", "-t", "300", "-m", "immediate", "stop"], pgdata=(instance / "pg").resolve(),
                                user="pgserver" if os.geteuid() == 0 else None)
            except subprocess.CalledProcessError as err:
                print(f"(the benchmark's PostgreSQL did not stop, {instance} is left behind: {err})")
                return
        shutil.rmtree(instance, ignore_errors=True)

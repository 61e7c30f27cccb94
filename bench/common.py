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


def store_with_stock(app, prefix: str, *, products: int = 1, warehouses=(("W1", None),), stock: int | None = 10 ** 6,
                     prices=(1000, 990, 500), prepare=None, product_fields=None, stocked_in=None,
                     title: str = "压测商品"):
    """A new store (plan `pro`, slug `prefix-<stamp>`) with one category, the `warehouses`
    ((code, GB/T 2260 region or None), priority in that order), and `products` products on sale
    with one SKU each at `prices` (list, sale, cost in fen), each with `stock` units received
    (None: no stock) in the warehouse `stocked_in(i)` picks (default the first).
    `prepare()` runs in the store first (freight templates ...); `product_fields(i, prepared)`
    adds fields to the i-th product (weight, a template `prepare` returned ...).

    Returns (store, sku_ids, warehouse_ids); the store is detached, to bind with `store_context`."""
    import time

    from app.blueprints.catalog import services as catalog
    from app.blueprints.inventory import services as inventory
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store
    from app.core.tenancy import store_context
    from app.extensions import db

    slug = f"{prefix}-{int(time.time() * 1000) % 10 ** 7}"
    with app.app_context():
        store = create_store(None, slug, prefix.title(), f"owner@{slug}.cn", None, plan_code="pro")
        db.session.commit()
        bound = db.session.get(Store, store.id)
        db.session.expunge(bound)
    with app.test_request_context(), store_context(bound):
        category = catalog.create_category(None, "压测")
        sites = [inventory.save_warehouse(None, None, code, f"仓{i}", "own", "", i, True, region)
                 for i, (code, region) in enumerate(warehouses, start=1)]
        db.session.flush()
        prepared = prepare() if prepare else None
        sku_ids = []
        for i in range(products):
            product = catalog.save_product(None, None, title=f"{title}{i}" if products > 1 else title,
                                           category_id=category.id, **(product_fields(i, prepared) if product_fields else {}))
            catalog.set_all_prices(None, product, *prices)
            catalog.change_status(None, product, "on_sale")
            db.session.flush()
            if stock:
                site = sites[stocked_in(i) if stocked_in else 0]
                inventory.receive(None, product.skus[0].id, site.id, stock, "bench")
            sku_ids.append(product.skus[0].id)
        warehouse_ids = [w.id for w in sites]
        db.session.commit()
    return bound, sku_ids, warehouse_ids

"""Shop pages under gunicorn (2 workers x 4 threads): the home page and a product page (with
colour / size chips), p95 latency and requests per second from 8 concurrent clients, next to a
bare Flask route served by the same gunicorn in the same run; the ratio says what the pages cost
beyond the framework.

    python -m bench.shop_pages [REQUESTS_PER_TARGET] [PRODUCTS]
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import bench_app, cleanup, percentile, store_with_stock
from bench.orders import _free_port

CLIENTS = 8


def _setup(app, products: int):
    """A store with `products` products on sale (the home page lists them) and one dress with
    a colour x size grid (the product page's chips)."""
    from app.blueprints.catalog import services as catalog
    from app.blueprints.catalog.models import Attribute
    from app.blueprints.inventory import services as inventory
    from app.core.tenancy import store_context
    from app.extensions import db
    from sqlalchemy import select

    bound, _skus, (warehouse,) = store_with_stock(app, "shoppages", products=products, stock=100)
    with app.test_request_context(), store_context(bound):
        template = catalog.save_template(None, None, "服装", "")
        db.session.flush()
        for name, options in (("颜色", ["红", "蓝", "白"]), ("尺码", ["S", "M", "L"])):
            catalog.add_attribute(None, template, name, "sales", "choice", options=options)
        category = catalog.create_category(None, "连衣裙", None, template.id)
        dress = catalog.save_product(None, None, title="碎花连衣裙", category_id=category.id)
        db.session.flush()
        attrs = {a.name: a.id for a in db.session.scalars(select(Attribute).where(Attribute.template_id == template.id))}
        catalog.set_sales_options(None, dress, {attrs["颜色"]: ["红", "蓝", "白"], attrs["尺码"]: ["S", "M", "L"]})
        db.session.flush()
        catalog.set_all_prices(None, dress, 29900, 19900, 8000)
        catalog.change_status(None, dress, "on_sale")
        db.session.flush()
        db.session.refresh(dress)
        for sku in dress.skus:
            inventory.receive(None, sku.id, warehouse, 20, "bench")
        dress_id, chips = dress.id, len(dress.skus)
        db.session.commit()
    return bound, dress_id, chips


def _measure(url: str, n: int) -> tuple[float, float, float]:
    """(p50 ms, p95 ms, requests per second) of n GETs from CLIENTS threads."""
    def one(_i):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            assert response.status == 200, (url, response.status)
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(one, range(min(n, 50))))           # warm up (templates, connections)
        started = time.perf_counter()
        times = list(pool.map(one, range(n)))
        elapsed = time.perf_counter() - started
    ms = [t * 1000 for t in times]
    return percentile(ms, 50), percentile(ms, 95), n / elapsed


def main(n: int = 2000, products: int = 24) -> None:
    app, instance = bench_app()
    bound, dress_id, chips = _setup(app, products)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    gunicorn = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "--threads", "4",
                                 "-b", f"127.0.0.1:{port}", "bench.shop_wsgi:app"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        targets = {"bare Flask route": f"{base}/bench/bare", "shop home": f"{base}/shop/{bound.slug}/",
                   f"product page ({chips} SKU chips)": f"{base}/shop/{bound.slug}/p/{dress_id}"}
        results = {label: _measure(url, n) for label, url in targets.items()}
    finally:
        gunicorn.terminate()
        gunicorn.wait()
    print(f"gunicorn 2 workers x 4 threads, {CLIENTS} clients, {n} requests per target, "
          f"{products + 1} products on sale, load average {os.getloadavg()[0]:.1f}")
    bare_p95, bare_rps = results["bare Flask route"][1], results["bare Flask route"][2]
    for label, (p50, p95, rps) in results.items():
        ratio = "" if label.startswith("bare") else \
            f"  (p95 x{p95 / bare_p95:.1f}, rps {rps / bare_rps:.2f} of the bare route's)"
        print(f"{label}: p50={p50:.1f} ms p95={p95:.1f} ms {rps:.0f} req/s{ratio}")
    cleanup(instance)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

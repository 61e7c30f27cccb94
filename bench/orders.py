"""Orders per second through the order service and through HTTP (gunicorn, 2 workers of
4 threads, loopback), next to pgbench's TPC-B-like transactions per second on the same PostgreSQL;
and SQL statements per order placement. While the HTTP clients run, py-spy (the `bench` extra)
samples one gunicorn worker's request threads and the bench prints where their wall time goes.

    python -m bench.orders [SECONDS]
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import bench_app, cleanup

# a full address: the API asks for the province and the region code since the regions of China landed
ADDRESS = {"name": "压测", "phone": "13800000000", "province": "上海市", "city": "上海市", "street": "测试路 1 号",
           "region_code": "310101"}


def _setup(app):
    from app.blueprints.catalog import services as catalog
    from app.blueprints.inventory import services as inventory
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context():
        store = create_store(None, f"ord-{int(time.time()) % 100000}", "Orders", "o@ord.cn", None, plan_code="pro")
        db.session.commit()
        bound = db.session.get(Store, store.id)
        db.session.expunge(bound)
    with app.app_context(), store_context(bound):
        category = catalog.create_category(None, "压测")
        wh = inventory.save_warehouse(None, None, "W1", "仓", "own", "", 1, True)
        db.session.flush()
        skus = []
        for i in range(200):
            product = catalog.save_product(None, None, title=f"压测商品{i}", category_id=category.id)
            catalog.set_all_prices(None, product, 1000, 990, 500)
            catalog.change_status(None, product, "on_sale")
            db.session.flush()
            inventory.receive(None, product.skus[0].id, wh.id, 10 ** 6, "bench")
            skus.append(product.skus[0].id)
        db.session.commit()
    return bound, skus


def _service(app, bound, skus, seconds: float) -> tuple[float, int]:
    from sqlalchemy import event

    from app.blueprints.orders import services as orders
    from app.core.tenancy import store_context
    from app.extensions import db

    statements = []
    with app.app_context(), store_context(bound):
        engine = db.engine
        # the store's first order also creates its order settings row: count a later one
        orders.place_order([orders.LineRequest(skus[2], 1)], ADDRESS, shopper={"name": "b"})
        db.session.commit()
        listener = lambda *a: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        orders.place_order([orders.LineRequest(skus[0], 1), orders.LineRequest(skus[1], 2)], ADDRESS,
                           shopper={"name": "b"})
        db.session.commit()
        event.remove(engine, "before_cursor_execute", listener)
        count, stop, i = 0, time.monotonic() + seconds, 0
        started = time.monotonic()
        while time.monotonic() < stop:
            orders.place_order([orders.LineRequest(skus[i % 200], 1), orders.LineRequest(skus[(i + 7) % 200], 2)],
                               ADDRESS, shopper={"name": "b"})
            db.session.commit()
            count, i = count + 1, i + 1
    return count / (time.monotonic() - started), len(statements)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(app, bound, skus, seconds: float) -> float:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "API_RATE_LIMIT": "100000 per minute"}
    gunicorn = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "--threads", "4",
                                 "-b", f"127.0.0.1:{port}",
                                 "-e", "API_RATE_LIMIT=100000 per minute", "wsgi:app"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1/shop/{bound.slug}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)

        def call(method, path, body=None, token=None, headers=None):
            request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                             headers={"Content-Type": "application/json",
                                                      **({"Authorization": f"Bearer {token}"} if token else {}),
                                                      **(headers or {})})
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())

        clients = 8
        tokens, addresses = [], []
        for c in range(clients):
            token = call("POST", "/auth/register", {"email": f"bench{c}-{port}@b.cn", "password": "bench-password-1"})["token"]
            addresses.append(call("POST", "/addresses", ADDRESS, token)["id"])
            tokens.append(token)
        stop = time.monotonic() + seconds
        counts = [0] * clients

        def client(c):
            i = 0
            while time.monotonic() < stop:
                call("PUT", "/cart/items", {"sku_id": skus[(c * 13 + i) % 200], "quantity": 1}, tokens[c])
                call("POST", "/checkout", {"address_id": addresses[c]}, tokens[c], {"Idempotency-Key": f"{port}-{c}-{i}"})
                counts[c] += 1
                i += 1

        started = time.monotonic()
        sampler = _start_sampler(gunicorn.pid, seconds)
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(client, range(clients)))
        rate = sum(counts) / (time.monotonic() - started)
        _report_samples(sampler)
        return rate
    finally:
        gunicorn.terminate()
        gunicorn.wait()


def _start_sampler(master_pid: int, seconds: float):
    """py-spy recording one gunicorn worker (idle threads included: waiting on PostgreSQL is the point)."""
    spy = Path(sys.executable).parent / "py-spy"
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    workers = children.read_text().split() if children.exists() else []
    if not spy.exists() or not workers:
        print("profile: py-spy is not installed (pip install -e '.[bench]'), no samples taken")
        return None
    out = Path(f"/tmp/houtai-bench-orders-{master_pid}.txt")
    process = subprocess.Popen([str(spy), "record", "--idle", "--nonblocking", "-r", "200", "-d", str(max(1, int(seconds))),
                                "-f", "raw", "-o", str(out), "-p", workers[0]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return process, out


# where a request thread's sample is, by the innermost frame that says it (checked in this order)
WHERE = [
    ("waiting on PostgreSQL", ("psycopg/waiting.py", "psycopg/generators.py", "psycopg_c", "psycopg/connection.py",
                               "psycopg/cursor.py")),
    ("taking a connection from the pool", ("sqlalchemy/pool/",)),
    ("Redis (rate limit, session)", ("redis/",)),
    ("SQLAlchemy (compile, ORM, flush)", ("sqlalchemy/",)),
    ("Jinja / JSON rendering", ("jinja2/", "json/", "flask/json")),
    ("Houtai code", ("/app/blueprints/", "/app/core/")),
    ("Flask / Werkzeug / gunicorn", ("flask/", "werkzeug/", "gunicorn/")),
]


def _report_samples(sampler) -> None:
    if sampler is None:
        return
    process, out = sampler
    _, err = process.communicate(timeout=120)
    if process.returncode != 0 or not out.exists():
        print(f"profile: py-spy gave no samples ({err.strip().splitlines()[-1] if err.strip() else process.returncode})")
        return
    totals: dict[str, int] = {}
    leaves: dict[str, int] = {}
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "handle_request" not in stack:         # the worker's idle threads waiting for a request
            continue
        frames = stack.split(";")
        where = "other"
        for frame in reversed(frames):
            where = next((label for label, marks in WHERE if any(m in frame for m in marks)), "")
            if where:
                break
        where = where or "other"
        totals[where] = totals.get(where, 0) + int(count)
        if where == "Houtai code":
            leaf = next(f for f in reversed(frames) if "/app/" in f)
            leaves[leaf] = leaves.get(leaf, 0) + int(count)
    out.unlink()
    total = sum(totals.values()) or 1
    print(f"profile of one worker's request threads (py-spy, {total} samples, wall time):")
    for label, count in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {label}: {100 * count / total:.0f}%")
    for leaf, count in sorted(leaves.items(), key=lambda kv: -kv[1])[:3]:
        print(f"    in {leaf.split(' (')[0]} ({leaf.rsplit('/', 1)[-1].rstrip(')')}): {100 * count / total:.1f}%")


def _pgbench(app, seconds: int) -> float:
    import pgserver
    import psycopg

    from sqlalchemy.engine import make_url

    url = make_url(app.config["DATABASE_URL"])
    parts = [f"user={url.username or 'postgres'}"]
    if url.password:
        parts.append(f"password={url.password}")
    parts.append(f"host={url.query.get('host') or url.host or 'localhost'}")
    if url.port:
        parts.append(f"port={url.port}")
    base = " ".join(parts)
    with psycopg.connect(f"{base} dbname=postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'pgbench'").fetchone():
            conn.execute("CREATE DATABASE pgbench")
    target = f"{base} dbname=pgbench"
    binary = str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench")
    subprocess.run([binary, "-q", "-i", "-s", "1", target], check=True, capture_output=True)
    out = subprocess.run([binary, "-c", "8", "-j", "2", "-T", str(seconds), target], check=True, capture_output=True,
                         text=True).stdout
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def main(seconds: float = 10.0) -> None:
    app, instance = bench_app()
    bound, skus = _setup(app)
    service_rate, statements = _service(app, bound, skus, seconds)
    http_rate = _http(app, bound, skus, seconds)
    tps = _pgbench(app, int(seconds))
    print(f"SQL statements per order placement (2 lines): {statements}")
    print(f"order service, one thread: {service_rate:.0f} orders/s")
    print(f"HTTP API (gunicorn 2 workers x 4 threads, 8 clients, cart + checkout per order): {http_rate:.1f} orders/s")
    print(f"pgbench TPC-B-like, 8 clients: {tps:.0f} tps; service/pgbench = {service_rate / tps:.2f}, "
          f"HTTP/pgbench = {http_rate / tps:.2f}")
    cleanup(instance)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)

"""Every benchmark runs at a tiny size in the suite, so a broken one fails here rather than in the
next `make bench` (bench.purchasing once stopped at a NOT NULL column nobody ran into). Each runs
in this process on the test servers (its `bench_app` is this suite's app, its `cleanup` leaves the
servers alone) and must print its figures; the stores it made are dropped after it."""
from __future__ import annotations

import importlib
import os
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests import factories as f

# module: the arguments of its main() that make it tiny
TINY = {
    "bench.store_create": (2,),
    "bench.freight_quote": (3,),
    "bench.tracking": (3,),
    "bench.dispatch": (3,),
    "bench.service_inbox": (4, 2),
    "bench.reservations": (0.3,),
    "bench.payments": (3,),
    "bench.wechatpay": (3,),
    "bench.aftersales": (2,),
    "bench.finance": (4, 200),
    "bench.purchasing": (40, 1),
}
# not run here, and why (each has a fixed duration or servers of its own that no size makes small)
NOT_TINY = {
    "bench.events": "its own worker process with bench.handlers registered, and a paced 10-second phase",
    "bench.orders": "gunicorn and pgbench for a number of seconds each",
    "bench.shop_pages": "a gunicorn of its own",
    # these run at a small size, but each took about 1.5-3 minutes of fixed work here (load 12)
    "bench.catalog": "times its pages and searches a fixed number of rounds whatever the catalog's size",
    "bench.promotions": "fixed flash-sale and coupon phases beside the rounds asked for",
    "bench.fleet": "copies and runs the tenant migrations per fleet size",
    # it stamps every store of the database with its own revisions (bench1, bench2): in the suite
    # that left the suite's other stores at a revision `tenants migrate` cannot find
    "bench.tenants_migrate": "migrates every store in the database to revisions of its own",
}
HELPERS = {"bench.common", "bench.handlers", "bench.shop_wsgi"}


def test_every_benchmark_is_run_here_or_says_why_not():
    from pathlib import Path

    found = {f"bench.{p.stem}" for p in (Path(__file__).resolve().parents[2] / "bench").glob("*.py")
             if p.stem != "__init__"}
    assert found - HELPERS == set(TINY) | set(NOT_TINY)


@pytest.fixture()
def leaves_the_suite_as_it_was(app, monkeypatch):
    """The suite's environment, app settings and factories' app as they were; the stores the
    benchmark made dropped."""
    from app.blueprints.platform.models import Store
    from app.extensions import db

    environ, config = dict(os.environ), dict(app.config)
    with app.app_context():
        last = db.session.scalar(select(func.max(Store.id))) or 0
    yield
    os.environ.clear()
    os.environ.update(environ)
    app.config.clear()
    app.config.update(config)
    f.use_app(app)
    with app.app_context():
        made = db.session.scalars(select(Store.id).where(Store.id > last, Store.status != "deleted")).all()
        db.session.rollback()
    for store_id in made:
        f.drop_store(SimpleNamespace(id=store_id))


@pytest.mark.parametrize("name", sorted(TINY))
def test_the_benchmark_runs_at_a_tiny_size(app, name, monkeypatch, capsys, leaves_the_suite_as_it_was):
    from tests.conftest import _INSTANCE

    module = importlib.import_module(name)
    monkeypatch.setattr(module, "bench_app", lambda: (app, _INSTANCE))
    monkeypatch.setattr(module, "cleanup", lambda instance: None)
    started = time.perf_counter()
    module.main(*TINY[name])
    printed = capsys.readouterr().out
    assert printed.strip(), f"{name} printed no figures"
    print(f"{name}: {time.perf_counter() - started:.1f} s")


def test_the_checkout_benchmark_sends_an_address_the_api_accepts(client, store):
    """bench.orders is not run here (gunicorn, pgbench); the address each of its shoppers saves
    before checking out once answered 422, since the API asks for a region, and stopped `make bench`."""
    from bench.orders import ADDRESS
    from tests.storefront.test_api import _token

    base = f"/api/v1/shop/{store.slug}"
    response = client.post(f"{base}/addresses", json=ADDRESS, headers=_token(client, store.slug, f"b@{store.slug}.cn"))
    assert response.status_code == 201, response.get_json()

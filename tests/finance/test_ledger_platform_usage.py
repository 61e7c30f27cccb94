"""The platform's store usage page reads a summary kept by a periodic job in each store (GMV,
paid orders and refunds of the last 30 local days, database space), not every store's schema per
request: the page costs the same number of queries whatever the number of stores, a store is
shown once the job has counted it, and the job, run again later, counts what happened since."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.blueprints.platform.models import StoreUsage
from app.core import jobs, periodic
from app.core.db import utcnow
from tests import factories as f
from tests.support.crud import QueryCounter

JOB = "app.blueprints.finance.jobs.refresh_usage"


def _row(page: str, slug: str) -> str:
    return page[page.index(f'data-store="{slug}"'):][:700]


def test_the_usage_page_shows_what_the_periodic_job_counted_in_each_store(app, store, platform_admin):
    assert any(p.job_name == JOB and p.seconds == 900 for p in periodic.PERIODIC)     # declared for every store
    payment = f.payment(store, f.order(store, price=4200))
    f.refund(store, payment, amount=1000)
    page = platform_admin.get("/platform/usage/").get_data(as_text=True)
    assert "data-uncounted" in _row(page, store.slug)                                  # not counted yet
    jobs.run_job(JOB, store.id, [], {})
    row = _row(platform_admin.get("/platform/usage/").get_data(as_text=True), store.slug)
    assert 'data-gmv="4200"' in row and 'data-orders="1"' in row and "¥10.00" in row
    with f.bound(store) as session:
        usage = session.get(StoreUsage, store.id)
        assert usage.bytes > 0 and usage.days == 30

    f.payment(store, f.order(store, price=800))                                          # later that day
    row = _row(platform_admin.get("/platform/usage/").get_data(as_text=True), store.slug)
    assert 'data-gmv="4200"' in row                                                      # the summary, not a live scan
    jobs.run_job(JOB, store.id, [], {})
    assert 'data-gmv="5000"' in _row(platform_admin.get("/platform/usage/").get_data(as_text=True), store.slug)

    with time_machine.travel(utcnow() + timedelta(days=31)):                             # a month on: out of the window
        jobs.run_job(JOB, store.id, [], {})
    assert 'data-gmv="0"' in _row(platform_admin.get("/platform/usage/").get_data(as_text=True), store.slug)


def test_the_usage_page_costs_the_same_queries_for_one_store_or_many(app, store, platform_admin):
    def counted() -> int:
        with app.app_context():
            from app.extensions import db

            with QueryCounter(db.engine) as counter:
                assert platform_admin.get("/platform/usage/").status_code == 200
        return counter.count

    jobs.run_job(JOB, store.id, [], {})
    before = counted()
    others = [f.store() for _ in range(3)]
    try:
        for other in others:
            f.payment(other, f.order(other, price=1500))
            jobs.run_job(JOB, other.id, [], {})
        assert before > 0 and counted() == before
        with app.app_context():
            from app.extensions import db

            assert len(db.session.scalars(select(StoreUsage)).all()) >= 4
    finally:
        for other in others:
            f.drop_store(other)

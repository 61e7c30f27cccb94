"""Finance benchmark: postings per second through the finance handlers (payment, shipment,
receipt events against a real store schema, every entry checked by the database at commit), then
the P&L, trial balance and sales dashboard p95 for a store with 1,000,000 journal lines (the reports
read the daily account summary the ledger's trigger keeps, never the lines).

    python -m bench.finance [postings] [journal_lines]
"""
from __future__ import annotations

import itertools
import sys
import time
from datetime import timedelta
from unittest import mock

from bench.common import bench_app, cleanup, store_with_stock, summary


def main(postings: int = 600, journal_lines: int = 1_000_000) -> None:
    app, instance = bench_app()
    try:
        run(app, postings, journal_lines)
    finally:
        cleanup(instance)


def run(app, postings: int, journal_lines: int) -> None:
    from sqlalchemy import text

    from app.blueprints.finance import handlers, queries
    from app.blueprints.orders.queries import PostingLine, PostingOrder
    from app.core.db import utcnow
    from app.core.outbox import Event
    from app.core.tenancy import store_context
    from app.extensions import db

    store, sku_ids, _w = store_with_stock(app, "finance", stock=None)
    sku = sku_ids[0]
    ids = itertools.count(1)
    orders, payments = {}, {}
    with mock.patch.object(handlers.order_queries, "for_posting", lambda oid: orders.get(oid)), \
            mock.patch.object(handlers.payment_queries, "payment_snapshot", lambda pid: payments.get(pid)):
        started = time.perf_counter()
        done = 0
        with app.test_request_context(), store_context(store):
            handlers.post_inbound(Event(next(ids), "inbound.completed", {
                "inbound_id": 1, "kind": "purchase", "supplier_id": 1, "currency": "CNY",
                "lines": [{"sku_id": sku, "quantity": 10 ** 6, "unit_cost": 500}]}, utcnow()))
            db.session.commit()
            while done < postings:
                n = next(ids)
                orders[n] = PostingOrder(n, f"O{n}", "CNY", 2000, 100, 0, 0, 1900,
                                         (PostingLine(n, sku, 1, "S", "t", 1000, 2, 100),))
                payments[n] = {"id": n, "number": f"P{n}", "order_id": n, "amount": 1900, "currency": "CNY",
                               "gateway": "alipay", "paid_at": None}
                handlers.post_payment(Event(next(ids), "payment.succeeded", {"payment_id": n}, utcnow()))
                db.session.commit()
                handlers.post_parcel(Event(next(ids), "parcel.shipped", {
                    "notice_id": n, "order_id": n, "lines": [{"order_line_id": n, "sku_id": sku, "quantity": 2}]},
                    utcnow()))
                db.session.commit()
                done += 2
        elapsed = time.perf_counter() - started
    print(f"finance postings: {done} entries in {elapsed:.1f} s = {done / elapsed:.0f} postings/s "
          "(one commit each, balance checked by the database)")

    with app.app_context():
        schema = store.schema_name
        accounts = dict(db.session.execute(text(f'SELECT code, id FROM "{schema}".fin_accounts')).all())
        entries = journal_lines // 2
        started = time.perf_counter()
        db.session.execute(text(
            f'INSERT INTO "{schema}".fin_entries (id, posted_on, posted_at, source_kind, source_id, source_number, '
            f"rule, memo, currency) SELECT 10000000 + g, current_date - (g % 365), now(), 'bench', g::text, '', "
            f"'bench', '', 'CNY' FROM generate_series(1, :n) g"), {"n": entries})
        db.session.execute(text(
            f'INSERT INTO "{schema}".fin_lines (entry_id, account_id, posted_on, debit, credit, party) '
            f"SELECT 10000000 + g, CASE WHEN side = 0 THEN :ar ELSE :rev END, current_date - (g % 365), "
            f"CASE WHEN side = 0 THEN 100 + g % 900 ELSE 0 END, CASE WHEN side = 1 THEN 100 + g % 900 ELSE 0 END, "
            f"'alipay' FROM generate_series(1, :n) g, (VALUES (0), (1)) s(side)"),
            {"n": entries, "ar": accounts["1122"], "rev": accounts["6001"]})
        db.session.commit()
        print(f"loaded {entries * 2} journal lines in {time.perf_counter() - started:.0f} s")

    timings = {"dashboard": [], "profit and loss (this year)": [], "trial balance": []}
    with app.test_request_context(), store_context(store):
        today = utcnow().date()
        for _ in range(30):
            for label, fn in (("dashboard", queries.dashboard),
                              ("profit and loss (this year)",
                               lambda: queries.profit_and_loss(today - timedelta(days=364), today)),
                              ("trial balance", queries.trial_balance)):
                started = time.perf_counter()
                fn()
                timings[label].append(time.perf_counter() - started)
            db.session.rollback()
    for label, values in timings.items():
        print(summary(f"{label} at {journal_lines} journal lines", values))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))

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

PASSWORD = "bench-password-1"


def main(postings: int = 600, journal_lines: int = 1_000_000) -> None:
    app, instance = bench_app()
    try:
        run(app, postings, journal_lines)
    finally:
        cleanup(instance)


def run(app, postings: int, journal_lines: int) -> None:
    from sqlalchemy import event, text

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
        statements = [0]

        def count(*_args):
            statements[0] += 1
        with app.test_request_context(), store_context(store):
            handlers.post_inbound(Event(next(ids), "inbound.completed", {
                "inbound_id": 1, "kind": "purchase", "supplier_id": 1, "currency": "CNY",
                "lines": [{"sku_id": sku, "quantity": 10 ** 6, "unit_cost": 500}]}, utcnow()))
            db.session.commit()
            event.listen(db.engine, "before_cursor_execute", count)
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
            event.remove(db.engine, "before_cursor_execute", count)
        elapsed = time.perf_counter() - started
    print(f"finance postings: {done} entries in {elapsed:.1f} s = {done / elapsed:.0f} postings/s "
          f"(one commit each, balance checked by the database), {statements[0] / done:.1f} SQL statements a posting")

    with app.app_context():
        schema = store.schema_name
        accounts = dict(db.session.execute(text(f'SELECT code, id FROM "{schema}".fin_accounts')).all())
        entries = journal_lines // 2
        started = time.perf_counter()
        # a bulk load with the ledger's per-row triggers off (they would check each entry and add
        # each line to the day summary one row at a time: ~10 minutes for a million lines); the
        # day summary is then built from the lines in one statement and the balance checked in one
        # query, so the pages read exactly what the triggers would have kept
        for table in ("fin_entries", "fin_lines"):
            db.session.execute(text(f'ALTER TABLE "{schema}".{table} DISABLE TRIGGER USER'))
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
        db.session.execute(text(
            f'INSERT INTO "{schema}".fin_account_days AS d (account_id, day, debit, credit) '
            f'SELECT account_id, posted_on, sum(debit), sum(credit) FROM "{schema}".fin_lines WHERE entry_id > 10000000 '
            f"GROUP BY account_id, posted_on ON CONFLICT (account_id, day) DO UPDATE SET debit = d.debit + EXCLUDED.debit, "
            f"credit = d.credit + EXCLUDED.credit"))
        for table in ("fin_entries", "fin_lines"):
            db.session.execute(text(f'ALTER TABLE "{schema}".{table} ENABLE TRIGGER USER'))
        unbalanced = db.session.scalar(text(
            f'SELECT count(*) FROM (SELECT entry_id FROM "{schema}".fin_lines GROUP BY entry_id '
            f"HAVING sum(debit) <> sum(credit)) u"))
        assert unbalanced == 0, f"{unbalanced} unbalanced entries"
        db.session.execute(text(f'ANALYZE "{schema}".fin_lines'))
        db.session.execute(text(f'ANALYZE "{schema}".fin_account_days'))
        db.session.commit()
        lines = db.session.scalar(text(f'SELECT count(*) FROM "{schema}".fin_lines'))
        print(f"loaded {entries * 2} journal lines in {time.perf_counter() - started:.0f} s "
              f"({lines} lines in the journal, every entry balanced)")

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

    # the pages themselves, as the owner opens them (the dashboard is the store's home page)
    import re

    from app.blueprints.store.models import StaffUser
    from app.core.security import hash_password

    with app.test_request_context(), store_context(store):
        db.session.execute(db.update(StaffUser).values(password_hash=hash_password(PASSWORD), status="active"))
        db.session.commit()
    client = app.test_client()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    signed_in = client.post(f"/store/{store.slug}/login", data={"email": f"owner@{store.slug}.cn",
                                                                "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code in (302, 303), signed_in.get_data(as_text=True)[:500]
    year = f"since={(utcnow().date() - timedelta(days=364)).isoformat()}&until={utcnow().date().isoformat()}"
    for label, url in (("dashboard page (the store's home page)", f"/store/{store.slug}/"),
                       ("profit and loss page (this year)", f"/store/{store.slug}/finance/reports?{year}")):
        seconds = []
        for _ in range(30):
            started = time.perf_counter()
            answer = client.get(url)
            seconds.append(time.perf_counter() - started)
            assert answer.status_code == 200, (url, answer.status_code)
        print(summary(f"{label} at {journal_lines} journal lines", seconds))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))

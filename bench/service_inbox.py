"""The agent inbox with 10,000 open conversations (each with messages, a third unread): p50/p95
of the full page, of the htmx poll that finds something new (rows + a fresh poller), and of
the poll that finds nothing new (204 after one statement); next to a baseline in the same run:
the same inbox page of a store with 20 conversations.

    python -m bench.service_inbox [CONVERSATIONS]
"""
from __future__ import annotations

import re
import sys
import time

from bench.common import bench_app, cleanup, percentile

PASSWORD = "bench-password-1"


def _store(app, slug: str, email: str):
    from app.blueprints.platform.services import create_store
    from app.extensions import db

    with app.app_context():
        store = create_store(None, slug, "Service", email, PASSWORD, plan_code="pro", default_locale="en")
        db.session.commit()
        return store.id, store.slug, store.schema_name


def _fill(app, store_id: int, schema: str, n: int) -> None:
    """n shoppers, each with a general thread of three messages (set-based inserts: the figure is the
    page, not the set-up); every third thread has unread messages."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        conn = db.session.connection()
        conn.execute(text(
            f"INSERT INTO {schema}.service_conversations (shopper_id, shopper_name, shopper_email, order_number, status,"
            f" last_message_at, last_message_preview, last_author, staff_unread, shopper_unread, staff_unread_since,"
            f" created_at) SELECT g, '顾客' || g, 'shopper' || g || '@example.com', '', 'open',"
            f" now() - (g || ' seconds')::interval, '请问订单什么时候发货？' || g,"
            f" CASE WHEN g % 3 = 0 THEN 'shopper' ELSE 'staff' END, CASE WHEN g % 3 = 0 THEN 2 ELSE 0 END, 0,"
            f" CASE WHEN g % 3 = 0 THEN now() END, now() FROM generate_series(1, :n) g"), {"n": n})
        conn.execute(text(
            f"INSERT INTO {schema}.service_messages (conversation_id, author, author_name, body, created_at)"
            f" SELECT c.id, CASE WHEN m = 2 THEN 'staff' ELSE 'shopper' END, c.shopper_name, '消息' || m, now()"
            f" FROM {schema}.service_conversations c, generate_series(1, 3) m"))
        conn.execute(text(f"ANALYZE {schema}.service_conversations; ANALYZE {schema}.service_messages"))
        db.session.commit()


def _client(app, slug: str, email: str):
    client = app.test_client()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    client.post(f"/store/{slug}/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return client


def _time(client, url: str, n: int, headers=None, status: int = 200) -> list[float]:
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        timings.append(time.perf_counter() - started)
        assert response.status_code == status, (url, response.status_code)
    return timings


def _line(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{label}: p50={percentile(ms, 50):.1f} ms p95={percentile(ms, 95):.1f} ms (n={len(ms)})"


def main(conversations: int = 10000, rounds: int = 40) -> None:
    app, instance = bench_app()
    try:
        stamp = int(time.time()) % 100000
        big = _store(app, f"inbox-{stamp}", f"o@inbox{stamp}.cn")
        small = _store(app, f"inbox-base-{stamp}", f"o@inboxbase{stamp}.cn")
        started = time.perf_counter()
        _fill(app, big[0], big[2], conversations)
        _fill(app, small[0], small[2], 20)
        print(f"set-up: {conversations} open conversations ({conversations * 3} messages) "
              f"in {time.perf_counter() - started:.1f}s")
        poll_headers = {"HX-Request": "true", "HX-Target": "list-results"}
        for label, (store_id, slug, _schema), email in (
                (f"baseline, 20 conversations", small, f"o@inboxbase{stamp}.cn"),
                (f"{conversations} conversations", big, f"o@inbox{stamp}.cn")):
            client = _client(app, slug, email)
            url = f"/store/{slug}/service/inbox"
            _time(client, url, 3)                                   # warm up
            page = _time(client, url, rounds)
            unread = _time(client, url + "?unread=1", rounds)
            html = client.get(url).get_data(as_text=True)
            poll = re.search(r'hx-get="([^"]+)" hx-trigger="every', html).group(1).replace("&amp;", "&")
            idle = _time(client, poll, rounds, poll_headers, status=204)
            changed = _time(client, url + "?stamp=old", rounds, poll_headers)
            print(f"inbox, {label}:")
            print("  " + _line("full page (20 rows)", page))
            print("  " + _line("unread only", unread))
            print("  " + _line("poll, something new (rows + poller)", changed))
            print("  " + _line("poll, nothing new (204)", idle))
    finally:
        cleanup(instance)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))

"""Placing an order costs a fixed, small number of SQL statements: the catalog snapshot
comes prefetched in one read, lines and ledger rows go in as bulk inserts, and the stock of a
new order is reserved without a savepoint (its reference is new, and a shortage is found
before any stock row changes)."""
from sqlalchemy import event

from app.blueprints.orders import services
from app.blueprints.platform.models import Store
from app.core.tenancy import store_context
from app.extensions import db
from tests.orders.test_orders import ADDRESS, SHOPPER, _shop

# settings, catalog snapshot, freight templates, live promotions, cross-border flag; order insert, lines
# insert, number; stock lock, one update per line, reservation, ledger rows; timeline row, outbox row
MAX_STATEMENTS = 15


def _count_statements(app, store, lines, key=None):
    statements = []
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            order = services.place_order([services.LineRequest(s, q) for s, q in lines], ADDRESS, shopper=SHOPPER,
                                         idempotency_key=key)
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return order.id, statements


def test_a_two_line_order_is_placed_in_at_most_fifteen_statements(app, store):
    skus, _wh = _shop(app, store, skus=3)
    _count_statements(app, store, [(skus[2], 1)])   # the store's first order creates its settings row
    order_id, statements = _count_statements(app, store, [(skus[0], 1), (skus[1], 2)])
    assert order_id
    assert len(statements) <= MAX_STATEMENTS, "\n".join(s.split("\n")[0][:120] for s in statements)


def test_more_lines_cost_no_more_reads(app, store):
    """The statements do not grow with the number of lines beyond one stock update per line."""
    skus, _wh = _shop(app, store, skus=6)
    _count_statements(app, store, [(skus[5], 1)])
    _id, two = _count_statements(app, store, [(skus[0], 1), (skus[1], 1)])
    _id, four = _count_statements(app, store, [(s, 1) for s in skus[1:5]])
    assert len(four) - len(two) <= 2, "\n".join(s.split("\n")[0][:120] for s in four)


def test_an_idempotency_key_costs_its_lookup_and_a_savepoint_only(app, store):
    skus, _wh = _shop(app, store, skus=3)
    _count_statements(app, store, [(skus[2], 1)])
    _id, plain = _count_statements(app, store, [(skus[0], 1), (skus[1], 2)])
    _id, keyed = _count_statements(app, store, [(skus[0], 1), (skus[1], 2)], key="cost-key-1")
    assert len(keyed) - len(plain) <= 3, "\n".join(s.split("\n")[0][:120] for s in keyed)

"""Payment pages: fixed query counts, refunds by lines from the payment page, and no store
reaching another's payments through notifications."""
from sqlalchemy import select

from app.blueprints.orders.models import Order, OrderLine
from app.blueprints.payments.models import Payment, PaymentNotification, Refund
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.core.test_listview import _queries_for
from tests.orders.test_orders import _place, _shop
from tests.payments.test_refunds import _paid
from tests.payments.test_sandbox import _fields, _payment


def _fill(app, store, n):
    def add():
        order_id = db.session.scalar(select(Order.id))
        for i in range(n):
            payment = Payment(number=f"PQ{store.id}-{i}", order_id=order_id, amount=100 + i, currency="CNY",
                              gateway="sandbox", status="succeeded")
            db.session.add(payment)
            db.session.flush()
            db.session.add(Refund(payment_id=payment.id, request_id=f"q-{store.id}-{i}", amount=10, status="succeeded"))
    _get(app, store, add)


def test_payment_and_refund_lists_run_a_fixed_number_of_queries(app, make_store):
    counts = {}
    for n in (10, 100):
        store = make_store()
        (sku,), _wh = _shop(app, store, price=100)
        _place(app, store, [(sku, 1)])
        _fill(app, store, n)
        client = app.test_client()
        client.login("store", store.owner_email, slug=store.slug)
        payments, html = _queries_for(app, client, f"/store/{store.slug}/payments/?per_page=100")
        assert html.count(f"PQ{store.id}-") >= n
        refund_count, html = _queries_for(app, client, f"/store/{store.slug}/payments/refunds?per_page=100")
        assert html.count(f"q-{store.id}-") == n
        counts[n] = (payments, refund_count)
    assert counts[10] == counts[100]


def test_refund_by_lines_from_the_payment_page(app, client, owner, store):
    order_id = _paid(app, client, store, price=1000, quantity=3)
    payment_id = _get(app, store, lambda: db.session.scalar(select(Payment.id)))
    line_id = _get(app, store, lambda: db.session.scalar(select(OrderLine.id).where(OrderLine.order_id == order_id)))
    page = f"/store/{store.slug}/payments/{payment_id}"
    html = owner.get(page).get_data(as_text=True)
    assert f'name="qty_{line_id}"' in html and 'data-to="succeeded"' in html
    owner.form(f"{page}/refund", {"by": "lines", f"qty_{line_id}": "5", "request_id": "lines-bad"})
    assert _get(app, store, lambda: db.session.scalar(select(Refund.id))) is None        # 5 of 3: refused
    owner.form(f"{page}/refund", {"by": "lines", f"qty_{line_id}": "2", "request_id": "lines-1"})
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "succeeded")
    assert _get(app, store, lambda: db.session.scalar(select(Refund.amount))) == 2000
    # every timeline speaks words with money in its currency, never codes or bare fen
    html = owner.get(page).get_data(as_text=True)
    assert "Refund of ¥20.00 requested" in html and "Pending → Succeeded" in html          # the refund's own
    assert "Refund lines-1 succeeded" in html and "Succeeded → Partially refunded" in html  # the payment's
    wait_for(lambda: "Refunded ¥20.00" in owner.get(f"/store/{store.slug}/orders/{order_id}").get_data(as_text=True))
    order_page = owner.get(f"/store/{store.slug}/orders/{order_id}").get_data(as_text=True)
    assert "2000" not in order_page.split('id="timeline"')[1] and "refund.succeeded" not in order_page
    listing = owner.get(f"/store/{store.slug}/payments/refunds?status=succeeded&q=lines-1").get_data(as_text=True)
    assert "lines-1" in listing
    export = owner.get(f"/store/{store.slug}/payments/refunds?export=csv").get_data(as_text=True)
    assert "lines-1" in export and ",20.00,CNY," in export      # a number and its currency, for a spreadsheet


def test_a_notification_for_one_store_changes_nothing_in_another(app, client, make_store):
    first, second = make_store(), make_store()
    (sku,), _wh = _shop(app, first, price=1000)
    order_id = _place(app, first, [(sku, 1)])
    number, amount = _payment(app, first, order_id)
    # signed for the first store, posted to the second: bad signature there
    assert client.post(f"/pay/{second.slug}/notify/sandbox", data=_fields(app, first, number, amount)).status_code == 400
    # signed with the second store's key: the second store has no such payment; kept and acknowledged
    answer = client.post(f"/pay/{second.slug}/notify/sandbox", data=_fields(app, second, number, amount))
    assert answer.get_data(as_text=True) == "success"
    assert _get(app, second, lambda: db.session.scalars(select(PaymentNotification.outcome)).all()) == [
        "bad_signature", "unknown_payment"]
    assert _get(app, first, lambda: db.session.scalar(select(Payment.status))) == "pending"
    assert _get(app, first, lambda: db.session.scalar(select(PaymentNotification.id))) is None


def test_overview_shows_money_taken_net_of_refunds_and_what_needs_a_person(app, client, owner, store):
    _paid(app, client, store, price=1000, quantity=3)          # ¥30.00 taken
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from app.blueprints.payments import refunds
        from app.blueprints.platform.models import Store
        from app.core.tenancy import store_context

        with store_context(db.session.get(Store, store.id)):
            refunds.refund(None, db.session.scalar(select(Payment)), "ov-1", 500)
            db.session.commit()
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "succeeded")
    _get(app, store, lambda: db.session.execute(db.update(Payment).values(flagged="check")))
    _count, page = _queries_for(app, owner, f"/store/{store.slug}/payments/overview")
    assert "¥25.00" in page.split('data-today>')[1][:20] and "¥25.00" in page.split('data-month>')[1][:20]
    assert '<strong data-flagged>1</strong>' in page and '<strong data-pending>0</strong>' in page
    assert "<svg" in page


def test_a_refund_amount_that_is_not_money_is_a_field_error_and_refunds_nothing(app, client, owner, store):
    _paid(app, client, store, price=1000, quantity=1)
    payment_id = _get(app, store, lambda: db.session.scalar(select(Payment.id).order_by(Payment.id.desc())))
    page = f"/store/{store.slug}/payments/{payment_id}"
    before = _get(app, store, lambda: db.session.scalars(select(Refund.id)).all())
    for amount, message in (("12.345", "Write an amount like 12.00."), ("-1", "Cannot be negative."),
                            ("20.00", "At most ¥10.00 can still be refunded")):
        answer = owner.form(f"{page}/refund", {"amount": amount, "request_id": f"bad-{amount}", "reason": "x"},
                            headers={"Accept-Language": "en"})
        assert answer.status_code == 422
        field = answer.get_data(as_text=True).split('id="field-amount"')[1].split("</div>")[0]
        assert message in field and f'value="{amount}"' in field
    assert _get(app, store, lambda: db.session.scalars(select(Refund.id)).all()) == before

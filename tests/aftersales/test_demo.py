"""The demo store shows after-sales at each step: a refund before shipment that took one unit off
the parcel, a return refunded, a return waiting for its parcel and a request waiting for staff."""
from sqlalchemy import select


def test_demo_seed_puts_after_sales_requests_at_each_step_once(app):
    from app.blueprints.aftersales.models import AfterSalesRequest
    from app.blueprints.orders.models import Order
    from app.blueprints.platform.models import Store
    from app.core.tenancy import store_context
    from app.extensions import db

    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == "demo"))
        with store_context(store):
            rows = db.session.scalars(select(AfterSalesRequest).order_by(AfterSalesRequest.id)).all()
            steps = [(r.kind, r.status, r.outcome) for r in rows]
            early = db.session.get(Order, rows[0].order_id)
            cancelled = [(l.quantity, l.cancelled_quantity) for l in early.lines]
            numbers = [r.number for r in rows]
    assert steps == [("refund_only", "closed", "refunded"), ("return_refund", "closed", "refunded"),
                     ("return_refund", "awaiting_return", None), ("refund_only", "requested", None)]
    assert cancelled == [(2, 1)] and early.status == "paid"
    owner = app.test_client()
    owner.login("store", "owner@demo.houtai.cn", password="owner-password", slug="demo")
    page = owner.get("/store/demo/aftersales/requests").get_data(as_text=True)
    assert all(number in page for number in numbers)
    tickets = owner.get("/store/demo/service/tickets").get_data(as_text=True)
    assert numbers[-1] in tickets

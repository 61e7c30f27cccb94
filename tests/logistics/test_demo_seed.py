"""The demo store a newcomer opens after `make run` shows the fulfilment chain to its end:
parcels handed to carriers with their tracking, one of them signed for."""
from sqlalchemy import select


def test_the_demo_seed_gives_shipments_with_tracking_once(app):
    from app.blueprints.logistics.models import Shipment, TrackingEvent
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
            # the dispatch demo's two parcels (the after-sales demo ships and returns parcels of its own)
            shipments = db.session.scalars(select(Shipment).where(Shipment.waybill_no.in_(
                ("SF1000000000001", "73100000000002"))).order_by(Shipment.id)).all()
            statuses = sorted(s.status for s in shipments)
            scans = {s.waybill_no: db.session.scalars(select(TrackingEvent.status).where(
                TrackingEvent.shipment_id == s.id).order_by(TrackingEvent.at)).all() for s in shipments}
    assert statuses == ["out_for_delivery", "signed"]
    assert sorted(len(v) for v in scans.values()) == [3, 4]                 # the second seed added nothing
    assert scans["73100000000002"][-1] == "signed"

    owner = app.test_client()
    owner.login("store", "owner@demo.houtai.cn", password="owner-password", slug="demo")
    page = owner.get("/store/demo/logistics/shipments").get_data(as_text=True)
    assert all(number in page for number in scans)

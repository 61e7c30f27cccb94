"""The dispatch pages on the shared page test base: permission, cross-store refusal, fixed
query counts; the settings form with its field errors."""
from app.blueprints.dispatch.models import DeliveryNotice, DispatchSettings, Wave
from tests import factories as f
from tests.support.crud import StorePages


class TestNoticePages(StorePages):
    list_path = "dispatch/notices"
    detail_path = "dispatch/notices/{id}"
    permission = "dispatch.view"
    model = DeliveryNotice

    def make(self, store, i):
        return f.notice(store)


class TestWavePages(StorePages):
    list_path = "dispatch/waves"
    detail_path = "dispatch/waves/{id}"
    permission = "dispatch.view"
    model = Wave

    def make(self, store, i):
        return f.wave(store)


def test_settings_save_the_strategy_and_refuse_an_unknown_one(store, owner):
    url = f"/store/{store.slug}/dispatch/settings"
    assert owner.get(url).status_code == 200
    bad = owner.form(url, {"strategy": "random"})
    assert bad.status_code == 422
    assert f.read(store, lambda: f.db_session().get(DispatchSettings, 1)) is None
    good = owner.form(url, {"strategy": "nearest", "default_carrier": "shunfeng", "sender_name": "仓库发货组",
                            "sender_phone": "021-12345678", "sender_address": "上海市浦东新区"})
    assert good.status_code == 303
    saved = f.read(store, lambda: f.db_session().get(DispatchSettings, 1))
    assert (saved.strategy, saved.default_carrier) == ("nearest", "shunfeng")


def test_staff_without_dispatch_permission_is_refused(store):
    client = f.staff_client(store, permissions=["orders.view"])
    assert client.get(f"/store/{store.slug}/dispatch/notices").status_code == 403
    assert client.get(f"/store/{store.slug}/dispatch/settings").status_code == 403


def test_hold_release_and_reroute_from_the_notice_page(store, owner):
    from sqlalchemy import select

    from app.blueprints.inventory.models import StockLevel

    first, second = f.warehouse(store, priority=1), f.warehouse(store, priority=2)
    sku = f.sku(store)
    f.stock(store, sku, first, 3)
    f.stock(store, sku, second, 3)
    notice = f.notice(store, f.order(store, state="paid", lines=[(sku, 2)]))
    base = f"/store/{store.slug}/dispatch/notices/{notice.id}"
    refused = owner.form(f"{base}/hold", {"reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in refused.get_data(as_text=True)
    assert owner.form(f"{base}/hold", {"reason": "address check"}).status_code == 303
    assert f.get(store, DeliveryNotice, notice.id).status == "held"
    assert owner.form(f"{base}/ship", {"carrier": "shunfeng", "waybill_no": "SF1234567890555"}).status_code == 422
    assert owner.form(f"{base}/reroute", {"warehouse_id": str(second.id)}).status_code == 303
    assert owner.form(f"{base}/release").status_code == 303
    moved = f.get(store, DeliveryNotice, notice.id)
    assert (moved.status, moved.warehouse_id) == ("pending", second.id)
    reserved = f.read(store, lambda: dict(f.db_session().execute(
        select(StockLevel.warehouse_id, StockLevel.reserved).where(StockLevel.sku_id == sku.id)).all()))
    assert reserved == {first.id: 0, second.id: 2}

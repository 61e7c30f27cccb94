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

"""The logistics list and detail pages through the shared page test base: rows shown, a fixed
number of queries, permissions, and another store's rows out of reach."""
from app.blueprints.logistics import accounts, carriers, services
from app.blueprints.logistics.freight_models import FreightTemplate
from app.blueprints.logistics.models import CarrierAccount, Shipment
from tests import factories as f
from tests.support.crud import StorePages

_orders: dict[int, object] = {}


class TestShipmentPages(StorePages):
    list_path = "logistics/shipments"
    detail_path = "logistics/shipments/{id}"
    permission = "logistics.view"
    model = Shipment

    def make(self, store, i):
        order = _orders.get(store.id) or _orders.setdefault(store.id, f.order(store, "shipped"))
        with f.bound(store, request=True):
            return services.create_shipment(None, notice_id=None, order_id=order.id, order_number=order.number,
                                            carrier_code="zhongtong", waybill_no=f"73{store.id:04d}{i:08d}")

    def shown(self, row):
        return row.waybill_no


class TestCarrierAccountPages(StorePages):
    list_path = "logistics/accounts"
    permission = "logistics.settings"
    model = CarrierAccount
    few, many = 3, 12

    def make(self, store, i):
        code = list(carriers.CARRIERS)[i]
        with f.bound(store, request=True):
            return accounts.save_account(None, code, True, {"partner_id": f"P{store.id}-{i}"})

    def shown(self, row):
        return f"P{row.settings['partner_id'].removeprefix('P')}"


class TestFreightTemplatePages(StorePages):
    list_path = "logistics/freight/"
    permission = "logistics.view"
    model = FreightTemplate

    def make(self, store, i):
        return f.freight_template(store, name=f"运费模板{i}")

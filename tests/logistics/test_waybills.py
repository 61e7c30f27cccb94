"""Electronic waybills (电子面单): the number comes from the carrier through Kuaidi100's label API
(signed MD5(param + t + key + secret)), on the store's own account with that carrier."""
import pytest

from app.blueprints.logistics import accounts, services
from app.core.errors import DomainError
from tests import factories
from tests.logistics.conftest import kuaidi100_on

SENDER = {"name": "仓库 张三", "phone": "13800000000", "address": "上海市浦东新区 张江路 1 号"}
RECEIVER = {"name": "李四", "phone": "13900000000", "address": "北京市朝阳区 建国路 88 号"}
ITEMS = [{"title": "保温杯", "quantity": 2}]


def _issue(store, carrier="shunfeng", **kwargs):
    with factories.bound(store, request=True):
        return services.issue_waybill(None, carrier, reference="DN900001", sender=kwargs.get("sender", SENDER),
                                      receiver=RECEIVER, items=ITEMS, weight_grams=1500)


def test_the_carrier_issues_a_waybill_number_on_the_stores_account(app, store, fake_kuaidi100):
    kuaidi100_on(store, fake_kuaidi100)
    with factories.bound(store, request=True):
        accounts.save_account(None, "shunfeng", True, {"partner_id": "0210001234", "partner_key": "monthly-key-123"})
    number = _issue(store)
    assert number.startswith("SF") and services.check_waybill("shunfeng", number) == number
    asked = fake_kuaidi100.issued[-1]["param"]
    assert asked["kuaidicom"] == "shunfeng" and asked["partnerId"] == "0210001234" and asked["partnerKey"] == "monthly-key-123"
    assert asked["recMan"] == {"name": "李四", "mobile": "13900000000", "printAddr": "北京市朝阳区 建国路 88 号", "company": ""}
    assert asked["weight"] == 1.5 and "保温杯×2" in asked["cargo"]
    assert _issue(store) != number                                   # every parcel its own number


def test_no_waybill_without_the_accounts_or_with_a_wrong_secret(app, store, fake_kuaidi100):
    with pytest.raises(DomainError) as err:
        _issue(store)
    assert err.value.field == "carrier" and "Kuaidi100" in err.value.message
    k = kuaidi100_on(store, fake_kuaidi100)
    with pytest.raises(DomainError, match="SF Express account"):
        _issue(store)                                                 # no monthly account with SF yet
    with factories.bound(store, request=True):
        accounts.save_account(None, "shunfeng", True, {"partner_id": "0210001234"})
        accounts.save_account(None, "kuaidi100", True, {"customer": k["customer"], "secret": "not-what-kuaidi100-has"})
    with pytest.raises(DomainError, match="issued no waybill"):
        _issue(store)
    with pytest.raises(DomainError, match="sender"):
        _issue(store, sender={"name": "仓库"})
    with pytest.raises(DomainError) as err:
        _issue(store, carrier="nowhere")
    assert err.value.field == "carrier"

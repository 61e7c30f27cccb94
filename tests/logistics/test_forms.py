"""Logistics forms keep what was typed and say what is wrong under the field, in either language."""
from sqlalchemy import update

from app.blueprints.logistics import services
from app.blueprints.logistics.models import Shipment
from tests import factories as f


def _flagged(store) -> int:
    order = f.order(store, "shipped")
    with f.bound(store, request=True) as session:
        s = services.create_shipment(None, notice_id=None, order_id=order.id, order_number=order.number,
                                     carrier_code="zhongtong", waybill_no=f"7300{store.id:06d}")
        session.execute(update(Shipment).where(Shipment.id == s.id).values(flag="stale"))
        return s.id


def test_clearing_a_flag_with_a_too_long_note_says_so_under_the_note_and_keeps_the_flag(module_owner, module_store):
    shipment_id = _flagged(module_store)
    url = f"/store/{module_store.slug}/logistics/shipments/{shipment_id}"
    answer = module_owner.form(f"{url}/clear-flag", {"note": "打电话" * 101})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="note-error"' in page and "打电话打电话" in page
    assert f.get(module_store, Shipment, shipment_id).flag == "stale"
    assert module_owner.form(f"{url}/clear-flag", {"note": "已联系快递员"}).status_code == 303
    assert f.get(module_store, Shipment, shipment_id).flag is None


def test_settings_say_a_word_for_hours_is_not_a_number_in_chinese(module_owner, module_store):
    module_owner.form(f"/store/{module_store.slug}/account/locale", {"locale": "zh_CN", "next": "/"})
    answer = module_owner.form(f"/store/{module_store.slug}/logistics/settings", {"stale_hours": "两天"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="stale_hours-error"' in page and 'value="两天"' in page
    error = page.split('id="stale_hours-error">', 1)[1].split("<", 1)[0]
    assert not any("a" <= ch.lower() <= "z" for ch in error), error
    module_owner.form(f"/store/{module_store.slug}/account/locale", {"locale": "en", "next": "/"})

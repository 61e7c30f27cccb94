"""The dispatch forms that used to read the request by hand: the wave's carrier, the weight
when shipping with an electronic waybill, and the page to go back to after packing."""
import re

from app.blueprints.dispatch.models import DeliveryNotice
from tests import factories as f


def _error_under(html: str, field_id: str) -> str:
    found = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' % re.escape(field_id), html)
    assert found, f"no error under #{field_id}"
    return found.group(1)


def test_an_unknown_carrier_for_a_wave_is_a_field_error_and_issues_nothing(store, owner):
    wave = f.wave(store)
    with f.bound(store):
        from app.blueprints.dispatch import queries

        notice_id = queries.wave_notices(wave.id)[0].id
    response = owner.form(f"/store/{store.slug}/dispatch/waves/{wave.id}/waybills", {"carrier": "no-such-carrier"})
    assert response.status_code == 422
    assert _error_under(response.get_data(as_text=True), "carrier")
    assert f.get(store, DeliveryNotice, notice_id).waybill_no == ""


def test_a_weight_that_is_not_a_number_ships_nothing_and_says_so_under_the_weight(store, owner):
    notice = f.notice(store)
    with f.bound(store, request=True):
        row = f.db_session().get(DeliveryNotice, notice.id)
        row.carrier_code, row.waybill_no = "shunfeng", "SF1234567890123"
    url = f"/store/{store.slug}/dispatch/notices/{notice.id}"
    assert 'id="ship-waybill-form"' in owner.get(url).get_data(as_text=True)
    response = owner.form(f"{url}/ship-with-waybill", {"waybill-weight_grams": "两公斤"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_under(html, "waybill-weight_grams") and 'value="两公斤"' in html
    assert f.get(store, DeliveryNotice, notice.id).status != "shipped"
    response = owner.form(f"{url}/ship-with-waybill", {"waybill-weight_grams": "1200"})
    assert response.status_code == 303
    shipped = f.get(store, DeliveryNotice, notice.id)
    assert (shipped.status, shipped.weight_grams) == ("shipped", 1200)


def test_after_packing_the_worker_goes_back_only_to_a_page_of_this_store(store, owner):
    first, second = f.notice(store), f.notice(store)
    wave_page = f"/store/{store.slug}/dispatch/waves/1"
    response = owner.form(f"/store/{store.slug}/dispatch/notices/{first.id}/pack",
                          {"weight_grams": "800", "next": wave_page})
    assert response.status_code == 303 and response.headers["Location"].endswith(wave_page)
    response = owner.form(f"/store/{store.slug}/dispatch/notices/{second.id}/pack",
                          {"weight_grams": "800", "next": "https://evil.example/phish"})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]
    assert response.headers["Location"].endswith(f"/store/{store.slug}/dispatch/notices/{second.id}")


def test_the_notice_page_gives_every_input_its_own_id(store, owner):
    """Pack, print a waybill and ship by hand sit on one page with same-named fields; a label
    points at one input only when no id is repeated (axe: duplicate-id)."""
    notice = f.notice(store)
    html = owner.get(f"/store/{store.slug}/dispatch/notices/{notice.id}").get_data(as_text=True)
    fields = [tag for tag in re.findall(r'<(?:input|select|textarea)\b[^>]*>', html) if 'type="hidden"' not in tag]
    ids = [re.search(r'\bid="([^"]+)"', tag).group(1) for tag in fields if ' id="' in tag]
    assert {"weight_grams", "ship-weight_grams", "carrier", "ship-carrier"} <= set(ids)
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


"""The product page's smaller forms (the SKU grid, prices for every SKU, the schedule, member and
ladder prices) say what is wrong under the cell or field, keep what was typed and change nothing."""
import re
from datetime import datetime, timezone

import pytest

from app.blueprints.catalog.models import Product, Sku, TierPrice
from tests import factories as f


@pytest.fixture(scope="module")
def product(module_store):
    row = f.product(module_store, title="碎花裙", price=19900, status="draft", options={"颜色": ["红", "蓝"]})
    return row.id, [s.id for s in row.skus], [s.code for s in row.skus]


def _error(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)
    assert found, f"no error under {field_id}"
    return found.group(1)


def _url(store, product_id, tail=""):
    return f"/store/{store.slug}/catalog/products/{product_id}{tail}"


def _grid(ids, codes, **cells):
    data = {}
    for sku_id, code in zip(ids, codes):
        data.update({f"sku_{sku_id}_code": code, f"sku_{sku_id}_list_price": "299.00",
                     f"sku_{sku_id}_sale_price": "199.00", f"sku_{sku_id}_cost_price": "80.00",
                     f"sku_{sku_id}_enabled": "y"})
    data.update(cells)
    return data


def test_a_bad_cell_in_the_sku_grid_is_said_under_that_cell(module_owner, module_store, product):
    product_id, ids, codes = product
    answer = module_owner.form(_url(module_store, product_id, "/skus"),
                               _grid(ids, codes, **{f"sku_{ids[1]}_sale_price": "十块", f"sku_{ids[0]}_weight_grams": "-3"}))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "12.00" in _error(page, f"sku_{ids[1]}_sale_price") and 'value="十块"' in page
    assert _error(page, f"sku_{ids[0]}_weight_grams")
    assert f'id="sku_{ids[0]}_sale_price-error"' not in page
    assert f.get(module_store, Sku, ids[0]).list_price == 20900          # nothing saved
    # a code another row uses is named under the cell that repeats it
    clash = module_owner.form(_url(module_store, product_id, "/skus"), _grid(ids, [codes[0], codes[0]]))
    assert clash.status_code == 422 and codes[0] in _error(clash.get_data(as_text=True), f"sku_{ids[1]}_code")
    ok = module_owner.form(_url(module_store, product_id, "/skus"), _grid(ids, codes, **{f"sku_{ids[0]}_barcode": "6901234567892"}))
    assert ok.status_code == 303
    saved = f.get(module_store, Sku, ids[0])
    assert (saved.barcode, saved.list_price, saved.sale_price, saved.enabled) == ("6901234567892", 29900, 19900, True)


def test_prices_for_every_sku_refuse_a_word_under_its_field(module_owner, module_store, product):
    product_id, ids, _codes = product
    answer = module_owner.form(_url(module_store, product_id, "/prices"), {"list_price": "abc", "sale_price": "150"})
    assert answer.status_code == 422
    assert _error(answer.get_data(as_text=True), "list_price")
    assert f.get(module_store, Sku, ids[1]).sale_price != 15000


def test_the_schedule_names_a_bad_time_and_a_wrong_order_under_their_fields(module_owner, module_store, product):
    product_id, _ids, _codes = product
    url = _url(module_store, product_id, "/schedule")
    bad = module_owner.form(url, {"publish_at": "明天早上", "unpublish_at": ""})
    assert bad.status_code == 422 and "2026-12-01 09:00" in _error(bad.get_data(as_text=True), "publish_at")
    backwards = module_owner.form(url, {"publish_at": "2026-12-10T09:00", "unpublish_at": "2026-12-09T09:00"})
    assert backwards.status_code == 422
    page = backwards.get_data(as_text=True)
    assert _error(page, "unpublish_at") and 'value="2026-12-10T09:00"' in page
    assert f.get(module_store, Product, product_id).publish_at is None
    assert module_owner.form(url, {"publish_at": "2026-12-10T09:00", "unpublish_at": ""}).status_code == 303
    # typed in the store's zone (Asia/Shanghai), kept in UTC, shown back as typed
    assert f.get(module_store, Product, product_id).publish_at == datetime(2026, 12, 10, 1, 0, tzinfo=timezone.utc)
    assert 'value="2026-12-10T09:00"' in module_owner.get(_url(module_store, product_id)).get_data(as_text=True)


def test_a_member_or_ladder_price_needs_one_of_the_two_and_an_amount(module_owner, module_store, product):
    product_id, ids, _codes = product
    url = _url(module_store, product_id, "/tiers")
    neither = module_owner.form(url, {"sku_id": ids[0], "member_group": "", "min_quantity": "", "price": "90"})
    assert neither.status_code == 422 and _error(neither.get_data(as_text=True), "tier-member_group")
    bad_price = module_owner.form(url, {"sku_id": ids[0], "min_quantity": "10", "price": "九十"})
    page = bad_price.get_data(as_text=True)
    assert bad_price.status_code == 422 and _error(page, "tier-price") and 'value="10"' in page
    not_ours = module_owner.form(url, {"sku_id": 999999, "min_quantity": "10", "price": "90"})
    assert not_ours.status_code == 422 and _error(not_ours.get_data(as_text=True), "tier-sku_id")
    assert f.count(module_store, TierPrice) == 0
    assert module_owner.form(url, {"sku_id": ids[0], "min_quantity": "10", "price": "90.00"}).status_code == 303
    assert f.read(module_store, lambda: [(t.min_quantity, t.price) for t in f.db_session().query(TierPrice)]) == [(10, 9000)]


def test_delete_is_offered_only_for_a_product_that_never_sold_and_is_not_on_sale(module_owner, module_store, product):
    from sqlalchemy import update

    product_id, _ids, _codes = product
    page = lambda: module_owner.get(_url(module_store, product_id)).get_data(as_text=True)  # noqa: E731
    delete = _url(module_store, product_id, "/delete")
    assert f'action="{delete}"' in page()
    with f.bound(module_store) as session:
        session.execute(update(Product).where(Product.id == product_id).values(ever_sold=True))
    assert f'action="{delete}"' not in page()
    assert module_owner.form(delete).status_code == 303
    assert f.get(module_store, Product, product_id).deletable is False        # still there: archive it instead

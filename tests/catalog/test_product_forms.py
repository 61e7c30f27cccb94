"""The product page's attribute fields and image upload are WTForms: a refused value shows
under its own field (422) with what was typed kept, and nothing is saved."""
import io
import re

from sqlalchemy import select

from app.blueprints.catalog.models import Product, ProductImage
from tests import factories as f


def _error_under(html: str, field_id: str) -> str:
    found = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' % re.escape(field_id), html)
    assert found, f"no error under #{field_id}"
    return found.group(1)


def _product_with_attributes(store):
    tpl = f.template(store)
    weight = f.attribute(store, tpl, name="净含量", input_type="number")
    fabric = f.attribute(store, tpl, name="面料", input_type="choice", options=["棉", "麻"])
    category = f.category(store, template=tpl)
    product = f.product(store, category_obj=category, status="draft")
    return product, weight.id, fabric.id, category.id


def test_an_attribute_that_must_be_a_number_is_refused_under_its_own_field(store, owner):
    product, weight_id, fabric_id, category_id = _product_with_attributes(store)
    url = f"/store/{store.slug}/catalog/products/{product.id}"
    page = owner.get(url).get_data(as_text=True)
    assert f'id="attr_{weight_id}"' in page and '<option value="麻">麻</option>' in page
    posted = {"title": product.title, "category_id": category_id, "brand_id": 0,
              f"attr_{weight_id}": "五百", f"attr_{fabric_id}": "麻"}
    response = owner.form(url, posted)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "must be a number" in _error_under(html, f"attr_{weight_id}") and 'value="五百"' in html
    assert '<option selected value="麻">' in html or '<option value="麻" selected>' in html
    assert f.get(store, Product, product.id).attribute_values == {}
    response = owner.form(url, {**posted, f"attr_{weight_id}": "500", f"attr_{fabric_id}": "丝"})
    assert response.status_code == 422 and "listed values" in _error_under(response.get_data(as_text=True),
                                                                            f"attr_{fabric_id}")
    assert owner.form(url, {**posted, f"attr_{weight_id}": "500"}).status_code == 303
    assert f.get(store, Product, product.id).attribute_values == {str(weight_id): 500.0, str(fabric_id): "麻"}
    assert 'value="500"' in owner.get(url).get_data(as_text=True)


def test_an_upload_without_a_file_or_with_a_too_long_description_is_a_field_error(store, owner):
    product = f.product(store, status="draft")
    url = f"/store/{store.slug}/catalog/products/{product.id}/images"
    response = owner.form(url, {"alt": "正面图"}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_under(html, "image") and 'value="正面图"' in html
    response = owner.form(url, {"image": (io.BytesIO(f.png()), "a.png"), "alt": "长" * 201},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), "alt")
    assert f.read(store, lambda: f.db_session().scalars(
        select(ProductImage).where(ProductImage.product_id == product.id)).all()) == []
    response = owner.form(url, {"image": (io.BytesIO(f.png()), "a.png"), "alt": "正面图"},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    assert f.read(store, lambda: [i.alt for i in f.db_session().scalars(
        select(ProductImage).where(ProductImage.product_id == product.id))]) == ["正面图"]

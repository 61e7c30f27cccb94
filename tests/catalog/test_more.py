"""Images, schedules, member and ladder prices, bulk move and tag."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.blueprints.catalog import pricing, services
from app.blueprints.catalog.models import Product, ProductImage, Sku
from app.blueprints.platform.models import Store
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.tenancy import store_context
from app.extensions import db
from tests import factories as f
from tests.catalog.test_pages import _get
from tests.factories import png


def _product(app, store, title="商品", price=1000) -> int:
    """A draft product with one SKU priced `price`."""
    return f.product(store, title=title, price=price, list_price=price, cost=1, status="draft").id


def test_upload_images_order_and_serve_only_to_the_own_store(app, owner, store, make_store):
    import io

    product_id = _product(app, store)
    url = f"/store/{store.slug}/catalog/products/{product_id}/images"
    for name in ("a.png", "b.png"):
        assert owner.form(url, {"image": (io.BytesIO(png()), name)}, content_type="multipart/form-data").status_code == 303
    bad = owner.form(url, {"image": (io.BytesIO(b"<script>"), "x.png")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "PNG, JPEG" in bad.get_data(as_text=True)     # on the page, under the field
    images = _get(app, store, lambda: [(i.id, i.key) for i in db.session.scalars(
        select(ProductImage).order_by(ProductImage.position))])
    assert len(images) == 2
    owner.form(f"/store/{store.slug}/catalog/images/{images[1][0]}/main")
    assert _get(app, store, lambda: db.session.get(ProductImage, images[1][0]).position) == 1
    response = owner.get(f"/store/{store.slug}/catalog/files/{images[0][1]}")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    other = make_store()
    stranger = app.test_client()
    stranger.login("store", other.owner_email, slug=other.slug)
    assert stranger.get(f"/store/{other.slug}/catalog/files/{images[0][1]}").status_code == 404


def test_price_service_picks_the_lowest_rule_and_says_why(app, store):
    product_id = _product(app, store, price=10000)
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        sku = db.session.scalar(select(Sku).where(Sku.product_id == product_id))
        with pytest.raises(DomainError):    # member prices are for the store's levels, not any text
            pricing.add_tier_price(None, sku, 9000, member_group="vip")
        from tests import factories as f

        f.level(store, "vip", threshold=1000)
        pricing.add_tier_price(None, sku, 9000, member_group="vip")
        pricing.add_tier_price(None, sku, 8500, min_quantity=10)
        assert pricing.quote(sku.id, 1).unit_price == 10000
        vip = pricing.quote(sku.id, 2, "vip")
        assert (vip.unit_price, vip.total, vip.rule) == (9000, 18000, "member") and "vip" in vip.reason
        bulk = pricing.quote(sku.id, 12, "vip")
        assert bulk.unit_price == 8500 and bulk.rule == "ladder" and "10" in bulk.reason
        with pytest.raises(DomainError):
            pricing.add_tier_price(None, sku, 100, member_group="vip")
        with pytest.raises(DomainError):
            pricing.add_tier_price(None, sku, 100, min_quantity=1)
        db.session.rollback()


def test_price_check_fragment(app, owner, store):
    product_id = _product(app, store, price=2500)
    sku_id = _get(app, store, lambda: db.session.scalar(select(Sku.id).where(Sku.product_id == product_id)))
    html = owner.get(f"/store/{store.slug}/catalog/products/{product_id}/quote?sku_id={sku_id}&quantity=3").get_data(as_text=True)
    assert "¥25.00" in html and "¥75.00" in html


def test_scheduled_products_go_on_and_off_sale(app, store):
    ready = _product(app, store, "Ready")
    not_ready = _product(app, store, "Free", price=0)
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        for pid in (ready, not_ready):
            services.set_schedule(None, db.session.get(Product, pid), utcnow() - timedelta(minutes=1), None)
        result = services.apply_schedules()
        db.session.commit()
        assert result == {"published": 1, "refused": 1, "unpublished": 0}
        assert db.session.get(Product, ready).status == "on_sale"
        assert db.session.get(Product, not_ready).status == "draft"
        services.set_schedule(None, db.session.get(Product, ready), None, utcnow() - timedelta(seconds=1))
        assert services.apply_schedules()["unpublished"] == 1
        db.session.commit()


def test_bulk_move_and_tag_from_the_list(app, owner, store):
    a, b = _product(app, store, "A"), _product(app, store, "B")
    target = _get(app, store, lambda: services.create_category(None, "目标").id)
    owner.form(f"/store/{store.slug}/catalog/products", {"bulk_action": "move", "ids": [str(a), str(b)],
                                                         "bulk_param_move": str(target)})
    owner.form(f"/store/{store.slug}/catalog/products", {"bulk_action": "tag", "ids": [str(a)], "bulk_param_tag": "新品"})
    assert _get(app, store, lambda: [db.session.get(Product, p).category_id for p in (a, b)]) == [target, target]
    html = owner.get(f"/store/{store.slug}/catalog/products?tag=新品").get_data(as_text=True)
    assert ">A<" in html and ">B<" not in html


def test_brand_logo_upload_and_az_index(app, owner, store):
    import io

    response = owner.form(f"/store/{store.slug}/catalog/brands/new",
                          {"name": "波司登", "logo": (io.BytesIO(png()), "logo.png")}, content_type="multipart/form-data")
    assert response.status_code == 303
    html = owner.get(f"/store/{store.slug}/catalog/brands?letter=B").get_data(as_text=True)
    assert "波司登" in html
    from app.blueprints.catalog.models import Brand
    logo = _get(app, store, lambda: db.session.scalar(select(Brand.logo)))
    assert logo and owner.get(f"/store/{store.slug}/catalog/files/{logo}").data.startswith(b"\x89PNG")
    bad = owner.form(f"/store/{store.slug}/catalog/brands/new",
                     {"name": "坏图", "logo": (io.BytesIO(b"GIF"), "x.gif")}, content_type="multipart/form-data")
    assert bad.status_code == 422


def test_filterable_attribute_filters_the_list(app, owner, store):
    def make():
        template = services.save_template(None, None, "面料", "")
        material = services.add_attribute(None, template, "材质", "descriptive", "choice", filterable=True,
                                          options=["棉", "麻"])
        category = services.create_category(None, "衬衫", template_id=template.id)
        db.session.flush()
        services.save_product(None, None, title="棉衬衫", category_id=category.id, attribute_values={str(material.id): "棉"})
        services.save_product(None, None, title="麻衬衫", category_id=category.id, attribute_values={str(material.id): "麻"})
        return material.id
    material_id = _get(app, store, make)
    html = owner.get(f"/store/{store.slug}/catalog/products?attr={material_id}:麻").get_data(as_text=True)
    assert "麻衬衫" in html and "棉衬衫" not in html

"""The product center's pages, as staff use them."""
import re

from sqlalchemy import select

from app.blueprints.catalog import services
from app.blueprints.catalog.models import AttributeTemplate, Category, Product, Sku
from app.blueprints.platform.models import Store
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import add_staff
from tests.core.test_listview import _queries_for


def _get(app, store, fn):
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        value = fn()
        db.session.commit()
        return value


def test_owner_builds_a_product_with_a_2x3_grid_and_publishes_it(app, owner, store):
    s = f"/store/{store.slug}/catalog"
    assert owner.form(f"{s}/templates/new", {"name": "服装模板"}).status_code == 303
    template_id = _get(app, store, lambda: db.session.scalar(select(AttributeTemplate.id)))
    for name, kind, options in (("颜色", "sales", "红色\n蓝色"), ("尺码", "sales", "S, M, L"), ("型号", "key", "")):
        response = owner.form(f"{s}/templates/{template_id}/attributes", {
            "attr-name": name, "attr-kind": kind, "attr-input_type": "choice" if options else "text",
            "attr-options": options, "attr-required": "y" if kind == "key" else ""})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert owner.form(f"{s}/categories", {"name": "女装", "parent_id": 0, "template_id": template_id}).status_code == 303
    category_id = _get(app, store, lambda: db.session.scalar(select(Category.id)))
    response = owner.form(f"{s}/products/new", {"title": "法式碎花连衣裙", "category_id": category_id, "brand_id": 0})
    assert response.status_code == 303
    product_url = response.headers["Location"]
    product_id = int(product_url.rsplit("/", 1)[1])
    model_id = _get(app, store, lambda: next(a.id for a in db.session.get(AttributeTemplate, template_id).attributes
                                             if a.name == "型号"))
    colour_id, size_id = _get(app, store, lambda: [a.id for a in db.session.get(AttributeTemplate, template_id).attributes
                                                   if a.kind == "sales"])
    owner.form(product_url, {"title": "法式碎花连衣裙", "category_id": category_id, "brand_id": 0,
                             f"attr_{model_id}": "D-2026"})
    owner.form(f"{s}/products/{product_id}/sales-options",
               {f"sales_{colour_id}": ["红色", "蓝色"], f"sales_{size_id}": ["S", "M", "L"]})
    html = owner.get(product_url).get_data(as_text=True)
    assert html.count('data-sku=') == 6
    owner.form(f"{s}/products/{product_id}/prices", {"list_price": "299.00", "sale_price": "199.50", "cost_price": ""})
    response = owner.form(f"{s}/products/{product_id}/status", {"status": "on_sale"})
    assert _get(app, store, lambda: db.session.get(Product, product_id).status) == "on_sale"
    listing = owner.get(f"{s}/products?q=碎花").get_data(as_text=True)
    assert "法式碎花连衣裙" in listing and "¥199.50" in listing
    assert "法式碎花连衣裙" not in owner.get(f"{s}/products?q=羊毛").get_data(as_text=True)
    assert "法式碎花连衣裙" in owner.get(f"{s}/products?category={category_id}&status=on_sale&price_min=100").get_data(as_text=True)
    csv_text = owner.get(f"{s}/products?q=碎花&export=csv").get_data(as_text=True)
    assert "法式碎花连衣裙" in csv_text


def test_bad_amounts_in_the_grid_change_nothing(app, owner, store):
    def make():
        category = services.create_category(None, "杂货")
        return services.save_product(None, None, title="杯子", category_id=category.id).id
    product_id = _get(app, store, make)
    sku_id, code = _get(app, store, lambda: db.session.execute(
        select(Sku.id, Sku.code).where(Sku.product_id == product_id)).one())
    response = owner.form(f"/store/{store.slug}/catalog/products/{product_id}/skus", {
        "sku_id": str(sku_id), f"sku_{sku_id}_code": code, f"sku_{sku_id}_list_price": "12.345",
        f"sku_{sku_id}_sale_price": "abc", f"sku_{sku_id}_cost_price": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="sku_{sku_id}_sale_price-error"' in page and 'value="abc"' in page
    assert _get(app, store, lambda: db.session.get(Sku, sku_id).list_price) == 0


def test_product_list_query_count_is_the_same_for_10_and_100_rows(app, make_store):
    counts = {}
    for n in (10, 100):
        store = make_store()

        def fill(n=n):
            category = services.create_category(None, "类目")
            for i in range(n):
                services.save_product(None, None, title=f"商品{i}", category_id=category.id)
        _get(app, store, fill)
        client = app.test_client()
        client.login("store", store.owner_email, slug=store.slug)
        count, html = _queries_for(app, client, f"/store/{store.slug}/catalog/products?per_page=100")
        assert html.count('name="ids"') == n
        counts[n] = count
    assert counts[10] == counts[100]


def test_viewer_cannot_edit_or_publish(app, store):
    email = add_staff(app, store, permissions=["store.dashboard", "catalog.view"])
    viewer = app.test_client()
    viewer.login("store", email, slug=store.slug)

    def make():
        category = services.create_category(None, "文具")
        return services.save_product(None, None, title="笔", category_id=category.id).id
    product_id = _get(app, store, make)
    base = f"/store/{store.slug}/catalog/products/{product_id}"
    assert viewer.get(base).status_code == 200
    assert viewer.form(base, {"title": "changed", "category_id": 1}).status_code == 403
    assert viewer.form(f"{base}/status", {"status": "on_sale"}).status_code == 403
    assert viewer.get(f"/store/{store.slug}/catalog/categories").status_code == 403


def test_product_tags_survive_saving_the_edit_page_unchanged(app, owner, store):
    import re as _re
    from html import unescape

    from app.blueprints.catalog import services as catalog_services
    from app.blueprints.catalog.models import Product

    def make():
        category = catalog_services.create_category(None, "标签类目")
        product = catalog_services.save_product(None, None, title="夏装", category_id=category.id, tags="夏季, 新品")
        db.session.flush()
        return product.id, category.id

    product_id, category_id = _get(app, store, make)
    url = f"/store/{store.slug}/catalog/products/{product_id}"
    page = owner.get(url).get_data(as_text=True)
    shown = unescape(_re.search(r'name="tags"[^>]*value="([^"]*)"', page).group(1))
    assert shown == "夏季, 新品"
    response = owner.form(url, {"title": "夏装", "subtitle": "", "category_id": category_id, "brand_id": 0, "tags": shown})
    assert response.status_code == 303
    assert _get(app, store, lambda: db.session.get(Product, product_id).tags) == ["夏季", "新品"]

"""Product center: category tree, brands, templates, SKU grid, prices, status, search."""
import re

import pytest
from sqlalchemy import func, select

from app.blueprints.catalog import services
from app.blueprints.catalog.models import Category, PriceChange, Product, Sku
from app.blueprints.platform.models import Store
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import OutboxEvent
from app.core.tenancy import store_context
from app.extensions import db


@pytest.fixture()
def bound(app, module_store):
    """An app context with the module's store bound (services are called directly); what a
    test writes is rolled back, so every test finds the store as it was."""
    with app.test_request_context(headers={"Accept-Language": "en"}), \
            store_context(db.session.get(Store, module_store.id)):
        yield module_store
        db.session.rollback()


def _apparel(actor=None):
    template = services.save_template(actor, None, "Apparel", "")
    services.add_attribute(actor, template, "Colour", "sales", "choice", options=["红色", "蓝色", "黑色"])
    services.add_attribute(actor, template, "Size", "sales", "choice", options=["S", "M", "L"])
    services.add_attribute(actor, template, "Material", "descriptive", "text", searchable=True)
    services.add_attribute(actor, template, "Model", "key", "text", required=True)
    db.session.flush()
    root = services.create_category(actor, "服装", template_id=template.id)
    tops = services.create_category(actor, "上衣", parent_id=root.id, template_id=template.id)
    tees = services.create_category(actor, "T恤", parent_id=tops.id, template_id=template.id)
    return template, root, tops, tees


def _attr(template, name):
    return next(a for a in template.attributes if a.name == name)


def test_category_tree_moves_subtrees_and_filters_descendants(bound):
    template, root, tops, tees = _apparel()
    other = services.create_category(None, "鞋靴")
    product = services.save_product(None, None, title="纯棉T恤", category_id=tees.id,
                                    attribute_values={str(_attr(template, "Model").id): "T-100"})
    in_root = db.session.scalars(select(Product.id).where(Product.category_id.in_(services.subtree_ids(root.id)))).all()
    assert product.id in in_root
    services.move_category(None, tops, other.id)
    db.session.flush()
    moved = db.session.get(Category, tees.id)
    assert moved.path == f"/{other.id}/{tops.id}/{tees.id}/" and moved.depth == 2
    assert product.id not in db.session.scalars(select(Product.id).where(
        Product.category_id.in_(services.subtree_ids(root.id)))).all()
    with pytest.raises(DomainError):
        services.move_category(None, db.session.get(Category, tops.id), tees.id)  # under its own child


def test_disabling_a_category_disables_its_subtree(bound):
    _, root, tops, tees = _apparel()
    assert services.set_category_enabled(None, root, False) == 3
    assert not db.session.get(Category, tees.id).enabled


def test_sku_grid_2_colours_by_3_sizes_and_regeneration(bound):
    template, *_, tees = _apparel()
    colour, size = _attr(template, "Colour"), _attr(template, "Size")
    product = services.save_product(None, None, title="T恤", category_id=tees.id,
                                    attribute_values={str(_attr(template, "Model").id): "T-1"})
    skus = services.set_sales_options(None, product, {colour.id: ["红色", "蓝色"], size.id: ["S", "M", "L"]})
    assert len(skus) == 6 and {s.options["Colour"] for s in skus} == {"红色", "蓝色"}
    codes = {s.option_key: s.code for s in skus}
    assert len(set(codes.values())) == 6
    # a red/M SKU was sold; then red is dropped and black added
    red_m = next(s for s in skus if s.options == {"Colour": "红色", "Size": "M"})
    red_m.ever_sold = True
    skus = services.set_sales_options(None, product, {colour.id: ["蓝色", "黑色"], size.id: ["S", "M", "L"]})
    by_label = {(s.options["Colour"], s.options["Size"]): s for s in skus}
    assert ("红色", "M") in by_label and not by_label[("红色", "M")].enabled   # sold: kept, disabled
    assert ("红色", "S") not in by_label                                       # never sold: deleted
    assert len([s for s in skus if s.enabled]) == 6
    assert by_label[("蓝色", "S")].code == codes[next(k for k in codes if "蓝色" in k and k.endswith(":S"))]


def test_prices_keep_a_history_and_emit_price_changed(bound):
    template, *_, tees = _apparel()
    product = services.save_product(None, None, title="T恤", category_id=tees.id,
                                    attribute_values={str(_attr(template, "Model").id): "T-1"})
    services.set_sales_options(None, product, {_attr(template, "Size").id: ["S", "M"]})
    assert services.set_all_prices(None, product, 12900, 9900, 4000) == 6
    sku = db.session.scalars(select(Sku).where(Sku.product_id == product.id)).first()
    rows = [{"id": s.id, "code": s.code, "barcode": "", "list_price": s.list_price, "sale_price": 8900 if s.id == sku.id else s.sale_price,
             "cost_price": s.cost_price, "weight_grams": None, "enabled": True} for s in product.skus]
    assert services.update_skus(None, product, rows) == 1
    history = db.session.scalars(select(PriceChange).where(PriceChange.sku_id == sku.id, PriceChange.field == "sale_price")
                                 .order_by(PriceChange.id)).all()
    assert [(h.old, h.new) for h in history] == [(0, 9900), (9900, 8900)]
    topics = db.session.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic == "sku.price_changed")).all()
    assert len(topics) == 3
    assert product.min_price == 8900 and product.max_price == 9900


def test_duplicate_sku_codes_are_refused(bound):
    template, *_, tees = _apparel()
    a = services.save_product(None, None, title="A", category_id=tees.id, attribute_values={str(_attr(template, "Model").id): "A"})
    b = services.save_product(None, None, title="B", category_id=tees.id, attribute_values={str(_attr(template, "Model").id): "B"})
    taken = a.skus[0].code if a.skus else db.session.scalar(select(Sku.code).where(Sku.product_id == a.id))
    sku_b = db.session.scalar(select(Sku).where(Sku.product_id == b.id))
    with pytest.raises(DomainError) as err:
        services.update_skus(None, b, [{"id": sku_b.id, "code": taken.lower(), "barcode": "", "list_price": 0,
                                        "sale_price": 0, "cost_price": 0, "weight_grams": None, "enabled": True}])
    assert "used already" in err.value.message


def test_status_machine_and_publish_rules(bound):
    template, *_, tees = _apparel()
    product = services.save_product(None, None, title="T恤", category_id=tees.id,
                                    attribute_values={str(_attr(template, "Model").id): "T-1"})
    with pytest.raises(DomainError, match="sale price"):
        services.change_status(None, product, "on_sale")
    services.set_all_prices(None, product, 100, 100, 50)
    services.change_status(None, product, "on_sale")
    with pytest.raises(IllegalTransition):
        services.change_status(None, product, "draft")
    with pytest.raises(DomainError):
        services.delete_product(None, product)
    services.change_status(None, product, "off_shelf")
    with pytest.raises(DomainError, match="delete"):
        services.change_status(None, product, "archived")
    topics = db.session.scalars(select(OutboxEvent.topic)).all()
    assert "product.published" in topics and "product.unpublished" in topics


def test_required_key_attribute_and_number_validation(bound):
    template, *_, tees = _apparel()
    with pytest.raises(DomainError, match="required"):
        services.save_product(None, None, title="No model", category_id=tees.id, attribute_values={})


def test_description_html_is_sanitised(bound):
    template, *_, tees = _apparel()
    product = services.save_product(None, None, title="T", category_id=tees.id,
                                    attribute_values={str(_attr(template, "Model").id): "X"},
                                    description_html='<p onclick="x()">Hi<script>alert(1)</script><b>bold</b></p>')
    assert "script" not in product.description_html and "onclick" not in product.description_html
    assert "<b>bold</b>" in product.description_html


def test_brand_first_letter_from_pinyin(bound):
    assert services.save_brand(None, None, "李宁", "", "", True).first_letter == "L"
    assert services.save_brand(None, None, "安踏", "Anta", "", True).first_letter == "A"
    with pytest.raises(DomainError):
        services.save_brand(None, None, "李宁", "", "", True)


def test_chinese_keyword_search_uses_bigrams(bound):
    from app.blueprints.catalog import search

    template, *_, tees = _apparel()
    model = str(_attr(template, "Model").id)
    wanted = services.save_product(None, None, title="夏季纯棉圆领T恤", category_id=tees.id, attribute_values={model: "A"})
    other = services.save_product(None, None, title="羊毛大衣", category_id=tees.id, attribute_values={model: "B"})
    db.session.flush()

    def find(q):
        return set(db.session.scalars(select(Product.id).where(Product.search_vector.op("@@")(search.tsquery(q)))))

    assert wanted.id in find("纯棉") and other.id not in find("纯棉")
    assert find("圆领 t恤") >= {wanted.id}
    assert other.id in find("大衣") and wanted.id not in find("大衣")
    code = db.session.scalar(select(Sku.code).where(Sku.product_id == wanted.id))
    assert find(code[:6]) >= {wanted.id}

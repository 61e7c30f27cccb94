"""A sub-category uses its parent's attribute template unless it sets its own."""
from app.blueprints.catalog.models import Category
from tests import factories as f


def test_a_sub_category_inherits_its_parents_attribute_template(module_owner, module_store):
    clothing = f.template(module_store, name="服装模板")
    f.attribute(module_store, clothing, name="面料成分")
    shoes = f.template(module_store, name="鞋类模板")
    f.attribute(module_store, shoes, name="鞋底材质")
    parent = f.category(module_store, name="服装", template=clothing)
    child = f.category(module_store, name="T恤", parent=parent)
    grandchild = f.category(module_store, name="短袖", parent=child)
    own = f.category(module_store, name="运动鞋", parent=parent, template=shoes)
    assert f.read(module_store, lambda: f.db_session().get(Category, grandchild.id).effective_template.name) == "服装模板"
    assert f.read(module_store, lambda: f.db_session().get(Category, own.id).effective_template.name) == "鞋类模板"

    product = f.product(module_store, category_obj=grandchild)
    page = module_owner.get(f"/store/{module_store.slug}/catalog/products/{product.id}").get_data(as_text=True)
    assert "面料成分" in page and "鞋底材质" not in page
    listing = module_owner.get(f"/store/{module_store.slug}/catalog/categories").get_data(as_text=True)
    assert listing.count("服装模板 <span class=\"muted\">(from the parent category)</span>") == 2

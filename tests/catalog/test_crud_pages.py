"""The product center's list and edit pages through the shared page test base."""
from app.blueprints.catalog.models import AttributeTemplate, Brand, Category, Product
from tests import factories as f
from tests.support.crud import StorePages


class TestProductPages(StorePages):
    list_path = "catalog/products"
    create_path = "catalog/products/new"
    edit_path = "catalog/products/{id}"
    permission = "catalog.edit"
    list_permission = "catalog.view"
    model = Product
    bad_form = {"title": ""}

    def make(self, store, i):
        return f.product(store, title=f"Product {f.unique('p')}", price=1000 + i)

    def create_data(self, store):
        return {"title": "A new product", "category_id": str(f.category(store).id), "brand_id": "0"}

    def edit_data(self, row):
        return {"title": f"{row.title} renamed", "category_id": str(row.category_id), "brand_id": "0"}


class TestBrandPages(StorePages):
    list_path = "catalog/brands"
    create_path = "catalog/brands/new"
    edit_path = "catalog/brands/{id}"
    permission = "catalog.setup"
    model = Brand
    form = {"name": "新品牌", "name_en": "New brand", "enabled": "y"}
    edit_form = {"name": "改名品牌", "name_en": "Renamed", "enabled": "y"}
    bad_form = {"name": ""}

    def make(self, store, i):
        return f.brand(store, name=f"Brand {f.unique('b')}")


class TestTemplatePages(StorePages):
    list_path = "catalog/templates"
    create_path = "catalog/templates/new"
    edit_path = "catalog/templates/{id}"
    permission = "catalog.setup"
    model = AttributeTemplate
    form = {"name": "服装", "description": "clothes"}
    edit_form = {"name": "服装 renamed", "description": "clothes"}
    bad_form = {"name": ""}

    def make(self, store, i):
        return f.template(store, name=f"Template {f.unique('t')}", attributes={"颜色": ["红", "蓝"]})


class TestCategoryPages(StorePages):
    list_path = "catalog/categories"
    list_query = ""
    create_path = "catalog/categories"
    edit_path = "catalog/categories/{id}"
    permission = "catalog.setup"
    model = Category
    form = {"name": "新类目", "parent_id": "0", "template_id": "0"}
    edit_form = {"name": "改名类目", "parent_id": "0", "template_id": "0", "enabled": "y"}
    bad_form = {"name": ""}

    def make(self, store, i):
        return f.category(store, name=f"Category {f.unique('c')}")

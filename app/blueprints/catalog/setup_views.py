"""Catalog set-up pages: categories, brands, attribute templates."""
from __future__ import annotations

from flask import abort, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from app.blueprints.catalog import bp, forms, queries, services
from app.blueprints.catalog.models import Attribute, AttributeTemplate, Brand, Category
from app.core.formview import FormView, commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView, detail_url
from app.core.permissions import requires
from app.extensions import db

NONE = [(0, "—")]


# --- categories --------------------------------------------------------------------------

@bp.route("/categories")
@requires("catalog.setup")
def categories():
    form = forms.CategoryForm()
    form.parent_id.choices = NONE + queries.category_choices()
    form.template_id.choices = NONE + queries.template_choices()
    return _categories_page(form)


def _categories_page(form, status: int = 200):
    tree = queries.category_tree()
    return render_template("catalog/categories.html", tree=tree, form=form,
                           inherited=queries.inherited_templates(tree)), status


@bp.route("/categories", methods=["POST"])
@requires("catalog.setup")
def category_create():
    form = forms.CategoryForm()
    form.parent_id.choices = NONE + queries.category_choices()
    form.template_id.choices = NONE + queries.template_choices()
    if form.validate_on_submit() and commit_form(form, lambda: services.create_category(
            current_user, form.name.data, form.parent_id.data or None, form.template_id.data or None)):
        return redirect_to(url_for("catalog.categories"))
    return _categories_page(form, 422)


class CategoryEdit(FormView):
    permission = "catalog.setup"
    form_class = forms.CategoryForm
    title = _l("Category")
    cancel_endpoint = "catalog.categories"

    def get_object(self, id):
        return db.get_or_404(Category, id)

    def make_form(self, obj):
        form = self.form_class(obj=obj, parent_id=obj.parent_id or 0, template_id=obj.template_id or 0)
        form.parent_id.choices = NONE + [(i, n) for i, n in queries.category_choices() if i != obj.id]
        form.template_id.choices = NONE + queries.template_choices()
        return form

    def save(self, form, category):
        if (form.parent_id.data or None) != category.parent_id:
            services.move_category(current_user, category, form.parent_id.data or None)
        return services.update_category(current_user, category, form.name.data, form.template_id.data or None,
                                        form.enabled.data)

    def success_url(self, category):
        return url_for("catalog.categories")


CategoryEdit.register(bp, "/categories/<int:id>", "category_edit")


@bp.route("/categories/<int:id>/move/<direction>", methods=["POST"])
@requires("catalog.setup")
def category_reorder(id, direction):
    if direction not in ("up", "down"):
        abort(404)
    category = db.get_or_404(Category, id)
    perform(lambda: services.reorder_category(current_user, category, -1 if direction == "up" else 1), _("Order saved."))
    return redirect_to(url_for("catalog.categories"))


# --- brands ----------------------------------------------------------------------------------

class BrandList(ListView):
    permission = "catalog.setup"
    title = _l("Brands")
    model = Brand
    search_fields = [Brand.name, Brand.name_en]
    default_sort = "first_letter"
    export_name = "brands"
    create_endpoint = "catalog.brand_new"
    create_label = _l("New brand")
    create_permission = "catalog.setup"
    template = "catalog/brand_list.html"
    columns = [
        Column("first_letter", _l("Letter"), sort=Brand.first_letter),
        Column("name", _l("Name (Chinese)"), sort=Brand.name, link=detail_url("catalog.brand_edit")),
        Column("name_en", _l("Name (English)"), sort=Brand.name_en),
        Column("enabled", _l("Status"), sort=Brand.enabled, value=lambda b: _("Enabled") if b.enabled else _("Disabled"),
               badge=True),
        Column("created_at", _l("Created"), sort=Brand.created_at, kind="datetime"),
    ]
    filters = [
        Filter("letter", _l("Letter"), lambda q, v: q.where(Brand.first_letter == v),
               choices=lambda: [(c, c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ#"]),
        Filter("enabled", _l("Status"), lambda q, v: q.where(Brand.enabled.is_(v == "1")),
               choices=lambda: [("1", _("Enabled")), ("0", _("Disabled"))]),
    ]


BrandList.register(bp, "/brands", "brands")


class BrandEdit(FormView):
    permission = "catalog.setup"
    form_class = forms.BrandForm
    title = _l("Brand")
    cancel_endpoint = "catalog.brands"

    def get_object(self, id=None):
        return db.get_or_404(Brand, id) if id else None

    template = "catalog/brand_form.html"

    def save(self, form, brand):
        from app.core.storage import MAX_IMAGE_BYTES

        logo = form.logo.data.read(MAX_IMAGE_BYTES + 1) if form.logo.data else None
        return services.save_brand(current_user, brand, form.name.data, form.name_en.data, form.description.data,
                                   form.enabled.data, form.first_letter.data, logo)

    def success_url(self, brand):
        return url_for("catalog.brands")


BrandEdit.register(bp, "/brands/new", "brand_new")
BrandEdit.register(bp, "/brands/<int:id>", "brand_edit")


# --- attribute templates -------------------------------------------------------------------

class TemplateList(ListView):
    permission = "catalog.setup"
    title = _l("Attribute templates")
    model = AttributeTemplate
    search_fields = [AttributeTemplate.name]
    default_sort = "name"
    export_name = "attribute-templates"
    create_endpoint = "catalog.template_new"
    create_label = _l("New template")
    create_permission = "catalog.setup"
    columns = [
        Column("name", _l("Name"), sort=AttributeTemplate.name, link=detail_url("catalog.template_edit")),
        Column("attributes", _l("Attributes"), value=lambda t: ", ".join(a.name for a in t.attributes)),
        Column("description", _l("Description")),
    ]

    def query(self):
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        return select(AttributeTemplate).options(selectinload(AttributeTemplate.attributes))


TemplateList.register(bp, "/templates", "templates")


class TemplateEdit(FormView):
    permission = "catalog.setup"
    form_class = forms.TemplateForm
    title = _l("Attribute template")
    cancel_endpoint = "catalog.templates"
    template = "catalog/template_form.html"

    def get_object(self, id=None):
        return db.get_or_404(AttributeTemplate, id) if id else None

    def save(self, form, template):
        return services.save_template(current_user, template, form.name.data, form.description.data)

    def success_url(self, template):
        return url_for("catalog.template_edit", id=template.id)

    def extra_context(self, obj):
        return {"attribute_form": forms.AttributeForm(prefix="attr")}


TemplateEdit.register(bp, "/templates/new", "template_new")
TemplateEdit.register(bp, "/templates/<int:id>", "template_edit")


@bp.route("/templates/<int:id>/attributes", methods=["POST"])
@requires("catalog.setup")
def attribute_add(id):
    template = db.get_or_404(AttributeTemplate, id)
    form = forms.AttributeForm(prefix="attr")
    if form.validate_on_submit() and commit_form(form, lambda: services.add_attribute(
            current_user, template, form.name.data, form.kind.data, form.input_type.data, form.unit.data,
            form.required.data, form.searchable.data, form.filterable.data, services.parse_options(form.options.data))):
        return redirect_to(url_for("catalog.template_edit", id=id))
    main = forms.TemplateForm(obj=template)
    return render_template("catalog/template_form.html", form=main, obj=template, attribute_form=form,
                           view=TemplateEdit(), layout="layouts/store.html"), 422


@bp.route("/attributes/<int:id>/delete", methods=["POST"])
@requires("catalog.setup")
def attribute_delete(id):
    attribute = db.get_or_404(Attribute, id)
    template_id = attribute.template_id
    perform(lambda: services.remove_attribute(current_user, attribute), _("Attribute removed."))
    return redirect_to(url_for("catalog.template_edit", id=template_id))

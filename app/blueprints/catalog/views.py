"""Product pages: the list (search, filters, bulk), create, and the product page with its
attributes, SKU grid, prices and status."""
from __future__ import annotations

from flask import abort, flash, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.catalog import bp, customs, forms, queries, search, services
from app.blueprints.logistics import freight
from app.blueprints.catalog.models import PriceChange, Product, Sku
from app.core.errors import DomainError
from app.core.formview import FormView, commit_form, committed, perform
from app.core.htmx import redirect_to
from app.core.listview import BulkAction, Column, Filter, ListView, detail_url
from app.core.money import format_money, to_minor
from app.core.permissions import check, requires
from app.core.tenancy import current_store
from app.extensions import db

STATUS = {"draft": _l("Draft"), "on_sale": _l("On sale"), "off_shelf": _l("Off shelf"), "archived": _l("Archived")}


def _money(raw: str) -> int:
    return to_minor(raw, current_store().currency)


def _price_filter(op):
    def apply(q, v):
        return q.where(op(Product.min_price, v))
    return apply


def _bulk_status(target: str):
    def run(ids, actor):
        done, refused = 0, []
        for product in db.session.scalars(select(Product).where(Product.id.in_(ids))):
            try:
                with db.session.begin_nested():
                    services.change_status(actor, product, target)
                done += 1
            except DomainError as err:
                refused.append(f"{product.title}: {err.message}")
        message = _("%(n)d products updated.", n=done)
        if refused:
            flash("; ".join(refused[:5]), "error")
        return message
    return run


def _bulk_move(ids, actor, target: str) -> str:
    if not target.isdigit():
        raise DomainError(_("Choose the category to move to."))
    return _("%(n)d products moved.", n=services.move_products(actor, ids, int(target)))


class ProductList(ListView):
    permission = "catalog.view"
    title = _l("Products")
    model = Product
    search_fields = [Product.title]
    search_placeholder = _l("Title, SKU code or barcode (中文 works)")
    template = "catalog/product_list.html"
    default_sort = "-id"
    export_name = "products"
    create_endpoint = "catalog.product_new"
    create_label = _l("New product")
    create_permission = "catalog.edit"
    columns = [
        Column("id", "#", sort=Product.id),
        Column("title", _l("Title"), sort=Product.title, link=detail_url("catalog.product_edit")),
        Column("category", _l("Category"), value=lambda p: p.category.name),
        Column("brand", _l("Brand"), value=lambda p: p.brand.name if p.brand else ""),
        Column("status", _l("Status"), sort=Product.status, value=lambda p: STATUS[p.status], badge=True),
        Column("min_price", _l("Price"), sort=Product.min_price,
               value=lambda p: "" if p.min_price is None else format_money(p.min_price, current_store().currency)
               + ("" if p.max_price == p.min_price else " – " + format_money(p.max_price, current_store().currency))),
        Column("tags", _l("Tags"), value=lambda p: ", ".join(p.tags or [])),
        Column("updated_at", _l("Updated"), sort=Product.updated_at, kind="datetime"),
    ]
    filters = [
        Filter("category", _l("Category"), lambda q, v: q.where(Product.category_id.in_(services.subtree_ids(int(v)))),
               choices=lambda: [(str(i), n) for i, n in queries.category_choices()]),
        Filter("brand", _l("Brand"), lambda q, v: q.where(Product.brand_id == int(v)),
               choices=lambda: [(str(i), n) for i, n in queries.brand_choices()]),
        Filter("status", _l("Status"), lambda q, v: q.where(Product.status == v),
               choices=lambda: [(k, str(v)) for k, v in STATUS.items()]),
        Filter("price_min", _l("Price from"), _price_filter(lambda col, v: col >= v), parse=_money, placeholder="0.00"),
        Filter("price_max", _l("Price to"), _price_filter(lambda col, v: col <= v), parse=_money, placeholder="99.00"),
        Filter("tag", _l("Tag"), lambda q, v: q.where(Product.tags.contains([v]))),
        Filter("attr", _l("Attribute"), lambda q, v: q.where(Product.attribute_values.contains(
            {v.split(":", 1)[0]: v.split(":", 1)[1]})), choices=lambda: queries.filterable_choices()),
    ]
    bulk_actions = [
        BulkAction("publish", _l("Put on sale"), _bulk_status("on_sale"), "catalog.publish"),
        BulkAction("unpublish", _l("Take off shelf"), _bulk_status("off_shelf"), "catalog.publish"),
        BulkAction("move", _l("Move to category"), lambda ids, actor, target: _bulk_move(ids, actor, target),
                   "catalog.edit", param_label=_l("category"),
                   param_choices=lambda: [(str(i), n) for i, n in queries.category_choices()]),
        BulkAction("tag", _l("Add tag"), lambda ids, actor, tag: _("%(n)d products tagged.",
                                                                   n=services.tag_products(actor, ids, tag)),
                   "catalog.edit", param_label=_l("tag")),
    ]

    def export_columns(self, variant):
        """The price range as two numbers a spreadsheet can use, in the store's currency."""
        columns = []
        for column in super().export_columns(variant):
            if column.key == "min_price":
                columns += [Column("min_price", _l("Lowest price"), kind="money"),
                            Column("max_price", _l("Highest price"), kind="money")]
            else:
                columns.append(column)
        return columns

    def search(self, stmt, q):
        query = search.tsquery(q)
        return stmt.where(Product.search_vector.op("@@")(query)) if query is not None else stmt


ProductList.register(bp, "/products", "products")


def _product_form(obj=None) -> forms.ProductForm:
    template = obj.category.effective_template if obj is not None else None
    values = {f"attr_{k}": "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
              for k, v in ((obj.attribute_values or {}) if obj is not None else {}).items()}
    form = forms.product_form_class(template)(
        obj=obj, brand_id=(obj.brand_id or 0) if obj else 0,
        freight_template_id=(obj.freight_template_id or 0) if obj else 0,
        tags=", ".join(obj.tags) if obj else "", **values)
    form.category_id.choices = queries.category_choices(enabled_only=True)
    form.brand_id.choices = [(0, "—")] + queries.brand_choices()
    form.freight_template_id.choices = [(0, _("The store's default"))] + freight.template_choices()
    return form


def _attribute_values(form) -> dict:
    return {f.name[5:]: f.data or "" for f in forms.attribute_fields(form)}


class ProductCreate(FormView):
    permission = "catalog.edit"
    form_class = forms.ProductForm
    title = _l("New product")
    cancel_endpoint = "catalog.products"

    def make_form(self, obj):
        return _product_form()

    def save(self, form, obj):
        return _save(form, None)

    def success_url(self, product):
        return url_for("catalog.product_edit", id=product.id)


def _save(form, product):
    return services.save_product(
        current_user, product, title=form.title.data, subtitle=form.subtitle.data, category_id=form.category_id.data,
        brand_id=form.brand_id.data or None, tags=form.tags.data, weight_grams=form.weight_grams.data,
        volume_cm3=form.volume_cm3.data,
        # a form posted without the select (an older client) leaves the template as it was
        freight_template_id=(form.freight_template_id.data or None) if "freight_template_id" in request.form else ...,
        description_html=form.description_html.data,
        attribute_values=_attribute_values(form) if product is not None else None)


ProductCreate.register(bp, "/products/new", "product_new")


def _page(product: Product, form=None, status: int = 200, customs_form=None, **refused):
    """The product page; a refused form (`form`, `customs_form`, or by name in `refused`: grid_form,
    prices_form, schedule_form, tier_form) is shown with its errors under the fields and its input."""
    history = db.session.execute(
        select(PriceChange, Sku.code).join(Sku, Sku.id == PriceChange.sku_id).where(Sku.product_id == product.id)
        .order_by(PriceChange.id.desc()).limit(30)).all()
    skus = db.session.scalars(select(Sku).where(Sku.product_id == product.id).order_by(Sku.id)).all()
    from app.blueprints.catalog.models import TierPrice
    from app.blueprints.members import queries as member_queries

    template = product.category.effective_template
    tiers = db.session.execute(select(TierPrice, Sku.code).join(Sku, Sku.id == TierPrice.sku_id)
                               .where(Sku.product_id == product.id).order_by(Sku.id, TierPrice.id)).all()
    levels = member_queries.level_choices()
    forms_ = {
        "grid_form": refused.get("grid_form") or _grid_form(product, skus, formdata=None),
        "prices_form": refused.get("prices_form") or forms.AllPricesForm(formdata=None),
        "schedule_form": refused.get("schedule_form") or forms.ScheduleForm(
            formdata=None, publish_at=_utc_to_local(product.publish_at), unpublish_at=_utc_to_local(product.unpublish_at)),
        "tier_form": refused.get("tier_form") or forms.TierPriceForm(formdata=None, skus=skus, levels=levels),
        "image_form": refused.get("image_form") or forms.ImageForm(formdata=None),
    }
    return render_template(
        "catalog/product.html", product=product, form=form or _product_form(product), skus=skus, history=history, **forms_,
        template=template, status_labels=STATUS, next_states=services.PRODUCT_STATES.allowed(product.status),
        currency=current_store().currency, images=services._images(product.id), tiers=tiers,
        member_levels=levels,
        customs_form=customs_form or _customs_form(skus, formdata=None), country_name=customs.country_name), status


def _utc_to_local(value):
    """A UTC time as a naive time in the store's zone (what the schedule inputs show)."""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(current_store().timezone)).replace(tzinfo=None) if value else None


def _grid_form(product: Product, skus, formdata=None):
    images = [(img.key, f"#{i}") for i, img in enumerate(services._images(product.id), start=1)]
    return forms.sku_grid_form(skus, images, formdata=formdata)


@bp.route("/products/<int:id>", methods=["GET", "POST"])
@requires("catalog.view")
def product_edit(id):
    product = db.get_or_404(Product, id)
    if request.method == "GET":
        return _page(product)
    check("catalog.edit")
    form = _product_form(product)
    if form.validate_on_submit():
        if commit_form(form, lambda: _save(form, product)):
            flash(_("Saved."), "success")
            return redirect_to(url_for("catalog.product_edit", id=id))
        product = db.session.get(Product, id)
    return _page(product, form, 422)


@bp.route("/products/<int:id>/sales-options", methods=["POST"])
@requires("catalog.edit")
def product_sales_options(id):
    product = db.get_or_404(Product, id)
    chosen = {}
    for key in request.form:
        if key.startswith("sales_"):
            try:
                chosen[int(key[6:])] = request.form.getlist(key)
            except ValueError:
                continue
    perform(lambda: services.set_sales_options(current_user, product, chosen),
            lambda skus: _("The SKU grid now has %(n)d rows.", n=len(skus)))
    return redirect_to(url_for("catalog.product_edit", id=id) + "#skus")


@bp.route("/products/<int:id>/skus", methods=["POST"])
@requires("catalog.edit")
def product_skus(id):
    product = db.get_or_404(Product, id)
    form = _grid_form(product, db.session.scalars(select(Sku).where(Sku.product_id == id).order_by(Sku.id)).all(),
                      formdata=request.form)
    if form.validate_on_submit() and (done := commit_form(form, lambda: services.update_skus(current_user, product,
                                                                                             form.rows()))):
        flash(_("SKUs saved (%(n)d price changes).", n=done.result), "success")
        return redirect_to(url_for("catalog.product_edit", id=id) + "#skus")
    return _page(db.session.get(Product, id), status=422, grid_form=form)


def _customs_form(skus, formdata=...):
    form = forms.SkuCustomsForm() if formdata is ... else forms.SkuCustomsForm(formdata=formdata)
    form.sku_id.choices = [(s.id, f"{s.code} {s.label}") for s in skus]
    form.origin_country.choices = [("", "—")] + customs.country_choices()
    return form


def _percent_bp(value) -> int:
    """A rate in percent with at most two decimals, in basis points."""
    from decimal import Decimal

    return int((Decimal(value or 0) * 100).to_integral_value())


@bp.route("/products/<int:id>/customs", methods=["POST"])
@requires("catalog.edit")
def product_customs(id):
    """A SKU's customs data for cross-border sales: HS code, origin, declared value, tax rates."""
    product = db.get_or_404(Product, id)
    skus = db.session.scalars(select(Sku).where(Sku.product_id == product.id).order_by(Sku.id)).all()
    form = _customs_form(skus)
    if form.validate_on_submit():
        sku = next((s for s in skus if s.id == form.sku_id.data), None)
        try:
            declared = _money(form.declared_value.data) if (form.declared_value.data or "").strip() else None
        except ValueError:
            form.declared_value.errors.append(_("Check the amount, e.g. 199.00."))
        else:
            if sku is None:
                form.sku_id.errors.append(_("Choose one of this product's SKUs."))
            elif commit_form(form, lambda: services.set_sku_customs(
                    current_user, sku, hs_code=form.hs_code.data, origin_country=form.origin_country.data,
                    declared_value=declared, consumption_tax_bp=_percent_bp(form.consumption_tax_rate.data),
                    duty_bp=_percent_bp(form.duty_rate.data))):
                flash(_("Customs data of %(code)s saved.", code=sku.code), "success")
                return redirect_to(url_for("catalog.product_edit", id=id) + "#customs")
    return _page(db.session.get(Product, id), status=422, customs_form=form)


@bp.route("/products/<int:id>/prices", methods=["POST"])
@requires("catalog.edit")
def product_prices(id):
    product = db.get_or_404(Product, id)
    form = forms.AllPricesForm()
    if form.validate_on_submit() and (done := commit_form(form, lambda: services.set_all_prices(
            current_user, product, form.list_price.data, form.sale_price.data, form.cost_price.data))):
        flash(_("Prices set on every SKU (%(n)d changes).", n=done.result), "success")
        return redirect_to(url_for("catalog.product_edit", id=id) + "#skus")
    return _page(db.session.get(Product, id), status=422, prices_form=form)


@bp.route("/products/<int:id>/status", methods=["POST"])
@requires("catalog.publish")
def product_status(id):
    product = db.get_or_404(Product, id)
    target = request.form.get("status", "")
    perform(lambda: services.change_status(current_user, product, target),
            lambda p: _("Status: %(status)s.", status=STATUS[p.status]))
    return redirect_to(url_for("catalog.product_edit", id=id))


@bp.route("/products/<int:id>/copy", methods=["POST"])
@requires("catalog.edit")
def product_copy(id):
    product = db.get_or_404(Product, id)
    result = {}
    if perform(lambda: result.setdefault("copy", services.copy_product(current_user, product)), _("Copied as a draft.")):
        return redirect_to(url_for("catalog.product_edit", id=result["copy"].id))
    return redirect_to(url_for("catalog.product_edit", id=id))


@bp.route("/products/<int:id>/delete", methods=["POST"])
@requires("catalog.edit")
def product_delete(id):
    product = db.get_or_404(Product, id)
    if perform(lambda: services.delete_product(current_user, product), _("Product deleted.")):
        return redirect_to(url_for("catalog.products"))
    return redirect_to(url_for("catalog.product_edit", id=id))


# --- images, schedule, tier prices, price check --------------------------------------------

@bp.route("/products/<int:id>/images", methods=["POST"])
@requires("catalog.edit")
def product_image_add(id):
    from app.core.storage import BadFile, read_upload

    product = db.get_or_404(Product, id)
    form = forms.ImageForm()
    if form.validate_on_submit():
        try:
            data = read_upload(form.image.data or None)
        except BadFile:
            form.image.errors = [*form.image.errors, _("Choose an image file to upload.")]
        else:
            if commit_form(form, lambda: services.add_image(current_user, product, data, form.alt.data or "")):
                flash(_("Image added."), "success")
                return redirect_to(url_for("catalog.product_edit", id=id) + "#images")
    return _page(db.session.get(Product, id), status=422, image_form=form)


@bp.route("/images/<int:id>/<action>", methods=["POST"])
@requires("catalog.edit")
def product_image_action(id, action):
    from app.blueprints.catalog.models import ProductImage

    image = db.get_or_404(ProductImage, id)
    product_id = image.product_id
    if action == "main":
        perform(lambda: services.move_image(current_user, image, main=True), _("Main image set."))
    elif action in ("left", "right"):
        perform(lambda: services.move_image(current_user, image, -1 if action == "left" else 1), _("Order saved."))
    elif action == "delete":
        perform(lambda: services.remove_image(current_user, image), _("Image removed."))
    else:
        abort(404)
    return redirect_to(url_for("catalog.product_edit", id=product_id) + "#images")


@bp.route("/files/<path:key>")
@requires("catalog.view")
def file(key):
    from app.core.storage import get_storage

    storage = get_storage()
    if not storage.owns(key):
        abort(404)
    try:
        path = storage.path(key)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    return send_file(path, max_age=86400)


def _local_to_utc(local):
    """A naive time in the store's zone, as UTC (None stays None)."""
    from datetime import timezone
    from zoneinfo import ZoneInfo

    return local.replace(tzinfo=ZoneInfo(current_store().timezone)).astimezone(timezone.utc) if local else None


@bp.route("/products/<int:id>/schedule", methods=["POST"])
@requires("catalog.publish")
def product_schedule(id):
    product = db.get_or_404(Product, id)
    form = forms.ScheduleForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.set_schedule(
            current_user, product, _local_to_utc(form.publish_at.data), _local_to_utc(form.unpublish_at.data))):
        flash(_("Schedule saved."), "success")
        return redirect_to(url_for("catalog.product_edit", id=id))
    return _page(db.session.get(Product, id), status=422, schedule_form=form)


@bp.route("/products/<int:id>/tiers", methods=["POST"])
@requires("catalog.edit")
def product_tier_add(id):
    from app.blueprints.catalog import pricing
    from app.blueprints.members import queries as member_queries

    db.get_or_404(Product, id)
    skus = db.session.scalars(select(Sku).where(Sku.product_id == id).order_by(Sku.id)).all()
    form = forms.TierPriceForm(skus=skus, levels=member_queries.level_choices())
    if form.validate_on_submit():
        sku = next((s for s in skus if s.id == form.sku_id.data), None)
        if sku is None:
            form.sku_id.errors.append(_("Choose one of this product's SKUs."))
        elif commit_form(form, lambda: pricing.add_tier_price(current_user, sku, form.price.data,
                                                              form.member_group.data or None, form.min_quantity.data)):
            flash(_("Price rule added."), "success")
            return redirect_to(url_for("catalog.product_edit", id=id) + "#tiers")
    return _page(db.session.get(Product, id), status=422, tier_form=form)


@bp.route("/tiers/<int:id>/delete", methods=["POST"])
@requires("catalog.edit")
def product_tier_delete(id):
    from app.blueprints.catalog import pricing
    from app.blueprints.catalog.models import TierPrice

    tier = db.get_or_404(TierPrice, id)
    product_id = db.session.get(Sku, tier.sku_id).product_id
    perform(lambda: pricing.remove_tier_price(current_user, tier), _("Price rule removed."))
    return redirect_to(url_for("catalog.product_edit", id=product_id) + "#tiers")


@bp.route("/products/<int:id>/quote")
@requires("catalog.view")
def product_quote(id):
    """The price check (htmx fragment): what would this SKU cost, for whom, and why."""
    from app.blueprints.catalog import pricing

    product = db.get_or_404(Product, id)
    sku = db.session.get(Sku, request.args.get("sku_id", type=int) or 0)
    if sku is None or sku.product_id != product.id:
        abort(404)
    try:
        result = pricing.quote(sku.id, max(1, request.args.get("quantity", 1, type=int) or 1),
                               request.args.get("member_group") or None)
        error = None
    except DomainError as err:
        result, error = None, err.message
    return render_template("catalog/_quote.html", quote=result, error=error, currency=current_store().currency)


# --- import and export -----------------------------------------------------------------------

IMPORT_TYPES = (".csv", ".xlsx")


@bp.route("/products/import", methods=["GET", "POST"])
@requires("catalog.edit")
def product_import():
    """Upload → dry run report (nothing written) → Import now (a background task)."""
    from app.blueprints.catalog import transfer
    from app.core.storage import get_storage

    if request.method == "GET":
        return render_template("catalog/import.html", plan=None)
    upload = request.files.get("file")
    mode = "good" if request.form.get("mode") == "good" else "all"
    if upload is None or not upload.filename or not upload.filename.lower().endswith(IMPORT_TYPES):
        flash(_("Choose a .csv or .xlsx file."), "error")
        return render_template("catalog/import.html", plan=None), 422
    data = upload.read(20 * 1024 * 1024 + 1)
    if len(data) > 20 * 1024 * 1024:
        flash(_("The file is larger than 20 MB; split it."), "error")
        return render_template("catalog/import.html", plan=None), 422
    try:
        plan = transfer.plan_import(transfer.read_rows(data, upload.filename))
    except transfer.UnreadableFile as err:
        flash(err.message, "error")
        return render_template("catalog/import.html", plan=None), 422
    key = get_storage().save("imports", data, ".xlsx" if upload.filename.lower().endswith(".xlsx") else ".csv")
    return render_template("catalog/import.html", plan=plan, file_key=key, filename=upload.filename, mode=mode,
                           errors=plan.errors[:500]), 422 if plan.errors and mode == "all" else 200


@bp.route("/products/import/run", methods=["POST"])
@requires("catalog.edit")
def product_import_run():
    from app.core.storage import get_storage
    from app.core.tasks import start_task

    key, filename = request.form.get("file_key", ""), request.form.get("filename", "import.csv")
    if not get_storage().owns(key):
        abort(404)
    mode = request.form.get("mode", "all")
    task = committed(lambda: start_task(current_user, "catalog.import", _("Product import: %(name)s", name=filename[:100]),
                                        file_key=key, filename=filename, mode=mode, actor_id=current_user.id))
    return redirect_to(url_for("store.job_detail", id=task.id))


@bp.route("/products/import/template.<kind>")
@requires("catalog.view")
def product_import_template(kind):
    from flask import Response

    from app.blueprints.catalog import transfer

    if kind not in ("csv", "xlsx"):
        abort(404)
    mime = "text/csv" if kind == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(transfer.template_bytes(kind), mimetype=mime,
                    headers={"Content-Disposition": f'attachment; filename="products-template.{kind}"'})


@bp.route("/products/export")
@requires("catalog.view")
def product_export():
    """The filtered products with their SKUs, in the import format (edit and import back)."""
    import io

    from flask import Response, stream_with_context

    from app.blueprints.catalog import transfer
    from app.core import export
    from app.core.tenancy import bound_store, store_context

    view = ProductList()
    stmt, _state = view.filtered()
    store = bound_store()

    def rows():
        buf = io.StringIO()
        writer = export.CsvWriter(buf)
        buf.write("\ufeff")
        with store_context(store):
            for i, row in enumerate(transfer.export_rows(stmt)):
                writer.writerow(row)
                if i % 500 == 0:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
        yield buf.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="products-import-format.csv"'})

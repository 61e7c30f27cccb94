"""Product center operations. Each flushes, audits and emits; the caller commits."""
from __future__ import annotations

import itertools
import re

import nh3
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select, update

from app.blueprints.catalog import search
from app.blueprints.catalog.models import (ATTRIBUTE_KINDS, INPUT_TYPES, Attribute, AttributeTemplate, Brand,
                                           Category, PriceChange, Product, Sku)
from app.core import audit
from app.core.errors import DomainError, DuplicateCode
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.extensions import db

MAX_DEPTH = 5
PRICE_FIELDS = ("list_price", "sale_price", "cost_price")
PRODUCT_STATES = StateMachine("product", {
    "draft": {"on_sale"},
    "on_sale": {"off_shelf"},
    "off_shelf": {"on_sale", "archived"},
    "archived": {"off_shelf"},
}, labels={"draft": _l("Draft"), "on_sale": _l("On sale"), "off_shelf": _l("Off shelf"), "archived": _l("Archived")})


def _name(value: str, field: str = "name", limit: int = 80) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > limit:
        raise DomainError(_("At most %(n)d characters.", n=limit), field=field)
    return value


# --- categories --------------------------------------------------------------------------

def _category(category_id) -> Category:
    category = db.session.get(Category, category_id) if category_id else None
    if category is None:
        raise DomainError(_("Choose a category."), field="category_id")
    return category


def create_category(actor, name: str, parent_id: int | None = None, template_id: int | None = None) -> Category:
    """Add a category under `parent_id` (or at the top), last among its siblings."""
    name = _name(name)
    parent = _category(parent_id) if parent_id else None
    if parent is not None and parent.depth + 1 >= MAX_DEPTH:
        raise DomainError(_("Categories go at most %(n)d levels deep.", n=MAX_DEPTH), field="parent_id")
    _unique_sibling(name, parent_id)
    last = db.session.scalar(select(func.max(Category.position)).where(Category.parent_id.is_(parent_id)
                                                                       if parent_id is None else
                                                                       Category.parent_id == parent_id))
    category = Category(name=name, parent_id=parent_id, template_id=template_id or None,
                        position=(last or 0) + 1, depth=parent.depth + 1 if parent else 0, enabled=True)
    db.session.add(category)
    db.session.flush()
    category.path = f"{parent.path if parent else '/'}{category.id}/"
    audit.record(actor, "category.created", category, label=name)
    return category


def _unique_sibling(name: str, parent_id, exclude: int | None = None) -> None:
    stmt = select(Category.id).where(func.lower(Category.name) == name.lower(),
                                     Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id)
    if exclude:
        stmt = stmt.where(Category.id != exclude)
    if db.session.scalar(stmt):
        raise DuplicateCode(_("A category with this name exists at that level."), field="name")


def update_category(actor, category: Category, name: str, template_id: int | None, enabled: bool) -> Category:
    category.name = _name(name)
    _unique_sibling(category.name, category.parent_id, exclude=category.id)
    category.template_id = template_id or None
    if category.enabled != enabled:
        set_category_enabled(actor, category, enabled)
    changes = audit.changes_of(category, {"name", "template_id"})
    if changes:
        audit.record(actor, "category.updated", category, label=category.name, changes=changes)
    return category


def set_category_enabled(actor, category: Category, enabled: bool) -> int:
    """Enable or disable a category with its whole subtree; returns how many changed."""
    count = db.session.execute(update(Category).where(Category.path.startswith(category.path))
                               .values(enabled=enabled)).rowcount
    db.session.expire_all()
    audit.record(actor, "category.enabled" if enabled else "category.disabled", category, label=category.name,
                 changes={"enabled": [not enabled, enabled], "subtree": [None, count]})
    return count


def move_category(actor, category: Category, new_parent_id: int | None) -> Category:
    """Move a category and its subtree under another parent (or to the top)."""
    parent = _category(new_parent_id) if new_parent_id else None
    if parent is not None and parent.path.startswith(category.path):
        raise DomainError(_("A category cannot move under itself."), field="parent_id")
    height = db.session.scalar(select(func.max(Category.depth)).where(Category.path.startswith(category.path)))
    new_depth = parent.depth + 1 if parent else 0
    if new_depth + (height - category.depth) >= MAX_DEPTH:
        raise DomainError(_("Categories go at most %(n)d levels deep.", n=MAX_DEPTH), field="parent_id")
    _unique_sibling(category.name, new_parent_id, exclude=category.id)
    old_path, new_path = category.path, f"{parent.path if parent else '/'}{category.id}/"
    shift = new_depth - category.depth
    old_parent = category.parent_id
    db.session.execute(update(Category).where(Category.path.startswith(old_path)).values(
        path=func.concat(new_path, func.substr(Category.path, len(old_path) + 1)), depth=Category.depth + shift))
    db.session.execute(update(Category).where(Category.id == category.id).values(parent_id=new_parent_id))
    db.session.expire_all()
    audit.record(actor, "category.moved", category, label=category.name,
                 changes={"parent_id": [old_parent, new_parent_id]})
    return category


def reorder_category(actor, category: Category, direction: int) -> None:
    """Swap a category with its previous (-1) or next (+1) sibling."""
    siblings = db.session.scalars(select(Category).where(
        Category.parent_id.is_(None) if category.parent_id is None else Category.parent_id == category.parent_id)
        .order_by(Category.position, Category.id)).all()
    index = next(i for i, c in enumerate(siblings) if c.id == category.id)
    other = index + direction
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings, start=1):
            sibling.position = position


def subtree_ids(category_id: int) -> select:
    """A subquery of the ids of a category and all its descendants."""
    prefix = select(Category.path).where(Category.id == category_id).scalar_subquery()
    return select(Category.id).where(Category.path.startswith(prefix))


# --- brands --------------------------------------------------------------------------------

def first_letter(name: str, name_en: str = "") -> str:
    """A–Z for the brand index: from the English name, else the pinyin of the first character."""
    for source in (name_en, name):
        source = (source or "").strip()
        if not source:
            continue
        char = source[0]
        if char.isascii():
            return char.upper() if char.isalpha() else "#"
        from pypinyin import Style, lazy_pinyin

        letters = lazy_pinyin(char, style=Style.FIRST_LETTER)
        if letters and letters[0][:1].isalpha():
            return letters[0][0].upper()
    return "#"


def save_brand(actor, brand: Brand | None, name: str, name_en: str, description: str, enabled: bool,
               letter: str | None = None, logo: bytes | None = None) -> Brand:
    name = _name(name)
    clash = select(Brand.id).where(func.lower(Brand.name) == name.lower())
    if brand is not None:
        clash = clash.where(Brand.id != brand.id)
    if db.session.scalar(clash):
        raise DuplicateCode(_("A brand with this name exists already."), field="name")
    created = brand is None
    brand = brand or Brand()
    brand.name, brand.name_en = name, (name_en or "").strip()[:80]
    brand.description = nh3.clean(description or "")
    brand.enabled = enabled
    letter = (letter or "").strip().upper()
    brand.first_letter = letter if re.fullmatch(r"[A-Z#]", letter) else first_letter(name, name_en)
    if logo:
        from app.core.storage import BadFile, get_storage, image_suffix

        try:
            suffix = image_suffix(logo)
        except BadFile:
            raise DomainError(_("Upload a PNG, JPEG, GIF or WebP image of at most 5 MB."), field="logo")
        brand.logo = get_storage().save("brands", logo, suffix)
    if created:
        db.session.add(brand)
        audit.record(actor, "brand.created", brand, label=name)
    else:
        changes = audit.changes_of(brand, {"name", "name_en", "enabled", "first_letter"})
        if changes:
            audit.record(actor, "brand.updated", brand, label=name, changes=changes)
    return brand


# --- attribute templates -------------------------------------------------------------------

def save_template(actor, template: AttributeTemplate | None, name: str, description: str) -> AttributeTemplate:
    name = _name(name)
    clash = select(AttributeTemplate.id).where(func.lower(AttributeTemplate.name) == name.lower())
    if template is not None:
        clash = clash.where(AttributeTemplate.id != template.id)
    if db.session.scalar(clash):
        raise DuplicateCode(_("A template with this name exists already."), field="name")
    if template is None:
        template = AttributeTemplate(name=name, description=(description or "").strip()[:300])
        db.session.add(template)
        audit.record(actor, "attribute_template.created", template, label=name)
    else:
        template.name, template.description = name, (description or "").strip()[:300]
    return template


def parse_options(raw: str) -> list[str]:
    """One option per line or comma (，too), blanks dropped, order and first spelling kept."""
    parts = [p.strip() for p in re.split(r"[\n,，]", raw or "")]
    return list(dict.fromkeys(p for p in parts if p))


def add_attribute(actor, template: AttributeTemplate, name: str, kind: str, input_type: str, unit: str = "",
                  required: bool = False, searchable: bool = False, filterable: bool = False,
                  options: list[str] | None = None) -> Attribute:
    """Add an attribute to a template. Sales attributes (colour, size) are choices: they span SKUs."""
    name = _name(name, limit=60)
    if kind not in ATTRIBUTE_KINDS:
        raise DomainError(_("Choose a kind."), field="kind")
    if input_type not in INPUT_TYPES:
        raise DomainError(_("Choose an input type."), field="input_type")
    if kind == "sales" and input_type != "choice":
        raise DomainError(_("A sales attribute must be a choice from a list."), field="input_type")
    options = options or []
    if input_type == "choice" and not options:
        raise DomainError(_("List the choices, one per line."), field="options")
    if any(a.name.lower() == name.lower() for a in template.attributes):
        raise DuplicateCode(_("The template has an attribute with this name already."), field="name")
    attribute = Attribute(template=template, name=name, kind=kind, input_type=input_type, unit=(unit or "")[:20],
                          required=required, searchable=searchable, filterable=filterable,
                          options=options if input_type == "choice" else [],
                          position=len(template.attributes) + 1)
    db.session.add(attribute)
    audit.record(actor, "attribute.created", template, label=f"{template.name}: {name}",
                 changes={"attribute": [None, name], "kind": [None, kind]})
    return attribute


def remove_attribute(actor, attribute: Attribute) -> None:
    audit.record(actor, "attribute.deleted", attribute.template, label=f"{attribute.template.name}: {attribute.name}")
    db.session.delete(attribute)


# --- products ------------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
                "a", "img", "table", "thead", "tbody", "tr", "td", "th", "span", "div"}


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, handlers and styles."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS,
                     attributes={"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")


def parse_tags(raw) -> list[str]:
    items = raw if isinstance(raw, list) else re.split(r"[,，\s]+", raw or "")
    return list(dict.fromkeys(t.strip()[:40] for t in items if t and t.strip()))[:20]


def _check_attribute_values(category: Category, values: dict) -> dict:
    """Validate values of the category template's key/descriptive attributes."""
    template = category.effective_template
    clean: dict[str, object] = {}
    if template is None:
        return clean
    for attribute in template.attributes:
        if attribute.kind == "sales":
            continue
        raw = values.get(str(attribute.id), values.get(attribute.id))
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw in (None, ""):
            if attribute.required:
                raise DomainError(_("“%(name)s” is required.", name=attribute.name), field=f"attr_{attribute.id}")
            continue
        if attribute.input_type == "number":
            try:
                raw = float(raw)
            except (TypeError, ValueError):
                raise DomainError(_("“%(name)s” must be a number.", name=attribute.name), field=f"attr_{attribute.id}")
        elif attribute.input_type == "choice" and raw not in attribute.options:
            raise DomainError(_("Choose one of the listed values for “%(name)s”.", name=attribute.name),
                              field=f"attr_{attribute.id}")
        clean[str(attribute.id)] = raw
    return clean


def save_product(actor, product: Product | None, *, title: str, subtitle: str = "", category_id: int,
                 brand_id: int | None = None, tags="", weight_grams: int | None = None,
                 volume_cm3: int | None = None, description_html: str = "", attribute_values: dict | None = None,
                 default_sku: bool = True, index: bool = True, freight_template_id=...) -> Product:
    """Create or edit a product's own fields. A new product is a draft with one SKU.
    Required attributes are checked when values are given and again before going on sale.
    `freight_template_id`: the logistics freight template (None: the store's default; left out:
    unchanged)."""
    category = _category(category_id)
    if brand_id and db.session.get(Brand, brand_id) is None:
        raise DomainError(_("Choose a brand."), field="brand_id")
    for field, value in (("weight_grams", weight_grams), ("volume_cm3", volume_cm3)):
        if value is not None and value < 0:
            raise DomainError(_("Cannot be negative."), field=field)
    if freight_template_id not in (None, ...):
        from app.blueprints.logistics import freight

        if freight.template(freight_template_id) is None:
            raise DomainError(_("Choose a freight template from the list."), field="freight_template_id")
    created = product is None
    product = product or Product(status="draft", sales_options={})
    if freight_template_id is not ...:
        product.freight_template_id = freight_template_id
    product.title, product.subtitle = _name(title, "title", 200), (subtitle or "").strip()[:300]
    product.category_id, product.category = category.id, category
    product.brand_id = brand_id or None
    product.tags = parse_tags(tags)
    product.weight_grams, product.volume_cm3 = weight_grams, volume_cm3
    product.description_html = sanitize_html(description_html)
    if attribute_values is not None:  # a new product gets its attributes on its own page
        product.attribute_values = _check_attribute_values(category, attribute_values)
    elif created:
        product.attribute_values = {}
    if created:
        db.session.add(product)
        db.session.flush()
        if default_sku:
            db.session.add(Sku(product=product, code=_next_code(product), option_key="", options={}))
            db.session.flush()
        audit.record(actor, "product.created", product, label=product.title)
    else:
        changes = audit.changes_of(product, {"title", "subtitle", "category_id", "brand_id", "tags", "weight_grams",
                                             "volume_cm3", "freight_template_id"})
        if changes:
            audit.record(actor, "product.updated", product, label=product.title, changes=changes)
    if index:  # a bulk import indexes once, after the SKUs
        reindex(product)
    return product


def _next_code(product: Product, taken: set[str] | None = None) -> str:
    taken = taken if taken is not None else set()
    for n in itertools.count(1):
        code = f"P{product.id:06d}-{n:02d}"
        if code.lower() not in taken and not db.session.scalar(select(Sku.id).where(func.lower(Sku.code) == code.lower())):
            taken.add(code.lower())
            return code


def reindex(product: Product) -> None:
    """Rebuild the product's search vector (title, brand, category, tags, attributes, SKU codes)."""
    db.session.flush()
    template = product.category.effective_template if product.category else None
    searchable = {str(a.id) for a in template.attributes if a.searchable} if template else set()
    brand = db.session.get(Brand, product.brand_id) if product.brand_id else None
    texts = [product.title, product.subtitle, product.category.name if product.category else "",
             brand.name if brand else "", brand.name_en if brand else "", " ".join(product.tags or [])]
    texts += [str(v) for k, v in (product.attribute_values or {}).items() if k in searchable]
    skus = db.session.scalars(select(Sku).where(Sku.product_id == product.id)).all()
    texts += [s.code for s in skus] + [s.barcode for s in skus] + [" ".join(map(str, s.options.values())) for s in skus]
    product.search_vector = search.tsvector(*texts)
    enabled = [s.sale_price for s in skus if s.enabled]
    product.min_price, product.max_price = (min(enabled), max(enabled)) if enabled else (None, None)


def set_sales_options(actor, product: Product, chosen: dict[int, list[str]]) -> list[Sku]:
    """Pick sales-attribute values (colour × size ...) and regenerate the SKU grid: new
    combinations get new SKUs, kept ones keep their codes and prices, dropped ones are
    deleted, or disabled when they were ever sold. Returns the product's SKUs."""
    template = product.category.effective_template
    sales = [a for a in (template.attributes if template else []) if a.kind == "sales"]
    picked: list[tuple[Attribute, list[str]]] = []
    for attribute in sales:
        values = [v for v in chosen.get(attribute.id, []) if v in attribute.options]
        if values:
            picked.append((attribute, values))
    combos = list(itertools.product(*[[(a, v) for v in values] for a, values in picked])) if picked else [()]
    wanted = {"|".join(f"{a.id}:{v}" for a, v in combo): {a.name: v for a, v in combo} for combo in combos}
    existing = {s.option_key: s for s in db.session.scalars(select(Sku).where(Sku.product_id == product.id))}
    template_sku = next(iter(existing.values()), None)
    taken: set[str] = set()
    for key, options in wanted.items():
        sku = existing.get(key)
        if sku is None:
            sku = Sku(product=product, option_key=key, options=options, code=_next_code(product, taken),
                      list_price=template_sku.list_price if template_sku else 0,
                      sale_price=template_sku.sale_price if template_sku else 0,
                      cost_price=template_sku.cost_price if template_sku else 0)
            db.session.add(sku)
        elif not sku.enabled and not sku.ever_sold:
            sku.enabled = True
    for key, sku in existing.items():
        if key not in wanted:
            if sku.ever_sold:
                sku.enabled = False
            else:
                db.session.delete(sku)
    product.sales_options = {str(a.id): values for a, values in picked}
    db.session.flush()
    audit.record(actor, "product.sku_grid", product, label=product.title,
                 changes={"sales_options": [None, {a.name: v for a, v in picked}], "skus": [len(existing), len(wanted)]})
    reindex(product)
    return db.session.scalars(select(Sku).where(Sku.product_id == product.id).order_by(Sku.id)).all()


def update_skus(actor, product: Product, rows: list[dict]) -> int:
    """Save the edited SKU grid (codes, barcodes, prices in minor units, weight, enabled) in
    one go; every price change is kept in the price history. Returns how many changed."""
    skus = {s.id: s for s in db.session.scalars(select(Sku).where(Sku.product_id == product.id))}
    seen_codes: set[str] = set()
    changed = 0
    for row in rows:
        sku = skus.get(row.get("id"))
        if sku is None:
            raise DomainError(_("A row does not belong to this product. Reload the page."))
        code = (row.get("code") or "").strip()
        if not code or len(code) > 64:
            raise DomainError(_("Every SKU needs a code of up to 64 characters."), field=f"sku_{sku.id}_code")
        if code.lower() in seen_codes or db.session.scalar(select(Sku.id).where(
                func.lower(Sku.code) == code.lower(), Sku.id != sku.id)):
            raise DuplicateCode(_("The SKU code “%(code)s” is used already.", code=code), field=f"sku_{sku.id}_code")
        seen_codes.add(code.lower())
        for field in PRICE_FIELDS:
            value = row.get(field)
            if value is None or value < 0:
                raise DomainError(_("Prices must be amounts of zero or more."), field=f"sku_{sku.id}_{field}")
        sku.code, sku.barcode = code, (row.get("barcode") or "").strip()[:64]
        if "image" in row:
            sku.image = row["image"] if row["image"] in _image_keys(product.id) else None
        sku.weight_grams, sku.enabled = row.get("weight_grams"), bool(row.get("enabled"))
        for field in PRICE_FIELDS:
            changed += _set_price(actor, product, sku, field, row[field])
    db.session.flush()
    reindex(product)
    return changed


def _set_price(actor, product: Product, sku: Sku, field: str, value: int) -> int:
    old = getattr(sku, field)
    if old == value:
        return 0
    setattr(sku, field, value)
    db.session.add(PriceChange(sku_id=sku.id, field=field, old=old, new=value,
                               actor_name=getattr(actor, "email", None) or "system"))
    if field == "sale_price":
        emit("sku.price_changed", {"sku_id": sku.id, "code": sku.code, "product_id": product.id,
                                   "old": old, "new": value})
    return 1


def set_all_prices(actor, product: Product, list_price: int | None, sale_price: int | None,
                   cost_price: int | None) -> int:
    """Give every SKU of the product the same prices (fields left empty stay as they are)."""
    changed = 0
    for sku in db.session.scalars(select(Sku).where(Sku.product_id == product.id)):
        for field, value in (("list_price", list_price), ("sale_price", sale_price), ("cost_price", cost_price)):
            if value is not None:
                if value < 0:
                    raise DomainError(_("Prices must be amounts of zero or more."), field=field)
                changed += _set_price(actor, product, sku, field, value)
    reindex(product)
    return changed


def change_status(actor, product: Product, target: str) -> Product:
    """Move a product through draft → on sale ⇄ off shelf → archived (see PRODUCT_STATES)."""
    PRODUCT_STATES.check(product.status, target)
    if target == "on_sale":
        _check_publishable(product)
    if target == "archived" and not product.ever_sold:
        raise DomainError(_("Only products that were sold are archived; delete this one instead."))
    before, product.status = product.status, target
    audit.record(actor, f"product.{target}", product, label=product.title, changes={"status": [before, target]})
    if target == "on_sale":
        emit("product.published", {"product_id": product.id, "title": product.title})
    elif before == "on_sale":
        emit("product.unpublished", {"product_id": product.id, "title": product.title, "status": target})
    return product


def _check_publishable(product: Product) -> None:
    skus = db.session.scalars(select(Sku).where(Sku.product_id == product.id, Sku.enabled)).all()
    if not skus:
        raise DomainError(_("Enable at least one SKU before putting the product on sale."))
    if any(s.sale_price <= 0 for s in skus):
        raise DomainError(_("Every enabled SKU needs a sale price above zero."))
    _check_attribute_values(product.category, product.attribute_values)


def delete_product(actor, product: Product) -> None:
    """Delete a product that never sold and is not on sale."""
    if product.ever_sold:
        raise DomainError(_("This product was sold: archive it instead of deleting it."))
    if product.status == "on_sale":
        raise DomainError(_("Take the product off the shelf first."))
    audit.record(actor, "product.deleted", product, label=product.title)
    db.session.delete(product)


def copy_product(actor, product: Product) -> Product:
    """A draft copy with the same fields and SKU grid; new SKU codes."""
    copy = save_product(actor, None, title=_("%(title)s (copy)", title=product.title)[:200],
                        subtitle=product.subtitle, category_id=product.category_id, brand_id=product.brand_id,
                        tags=product.tags, weight_grams=product.weight_grams, volume_cm3=product.volume_cm3,
                        freight_template_id=product.freight_template_id,
                        description_html=product.description_html, attribute_values=product.attribute_values)
    chosen = {int(k): v for k, v in (product.sales_options or {}).items()}
    if chosen:
        set_sales_options(actor, copy, chosen)
    source = {s.option_key: s for s in product.skus}
    for sku in db.session.scalars(select(Sku).where(Sku.product_id == copy.id)):
        if sku.option_key in source:
            original = source[sku.option_key]
            sku.list_price, sku.sale_price, sku.cost_price = original.list_price, original.sale_price, original.cost_price
            sku.weight_grams = original.weight_grams
    reindex(copy)
    return copy


# --- images --------------------------------------------------------------------------------

def add_image(actor, product: Product, data: bytes, alt: str = "") -> "ProductImage":
    """Store an uploaded image (PNG, JPEG, GIF or WebP up to 5 MB) as the product's last image."""
    from app.blueprints.catalog.models import ProductImage
    from app.core.storage import BadFile, get_storage, image_suffix

    try:
        suffix = image_suffix(data)
    except BadFile:
        raise DomainError(_("Upload a PNG, JPEG, GIF or WebP image of at most 5 MB."), field="image")
    key = get_storage().save(f"products/{product.id}", data, suffix)
    count = db.session.scalar(select(func.count(ProductImage.id)).where(ProductImage.product_id == product.id))
    image = ProductImage(product_id=product.id, key=key, position=count + 1, alt=(alt or "")[:200])
    db.session.add(image)
    audit.record(actor, "product.image_added", product, label=product.title)
    return image


def _image_keys(product_id: int) -> set[str]:
    return {img.key for img in _images(product_id)}


def _images(product_id: int) -> list:
    from app.blueprints.catalog.models import ProductImage

    return db.session.scalars(select(ProductImage).where(ProductImage.product_id == product_id)
                              .order_by(ProductImage.position, ProductImage.id)).all()


def move_image(actor, image, direction: int | None = None, main: bool = False) -> None:
    """Reorder a product's images; `main` puts this one first."""
    images = _images(image.product_id)
    index = next(i for i, img in enumerate(images) if img.id == image.id)
    images.pop(index)
    images.insert(0 if main else max(0, min(len(images), index + (direction or 0))), image)
    for position, img in enumerate(images, start=1):
        img.position = position


def remove_image(actor, image) -> None:
    from app.core.storage import get_storage

    product = db.session.get(Product, image.product_id)
    key = image.key
    db.session.delete(image)
    db.session.flush()
    for position, img in enumerate(_images(product.id), start=1):
        img.position = position
    audit.record(actor, "product.image_removed", product, label=product.title)
    from app.core.jobs import after_commit

    after_commit(lambda: get_storage().delete(key))


# --- schedules and bulk changes ------------------------------------------------------------

def set_schedule(actor, product: Product, publish_at, unpublish_at) -> Product:
    """Times (UTC) at which the product goes on sale / off the shelf by itself."""
    if publish_at and unpublish_at and unpublish_at <= publish_at:
        raise DomainError(_("The off-sale time must come after the on-sale time."), field="unpublish_at")
    product.publish_at, product.unpublish_at = publish_at, unpublish_at
    changes = audit.changes_of(product, {"publish_at", "unpublish_at"})
    if changes:
        audit.record(actor, "product.scheduled", product, label=product.title, changes=changes)
    return product


def apply_schedules(now=None) -> dict:
    """Put scheduled products on sale / off the shelf; a product that cannot go on sale keeps
    its schedule cleared and the reason in the audit log."""
    from app.core.db import utcnow

    now = now or utcnow()
    done = {"published": 0, "unpublished": 0, "refused": 0}
    for product in db.session.scalars(select(Product).where(Product.publish_at <= now,
                                                            Product.status.in_(("draft", "off_shelf")))):
        product.publish_at = None
        try:
            with db.session.begin_nested():
                change_status(None, product, "on_sale")
            done["published"] += 1
        except DomainError as err:
            audit.record(None, "product.schedule_refused", product, label=product.title,
                         changes={"reason": [None, err.message]})
            done["refused"] += 1
    for product in db.session.scalars(select(Product).where(Product.unpublish_at <= now, Product.status == "on_sale")):
        product.unpublish_at = None
        change_status(None, product, "off_shelf")
        done["unpublished"] += 1
    return done


def move_products(actor, ids: list[int], category_id: int) -> int:
    category = _category(category_id)
    products = db.session.scalars(select(Product).where(Product.id.in_(ids))).all()
    for product in products:
        before, product.category_id, product.category = product.category_id, category.id, category
        audit.record(actor, "product.moved", product, label=product.title, changes={"category_id": [before, category.id]})
        reindex(product)
    return len(products)


def tag_products(actor, ids: list[int], tag: str) -> int:
    tag = (tag or "").strip()[:40]
    if not tag:
        raise DomainError(_("Type the tag to add."), field="tag")
    products = db.session.scalars(select(Product).where(Product.id.in_(ids))).all()
    for product in products:
        if tag not in product.tags:
            product.tags = [*product.tags, tag]
            reindex(product)
    audit.record(actor, "product.tagged", None, label=tag, changes={"products": [None, len(products)]})
    return len(products)


# --- what other centers tell the product center -------------------------------------------------

def mark_sold(sku_ids) -> None:
    """These SKUs have been sold (an order shipped): from now on they and their products are
    kept (disabled, archived) instead of deleted. Two statements whatever the number of SKUs."""
    ids = sorted(set(sku_ids))
    if not ids:
        return
    db.session.execute(update(Sku).where(Sku.id.in_(ids), Sku.ever_sold.is_(False)).values(ever_sold=True)
                       .execution_options(synchronize_session="fetch"))
    db.session.execute(update(Product).where(Product.id.in_(select(Sku.product_id).where(Sku.id.in_(ids))),
                                             Product.ever_sold.is_(False)).values(ever_sold=True)
                       .execution_options(synchronize_session="fetch"))


def forget_freight_template(template_id: int) -> int:
    """A freight template was deleted: its products use the store's default from now on."""
    from sqlalchemy import update

    return db.session.execute(update(Product).where(Product.freight_template_id == template_id)
                              .values(freight_template_id=None).execution_options(synchronize_session=False)).rowcount


def set_sku_customs(actor, sku: Sku, *, hs_code: str, origin_country: str, declared_value: int | None,
                    consumption_tax_bp: int, duty_bp: int) -> Sku:
    """Give a SKU its customs data for cross-border sales: an HS code of 8 or 10 digits, a
    listed origin country (JGS-20 code), the declared unit value (minor units, optional) and
    the consumption tax and general-trade duty rates (basis points). Empty HS code and origin
    clear them (the SKU is then not declarable)."""
    from app.blueprints.catalog import customs

    hs_code = re.sub(r"[\s.]", "", hs_code or "")
    if hs_code and not customs.HS_CODE.fullmatch(hs_code):
        raise DomainError(_("An HS code has 8 or 10 digits."), field="hs_code")
    origin_country = (origin_country or "").strip()
    if origin_country and origin_country not in customs.COUNTRIES:
        raise DomainError(_("Choose the country of origin from the list."), field="origin_country")
    if declared_value is not None and declared_value < 0:
        raise DomainError(_("The declared value is an amount of zero or more."), field="declared_value")
    if not 0 <= consumption_tax_bp <= customs.MAX_CONSUMPTION_BP:
        raise DomainError(_("The consumption tax rate goes from 0 %% to %(max)s %%.", max="56"),
                          field="consumption_tax_rate")
    if not 0 <= duty_bp <= customs.MAX_DUTY_BP:
        raise DomainError(_("The duty rate goes from 0 %% to %(max)s %%.", max="270"), field="duty_rate")
    before = {"hs_code": sku.hs_code, "origin_country": sku.origin_country, "declared_value": sku.declared_value,
              "consumption_tax_bp": sku.consumption_tax_bp, "duty_bp": sku.duty_bp}
    sku.hs_code, sku.origin_country, sku.declared_value = hs_code, origin_country, declared_value
    sku.consumption_tax_bp, sku.duty_bp = consumption_tax_bp, duty_bp
    after = {"hs_code": hs_code, "origin_country": origin_country, "declared_value": declared_value,
             "consumption_tax_bp": consumption_tax_bp, "duty_bp": duty_bp}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    db.session.flush()
    if changes:
        audit.record(actor, "sku.customs", sku, label=sku.code, changes=changes)
    return sku

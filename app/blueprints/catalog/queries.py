"""Read side of the product center: the category tree, choice lists, and the snapshots other
centers, the storefront and the API read (they never select from catalog tables)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.blueprints.catalog.models import AttributeTemplate, Brand, Category, Product, ProductImage, Sku, TierPrice
from app.extensions import db


@dataclass(frozen=True)
class SkuSnapshot:
    """A SKU with what an order line, a cart line or the price service needs of it."""

    sku_id: int
    product_id: int
    code: str
    title: str               # the product's title
    options: dict
    image: str | None        # the SKU's own image, else the product's main image
    sale_price: int
    list_price: int
    sellable: bool           # enabled and its product on sale
    tiers: tuple             # (member group, minimum quantity, price) rows
    enabled: bool = True     # the SKU itself (its product may still be off sale)
    freight_template_id: int | None = None   # the product's freight template (None: the store's default)
    weight_grams: int | None = None          # the SKU's weight, else the product's
    volume_cm3: int | None = None            # the product's volume
    cost_price: int = 0                      # promotions keep a line above its cost
    category_id: int | None = None
    brand_id: int | None = None

    @property
    def id(self) -> int:
        return self.sku_id

    @property
    def label(self) -> str:
        return " / ".join(str(v) for v in self.options.values()) or "—"

    def quote(self, quantity: int, member_group: str | None = None, level_discount: int = 100):
        """The price for this quantity and customer group (no further reads)."""
        from app.blueprints.catalog.pricing import best_price

        return best_price(self.sku_id, self.sale_price, self.tiers, quantity, member_group, level_discount)


def sku_snapshots(sku_ids) -> dict[int, SkuSnapshot]:
    """Snapshots of these SKUs (those that exist), with their product, main image and price
    tiers, in one statement."""
    ids = list(sku_ids)
    if not ids:
        return {}
    main_image = (select(ProductImage.key).where(ProductImage.product_id == Sku.product_id, ProductImage.position == 1)
                  .order_by(ProductImage.id).limit(1).scalar_subquery())
    tiers = (select(func.json_agg(func.json_build_array(TierPrice.member_group, TierPrice.min_quantity, TierPrice.price)))
             .where(TierPrice.sku_id == Sku.id).scalar_subquery())
    rows = db.session.execute(
        select(Sku.id, Sku.product_id, Sku.code, Product.title, Sku.options, func.coalesce(Sku.image, main_image),
               Sku.sale_price, Sku.list_price, Sku.enabled & (Product.status == "on_sale"), tiers, Sku.enabled,
               Product.freight_template_id, func.coalesce(Sku.weight_grams, Product.weight_grams), Product.volume_cm3,
               Sku.cost_price, Product.category_id, Product.brand_id)
        .join(Product, Product.id == Sku.product_id).where(Sku.id.in_(ids))).all()
    return {r[0]: SkuSnapshot(r[0], r[1], r[2], r[3], dict(r[4] or {}), r[5], r[6], r[7], bool(r[8]),
                              tuple(tuple(t) for t in (r[9] or ())), bool(r[10]), r[11], r[12], r[13], r[14], r[15],
                              r[16]) for r in rows}


def sellable_skus(sku_ids) -> dict[int, SkuSnapshot]:
    """Snapshots of the SKUs among these that can be sold now (enabled, product on sale)."""
    return {sku_id: snap for sku_id, snap in sku_snapshots(sku_ids).items() if snap.sellable}


def inherited_templates(categories: list[Category]) -> dict:
    """For each category of a whole tree, the template it inherits from its nearest ancestor
    that sets one (None when no ancestor does), worked out from the tree itself."""
    by_id = {c.id: c for c in categories}
    out = {}
    for category in categories:
        node = by_id.get(category.parent_id)
        while node is not None and node.template_id is None:
            node = by_id.get(node.parent_id)
        out[category.id] = node.template if node is not None else None
    return out


def category_tree(enabled_only: bool = False) -> list[Category]:
    """Every category in tree order (parents before children, siblings by position)."""
    stmt = select(Category)
    if enabled_only:
        stmt = stmt.where(Category.enabled)
    rows = db.session.scalars(stmt).all()
    children: dict[int | None, list[Category]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    for group in children.values():
        group.sort(key=lambda c: (c.position, c.id))
    out: list[Category] = []

    def walk(parent_id):
        for c in children.get(parent_id, []):
            out.append(c)
            walk(c.id)

    walk(None)
    return out


def category_choices(enabled_only: bool = False) -> list[tuple[int, str]]:
    return [(c.id, "　" * c.depth + c.name) for c in category_tree(enabled_only)]


def brand_choices() -> list[tuple[int, str]]:
    return [(b.id, b.name) for b in db.session.scalars(select(Brand).where(Brand.enabled).order_by(Brand.first_letter,
                                                                                                   Brand.name))]


def template_choices() -> list[tuple[int, str]]:
    return [(t.id, t.name) for t in db.session.scalars(select(AttributeTemplate).order_by(AttributeTemplate.name))]


def filterable_choices() -> list[tuple[str, str]]:
    """("<attribute id>:<value>", "Material: cotton") for every filterable choice attribute."""
    from app.blueprints.catalog.models import Attribute

    rows = db.session.scalars(select(Attribute).where(Attribute.filterable, Attribute.input_type == "choice",
                                                      Attribute.kind != "sales").order_by(Attribute.name)).all()
    return [(f"{a.id}:{o}", f"{a.name}: {o}") for a in rows for o in a.options]


# --- what shoppers see (the storefront pages and the API read these) -------------------------

@dataclass(frozen=True)
class CategoryCard:
    id: int
    name: str


@dataclass(frozen=True)
class ProductCard:
    id: int
    title: str
    subtitle: str
    min_price: int | None
    max_price: int | None
    image: str | None        # the main image's storage key


@dataclass(frozen=True)
class Image:
    key: str
    alt: str


@dataclass(frozen=True)
class SkuChoice:
    id: int
    code: str
    options: dict
    sale_price: int
    list_price: int

    @property
    def label(self) -> str:
        return " / ".join(str(v) for v in self.options.values()) or "—"


@dataclass(frozen=True)
class ProductDetail:
    id: int
    title: str
    subtitle: str
    description_html: str
    min_price: int | None
    max_price: int | None
    images: tuple[Image, ...]
    skus: tuple[SkuChoice, ...]   # the enabled ones, by id

    @property
    def image(self) -> str | None:
        return self.images[0].key if self.images else None


SHOP_SORTS = {"new": (Product.id.desc(),), "price": (Product.min_price.asc(), Product.id),
              "-price": (Product.min_price.desc(), Product.id)}


def shop_categories(parent_id: int | None = None) -> list[CategoryCard]:
    """Enabled categories under `parent_id` (top level when None), by position."""
    parent = Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id
    return [CategoryCard(i, n) for i, n in db.session.execute(
        select(Category.id, Category.name).where(parent, Category.enabled).order_by(Category.position, Category.id))]


def shop_category_tree() -> list[tuple[CategoryCard, list[CategoryCard]]]:
    """The enabled top-level categories, each with its enabled subcategories, by position: one statement
    (the shop's categories tab)."""
    rows = db.session.execute(select(Category.id, Category.name, Category.parent_id).where(Category.enabled)
                              .order_by(Category.position, Category.id)).all()
    top = [(CategoryCard(i, n), []) for i, n, parent in rows if parent is None]
    children = {card.id: kids for card, kids in top}
    for i, n, parent in rows:
        if parent in children:
            children[parent].append(CategoryCard(i, n))
    return top


def shop_sitemap(limit: int = 50_000) -> list[tuple[int, datetime]]:
    """(product id, last change) of the products on sale, newest change first, at most `limit`
    (what one sitemap file may list)."""
    return [(i, t) for i, t in db.session.execute(
        select(Product.id, Product.updated_at).where(Product.status == "on_sale")
        .order_by(Product.updated_at.desc(), Product.id).limit(limit))]


def shop_category(category_id: int) -> CategoryCard | None:
    row = db.session.execute(select(Category.id, Category.name).where(Category.id == category_id,
                                                                      Category.enabled)).first()
    return CategoryCard(*row) if row else None


def shop_products(q: str = "", category_id: int | None = None, low: int | None = None, high: int | None = None,
                  sort: str = "new", page: int = 1, per_page: int = 24) -> tuple[list[ProductCard], int]:
    """Products on sale matching a search, a category (with its subcategories) and a price
    range, one page of them and how many there are: three statements."""
    from app.blueprints.catalog import search
    from app.blueprints.catalog.services import subtree_ids

    stmt = select(Product).where(Product.status == "on_sale")
    query = search.tsquery(q) if q else None
    if query is not None:
        stmt = stmt.where(Product.search_vector.op("@@")(query))
    if category_id is not None:
        stmt = stmt.where(Product.category_id.in_(subtree_ids(category_id)))
    if low is not None:
        stmt = stmt.where(Product.min_price >= low)
    if high is not None:
        stmt = stmt.where(Product.min_price <= high)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(*SHOP_SORTS.get(sort, SHOP_SORTS["new"]))
                              .limit(per_page).offset((page - 1) * per_page)).all()
    images = _main_images([p.id for p in rows])
    return [ProductCard(p.id, p.title, p.subtitle, p.min_price, p.max_price, images.get(p.id)) for p in rows], total


def _main_images(product_ids) -> dict[int, str]:
    if not product_ids:
        return {}
    return dict(db.session.execute(select(ProductImage.product_id, ProductImage.key).where(
        ProductImage.product_id.in_(list(product_ids)), ProductImage.position == 1)).all())


def shop_product(product_id: int) -> ProductDetail | None:
    """A product on sale with its images and enabled SKUs, or None."""
    p = db.session.scalar(select(Product).where(Product.id == product_id, Product.status == "on_sale"))
    if p is None:
        return None
    skus = db.session.execute(select(Sku.id, Sku.code, Sku.options, Sku.sale_price, Sku.list_price)
                              .where(Sku.product_id == product_id, Sku.enabled).order_by(Sku.id)).all()
    images = db.session.execute(select(ProductImage.key, ProductImage.alt).where(ProductImage.product_id == product_id)
                                .order_by(ProductImage.position)).all()
    return ProductDetail(p.id, p.title, p.subtitle, p.description_html, p.min_price, p.max_price,
                         tuple(Image(k, a or "") for k, a in images),
                         tuple(SkuChoice(i, c, dict(o or {}), sp, lp) for i, c, o, sp, lp in skus))


def image_on_sale(key: str) -> bool:
    """Is `key` an image of a product on sale (shoppers may fetch only those)?"""
    return db.session.scalar(select(ProductImage.id).join(Product, Product.id == ProductImage.product_id)
                             .where(ProductImage.key == key, Product.status == "on_sale").limit(1)) is not None


def sku_id_by_code(code: str) -> int | None:
    """The id of the SKU with this code (any case), or None."""
    code = (code or "").strip().lower()
    return db.session.scalar(select(Sku.id).where(func.lower(Sku.code) == code)) if code else None


def price_rule_label(code: str) -> str:
    """The price rule an order line kept ("sale", "member:vip", "ladder:3"), in the reader's language."""
    from app.blueprints.catalog.pricing import rule_label

    return rule_label(code)


def sku_codes(sku_ids=None) -> dict[int, str]:
    """SKU id → code, for these SKUs (all when None): a light read for long lists (replenishment)."""
    stmt = select(Sku.id, Sku.code)
    if sku_ids is not None:
        stmt = stmt.where(Sku.id.in_(list(sku_ids)))
    return dict(db.session.execute(stmt).all())


@dataclass(frozen=True)
class SkuCustoms:
    """A SKU's customs data for cross-border sales (see catalog.customs)."""

    sku_id: int
    code: str
    title: str
    barcode: str
    hs_code: str
    origin_country: str
    declared_value: int | None
    consumption_tax_bp: int
    duty_bp: int

    @property
    def declarable(self) -> bool:
        return bool(self.hs_code and self.origin_country)


def customs_info(sku_ids) -> dict[int, SkuCustoms]:
    """The customs data of these SKUs, in one statement."""
    ids = list(sku_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Sku.id, Sku.code, Product.title, Sku.barcode, Sku.hs_code, Sku.origin_country, Sku.declared_value,
               Sku.consumption_tax_bp, Sku.duty_bp).join(Product, Product.id == Sku.product_id)
        .where(Sku.id.in_(ids))).all()
    return {r[0]: SkuCustoms(*r) for r in rows}

"""Read side of the product center: the category tree and choice lists."""
from __future__ import annotations

from sqlalchemy import select

from app.blueprints.catalog.models import AttributeTemplate, Brand, Category
from app.extensions import db


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

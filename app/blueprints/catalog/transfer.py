"""Products in and out as CSV or XLSX, one row per SKU, in one format both ways.

Import is two steps: a dry run that reports every bad row (row, column, reason) and changes
nothing, then the import itself as a background task with progress. A row whose SKU code
exists updates that SKU (and its product) instead of adding a duplicate.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from flask_babel import gettext as _
from sqlalchemy import select

from app.blueprints.catalog import services
from app.blueprints.catalog.models import Brand, Category, Product, Sku
from app.core import export, limits
from app.core.errors import DomainError
from app.core.money import to_minor
from app.core.tenancy import current_store
from app.extensions import db

COLUMNS = ["product_ref", "title", "subtitle", "category", "brand", "tags", "weight_grams", "volume_cm3", "status",
           "sku_code", "barcode", "options", "list_price", "sale_price", "cost_price", "sku_weight_grams", "enabled"]
REQUIRED = ["product_ref", "title", "category", "sku_code", "sale_price"]
MAX_ROWS = 50000
TEXT_COLUMNS = [("title", Product, "title"), ("subtitle", Product, "subtitle"), ("sku_code", Sku, "code"),
                ("barcode", Sku, "barcode")]
MAX_UNPACKED = 100 * 2 ** 20      # what an .xlsx archive may unpack to (its directory says, before parsing)


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Group:
    ref: str
    first_row: int
    fields: dict
    skus: list[dict] = field(default_factory=list)


@dataclass
class Plan:
    errors: list[RowError]
    groups: list[Group]
    rows: int

    @property
    def sku_count(self) -> int:
        return sum(len(g.skus) for g in self.groups)


class UnreadableFile(DomainError):
    """The upload cannot be read as a product file; the message says why and what to do."""


def read_rows(data: bytes, filename: str) -> list[dict]:
    """Rows as dicts keyed by the header row, from CSV (UTF-8, with or without BOM) or XLSX.

    Raises UnreadableFile for a file that is not what its name says (an .xlsx that is no zip
    archive, or is cut short), an .xlsx whose archive unpacks past MAX_UNPACKED (checked from
    the archive's directory before anything is parsed), and more than MAX_ROWS rows (counted
    while reading, so a huge file is not read to its end)."""
    if filename.lower().endswith(".xlsx"):
        return _xlsx_rows(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UnreadableFile(_("The file is not UTF-8 text. Save it as UTF-8 CSV or XLSX.")) from err
    try:
        return _limited({k: export.unescape(v) if isinstance(v, str) else v for k, v in row.items()}
                        for row in csv.DictReader(io.StringIO(text))
                        if any((v or "").strip() for v in row.values() if isinstance(v, str)))
    except csv.Error as err:   # a NUL byte, a field past the csv module's limit, a broken quote
        raise UnreadableFile(_("The CSV file cannot be read (%(error)s). Save it again as UTF-8 CSV.",
                               error=str(err)[:100])) from err


def _limited(rows: Iterable[dict]) -> list[dict]:
    out = []
    for row in rows:
        if len(out) == MAX_ROWS:
            raise UnreadableFile(_("At most %(n)d rows per file.", n=MAX_ROWS))
        out.append(row)
    return out


def _xlsx_rows(data: bytes) -> list[dict]:
    import zipfile
    import zlib
    from xml.etree.ElementTree import ParseError

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    damaged = UnreadableFile(_("This .xlsx file is damaged or is not an Excel workbook. Save it again from "
                               "your spreadsheet program, or as UTF-8 CSV."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
        raise damaged from err
    if unpacked > MAX_UNPACKED:
        raise UnreadableFile(_("The workbook unpacks to more than %(mb)d MB; split it into smaller files.",
                               mb=MAX_UNPACKED // 2 ** 20))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            header_row = next(rows, None)
            if header_row is None:
                return []
            header = [str(h).strip() if h is not None else "" for h in header_row]
            return _limited({header[i]: ("" if v is None else export.unescape(str(v))) for i, v in enumerate(row)
                             if i < len(header)}
                            for row in rows if any(v not in (None, "") for v in row))
        finally:
            book.close()
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, IndexError, ValueError, TypeError,
            ParseError, InvalidFileException) as err:
        raise damaged from err


def _categories() -> dict[str, Category]:
    """'服装/上衣/T恤' -> category, for every category."""
    rows = db.session.scalars(select(Category)).all()
    by_id = {c.id: c for c in rows}
    out = {}
    for c in rows:
        names, node = [], c
        while node is not None:
            names.append(node.name)
            node = by_id.get(node.parent_id)
        out["/".join(reversed(names))] = c
    return out


def _category_path(category: Category, by_id: dict[int, Category]) -> str:
    names, node = [], category
    while node is not None:
        names.append(node.name)
        node = by_id.get(node.parent_id)
    return "/".join(reversed(names))


def _parse_options(raw: str) -> dict[str, str]:
    out = {}
    for part in (raw or "").replace("；", ";").split(";"):
        if part.strip():
            name, sep, value = part.partition("=")
            if not sep:
                raise ValueError(part)
            out[name.strip()] = value.strip()
    return out


def plan_import(rows: list[dict]) -> Plan:
    """Check every row; nothing is written. Errors carry the row number as a spreadsheet shows it."""
    errors: list[RowError] = []
    if not rows:
        return Plan([RowError(1, "", _("The file has no rows."))], [], 0)
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        return Plan([RowError(1, c, _("Missing column; download the template.")) for c in missing], [], len(rows))
    if len(rows) > MAX_ROWS:
        return Plan([RowError(1, "", _("At most %(n)d rows per file.", n=MAX_ROWS))], [], len(rows))
    currency = current_store().currency
    categories = _categories()
    brands = {b.name.lower(): b.id for b in db.session.scalars(select(Brand))}
    existing = {code.lower(): (sku_id, product_id) for sku_id, code, product_id in
                db.session.execute(select(Sku.id, Sku.code, Sku.product_id)).all()}
    groups: dict[str, Group] = {}
    seen_codes: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):
        bad = len(errors)
        get = lambda c: (row.get(c) or "").strip()  # noqa: E731
        ref, code = get("product_ref"), get("sku_code")
        for column in REQUIRED:
            if not get(column):
                errors.append(RowError(index, column, _("Required.")))
        category = categories.get("/".join(p.strip() for p in get("category").split("/")))
        if get("category") and category is None:
            errors.append(RowError(index, "category", _("No such category; write the path like 服装/上衣/T恤.")))
        brand_id = None
        if get("brand"):
            brand_id = brands.get(get("brand").lower())
            if brand_id is None:
                errors.append(RowError(index, "brand", _("No such brand.")))
        for column, model, name in TEXT_COLUMNS:
            limit = limits.max_length(model, name)
            if limit is not None and len(get(column)) > limit:
                errors.append(RowError(index, column, _("At most %(n)d characters.", n=limit)))
        if code:
            if code.lower() in seen_codes:
                errors.append(RowError(index, "sku_code", _("Also on row %(n)d.", n=seen_codes[code.lower()])))
            seen_codes.setdefault(code.lower(), index)
        prices = {}
        for column in ("list_price", "sale_price", "cost_price"):
            try:
                prices[column] = to_minor(get(column) or "0", currency)
                if prices[column] < 0:
                    raise ValueError
            except ValueError:
                errors.append(RowError(index, column, _("Not an amount (like 12.50).")))
        numbers = {}
        for column in ("weight_grams", "volume_cm3", "sku_weight_grams"):
            value = get(column)
            if value:
                model, name = (Sku, "weight_grams") if column == "sku_weight_grams" else (Product, column)
                try:
                    numbers[column] = limits.parse_int(value, model, name, minimum=0)
                except ValueError:
                    errors.append(RowError(index, column, _("Not a whole number from 0 to %(max)d.",
                                                            max=limits.int_bounds(model, name)[1])))
        try:
            options = _parse_options(get("options"))
        except ValueError:
            options = {}
            errors.append(RowError(index, "options", _("Write options like 颜色=红色; 尺码=M.")))
        if category is not None and options:
            sales = {a.name: a for a in (category.effective_template.attributes if category.effective_template else []) if a.kind == "sales"}
            for name, value in options.items():
                attribute = sales.get(name)
                if attribute is None:
                    errors.append(RowError(index, "options", _("“%(name)s” is not a sales attribute of this category.",
                                                                name=name)))
                elif value not in attribute.options:
                    errors.append(RowError(index, "options", _("“%(value)s” is not a listed value of “%(name)s”.",
                                                                value=value, name=name)))
        if len(errors) > bad:
            continue
        existing_sku = existing.get(code.lower())
        key = f"product:{existing_sku[1]}" if existing_sku else (f"product:{ref}" if ref.isdigit() else f"new:{ref}")
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, index, {
                "title": get("title")[:200], "subtitle": get("subtitle")[:300], "category_id": category.id,
                "brand_id": brand_id, "tags": get("tags"), "weight_grams": numbers.get("weight_grams"),
                "volume_cm3": numbers.get("volume_cm3")})
        option_key = tuple(sorted(options.items()))
        if any(tuple(sorted(other["options"].items())) == option_key for other in group.skus):
            errors.append(RowError(index, "options", _("Another row of this product has the same options.")))
            continue
        group.skus.append({"row": index, "sku_id": existing_sku[0] if existing_sku else None, "code": code,
                           "barcode": get("barcode")[:64], "options": options, **prices,
                           "weight_grams": numbers.get("sku_weight_grams"),
                           "enabled": get("enabled").lower() not in ("0", "no", "false", "否", "n")})
    return Plan(errors, list(groups.values()), len(rows))


def apply_import(actor, plan: Plan, progress=None) -> dict:
    """Write the plan's good rows: update SKUs found by code, add the others."""
    created = updated = 0
    total = len(plan.groups)
    for number, group in enumerate(plan.groups, start=1):
        product = None
        if group.ref.startswith("product:"):
            product = db.session.get(Product, int(group.ref.split(":", 1)[1]))
        fresh = product is None
        product = services.save_product(actor, product, attribute_values=None, default_sku=False, index=False,
                                        **group.fields)
        chosen: dict[str, list[str]] = {k: list(v) for k, v in (product.sales_options or {}).items()}
        attributes = {a.name: a for a in (product.category.effective_template.attributes if product.category.effective_template else [])}
        for row in group.skus:
            sku = db.session.get(Sku, row["sku_id"]) if row["sku_id"] else None
            if sku is None:
                key = "|".join(f"{attributes[n].id}:{v}" for n, v in sorted(row["options"].items(),
                                                                             key=lambda kv: attributes[kv[0]].position))
                sku = None if fresh else db.session.scalar(
                    select(Sku).where(Sku.product_id == product.id, Sku.option_key == key))
                if sku is None:  # a new SKU starts at its prices: nothing changed, no history
                    sku = Sku(product_id=product.id, option_key=key, options=row["options"], code=row["code"],
                              **{f: row[f] for f in services.PRICE_FIELDS})
                    db.session.add(sku)
                    created += 1
                else:
                    updated += 1
            else:
                updated += 1
            sku.code, sku.barcode, sku.enabled, sku.weight_grams = row["code"], row["barcode"], row["enabled"], row["weight_grams"]
            for name, value in row["options"].items():
                values = chosen.setdefault(str(attributes[name].id), [])
                if value not in values:
                    values.append(value)
            if sku.id is not None:
                for price_field in services.PRICE_FIELDS:
                    services._set_price(actor, product, sku, price_field, row[price_field])
        product.sales_options = chosen
        services.reindex(product)
        if progress and (number % 50 == 0 or number == total):
            progress(number, total, f"{number}/{total}")
    return {"products": total, "skus_created": created, "skus_updated": updated}


def export_rows(stmt) -> Iterator[list]:
    """Rows in the import format for the products `stmt` selects (a filtered product query)."""
    from app.core.money import EXPONENT

    yield COLUMNS
    by_id = {c.id: c for c in db.session.scalars(select(Category))}
    brands = {b.id: b.name for b in db.session.scalars(select(Brand))}
    exp = EXPONENT.get(current_store().currency, 2)
    ids = stmt.with_only_columns(Product.id).order_by(None).subquery()
    query = (select(Sku, Product).join(Product, Product.id == Sku.product_id).where(Product.id.in_(select(ids)))
             .order_by(Product.id, Sku.id).execution_options(yield_per=1000))
    for sku, product in db.session.execute(query):
        money = lambda v: f"{v / 10 ** exp:.{exp}f}"  # noqa: E731
        yield [str(product.id), product.title, product.subtitle, _category_path(by_id[product.category_id], by_id),
               brands.get(product.brand_id, ""), ", ".join(product.tags or []), product.weight_grams or "",
               product.volume_cm3 or "", product.status, sku.code, sku.barcode,
               "; ".join(f"{k}={v}" for k, v in sku.options.items()), money(sku.list_price), money(sku.sale_price),
               money(sku.cost_price), sku.weight_grams or "", "1" if sku.enabled else "0"]


def template_bytes(kind: str) -> bytes:
    """An empty import file with the header row and one example row."""
    example = ["new-1", "纯棉T恤", "夏季新款", "服装/上衣/T恤", "", "新品, 纯棉", "200", "", "", "TS-RED-M", "",
               "颜色=红色; 尺码=M", "99.00", "79.00", "30.00", "", "1"]
    if kind == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        export.xlsx_append(sheet, COLUMNS)
        export.xlsx_append(sheet, example)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.StringIO()
    out.write("\ufeff")
    writer = export.CsvWriter(out)
    writer.writerow(COLUMNS)
    writer.writerow(example)
    return out.getvalue().encode()

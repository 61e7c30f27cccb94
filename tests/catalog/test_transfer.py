"""Bulk import and export: template, dry run with every bad row, background import,
re-import updates by SKU code, XLSX too."""
import csv
import io

from sqlalchemy import func, select

from app.blueprints.catalog import services
from app.blueprints.catalog.models import Product, Sku
from tests.catalog.test_pages import _get
from tests.conftest import wait_for

HEADER = "product_ref,title,subtitle,category,brand,tags,weight_grams,volume_cm3,status,sku_code,barcode,options,list_price,sale_price,cost_price,sku_weight_grams,enabled"


def _setup(app, store):
    def make():
        template = services.save_template(None, None, "服装", "")
        services.add_attribute(None, template, "颜色", "sales", "choice", options=["红色", "蓝色"])
        services.add_attribute(None, template, "尺码", "sales", "choice", options=["S", "M"])
        root = services.create_category(None, "服装", template_id=template.id)
        services.create_category(None, "T恤", parent_id=root.id, template_id=template.id)
        services.save_brand(None, None, "优衣库", "Uniqlo", "", True)
    _get(app, store, make)


def _upload(owner, store, text, name="p.csv", mode="all"):
    data = text.encode("utf-8-sig") if isinstance(text, str) else text
    return owner.form(f"/store/{store.slug}/catalog/products/import", {"file": (io.BytesIO(data), name), "mode": mode},
                      content_type="multipart/form-data")


GOOD = "\n".join([HEADER,
                  "new-1,纯棉T恤,,服装/T恤,优衣库,新品,200,,,TS-R-S,,颜色=红色; 尺码=S,99,79.5,30,,1",
                  "new-1,纯棉T恤,,服装/T恤,优衣库,新品,200,,,TS-R-M,,颜色=红色; 尺码=M,99,79.5,30,,1",
                  "new-2,马克杯,,服装,,,,,,MUG-1,6901234,,,25,10,,1"])


def test_dry_run_reports_every_bad_row_and_imports_nothing(app, owner, store):
    _setup(app, store)
    bad = "\n".join([HEADER,
                     "new-1,,,服装/T恤,,,,,,A-1,,,,10,,,1",            # no title
                     "new-2,杯,,没有这个类目,,,,,,A-2,,,,10,,,1",          # unknown category
                     "new-3,衣,,服装/T恤,,,,,,A-3,,颜色=绿色,,10,,,1",     # not a listed value
                     "new-4,衣,,服装/T恤,,,,,,A-4,,,,ten,,,1",             # bad amount
                     "new-5,衣,,服装/T恤,不存在,,,,,A-4,,,,10,,,1"])         # unknown brand and duplicate code
    response = _upload(owner, store, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-errors="6"' in html
    for row, column in ((2, "title"), (3, "category"), (4, "options"), (5, "sale_price"), (6, "brand"), (6, "sku_code")):
        assert f"<td>{row}</td><td><code>{column}</code>" in html
    assert "Import now" not in html
    assert _get(app, store, lambda: db_count(Product)) == 0


def db_count(model):
    from app.extensions import db
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_runs_as_a_task_and_reimport_updates_by_sku_code(app, owner, store):
    _setup(app, store)
    html = _upload(owner, store, GOOD).get_data(as_text=True)
    assert 'data-errors="0"' in html and "Import now" in html
    key = html.split('name="file_key" value="')[1].split('"')[0]
    response = owner.form(f"/store/{store.slug}/catalog/products/import/run",
                          {"file_key": key, "filename": "p.csv", "mode": "all"})
    job = response.headers["Location"]
    wait_for(lambda: "Done" in owner.get(job).get_data(as_text=True))
    assert _get(app, store, lambda: (db_count(Product), db_count(Sku))) == (2, 3)
    # export, change a price, import back: the same SKUs are updated, nothing duplicated
    exported = owner.get(f"/store/{store.slug}/catalog/products/export").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["sku_code"] for r in rows} == {"TS-R-S", "TS-R-M", "MUG-1"}
    for r in rows:
        if r["sku_code"] == "MUG-1":
            r["sale_price"] = "19.90"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=rows[0].keys())
    writer.writeheader()
    writer.writerows(rows)
    html = _upload(owner, store, out.getvalue()).get_data(as_text=True)
    key = html.split('name="file_key" value="')[1].split('"')[0]
    job = owner.form(f"/store/{store.slug}/catalog/products/import/run",
                     {"file_key": key, "filename": "p.csv", "mode": "all"}).headers["Location"]
    wait_for(lambda: "Done" in owner.get(job).get_data(as_text=True))
    assert _get(app, store, lambda: (db_count(Product), db_count(Sku))) == (2, 3)
    from app.extensions import db
    assert _get(app, store, lambda: db.session.scalar(select(Sku.sale_price).where(Sku.code == "MUG-1"))) == 1990


def test_xlsx_template_and_only_good_rows(app, owner, store):
    from openpyxl import load_workbook, Workbook

    _setup(app, store)
    template = owner.get(f"/store/{store.slug}/catalog/products/import/template.xlsx")
    header = [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]]
    assert header == HEADER.split(",")
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    sheet.append(["new-1", "帆布包", "", "服装", "", "", "", "", "", "BAG-1", "", "", "", "59", "", "", "1"])
    sheet.append(["new-2", "坏行", "", "服装", "", "", "", "", "", "BAG-2", "", "", "", "oops", "", "", "1"])
    data = io.BytesIO()
    book.save(data)
    html = _upload(owner, store, data.getvalue(), name="p.xlsx", mode="good").get_data(as_text=True)
    assert 'data-errors="1"' in html and "Import now" in html


def test_two_rows_of_one_product_with_the_same_options_are_refused(app, owner, store):
    _setup(app, store)
    text = "\n".join([HEADER, "new-1,衣,,服装/T恤,,,,,,D-1,,颜色=红色,,10,,,1",
                      "new-1,衣,,服装/T恤,,,,,,D-2,,颜色=红色,,10,,,1"])
    html = _upload(owner, store, text).get_data(as_text=True)
    assert 'data-errors="1"' in html and "<td>3</td><td><code>options</code>" in html


def test_an_all_or_nothing_import_of_a_file_with_bad_rows_fails_with_its_reason(app, owner, store):
    _setup(app, store)
    text = "\n".join([HEADER, "new-1,帆布包,,服装,,,,,,BAG-1,,,,59,,,1", "new-2,坏行,,服装,,,,,,BAG-2,,,,oops,,,1"])
    html = _upload(owner, store, text, mode="good").get_data(as_text=True)
    key = html.split('name="file_key" value="')[1].split('"')[0]
    job = owner.form(f"/store/{store.slug}/catalog/products/import/run",
                     {"file_key": key, "filename": "p.csv", "mode": "all"}).headers["Location"]
    page = wait_for(lambda: (lambda p: "rows have errors" in p and p)(owner.get(job).get_data(as_text=True)))
    assert "NameError" not in page
    assert _get(app, store, lambda: db_count(Product)) == 0

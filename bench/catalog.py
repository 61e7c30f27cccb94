"""Product center at size: a store with 50,000 products and 200,000 SKUs.

Prints the product list's server time (p50, p95) and queries per page for the first page,
a deep page with a filter, and a Chinese keyword search; then the import of 10,000 rows
(dry run and import, rows per second).

    python -m bench.catalog [PRODUCTS]
"""
from __future__ import annotations

import csv
import io
import random
import sys
import time

from bench.common import bench_app, cleanup, percentile

WORDS = ["纯棉", "夏季", "新款", "修身", "圆领", "短袖", "连衣裙", "碎花", "法式", "复古", "宽松", "休闲", "运动", "羊毛",
         "大衣", "牛仔", "衬衫", "卫衣", "针织", "真丝"]


def _fill(app, store_id: int, products: int) -> None:
    from sqlalchemy import text

    from app.blueprints.catalog import search, services
    from app.blueprints.platform.models import Store
    from app.core.tenancy import store_context
    from app.extensions import db

    rng = random.Random(7)
    with app.app_context(), store_context(db.session.get(Store, store_id)) as bound:
        template = services.save_template(None, None, "颜色模板", "")
        services.add_attribute(None, template, "颜色", "sales", "choice", options=["红", "蓝", "黑", "白"])
        db.session.flush()
        root = services.create_category(None, "服装", template_id=template.id)
        leaves = [services.create_category(None, f"类目{i}", parent_id=root.id, template_id=template.id).id
                  for i in range(20)]
        brand = services.save_brand(None, None, "基准", "Bench", "", True)
        db.session.commit()
        schema = bound.schema
        conn = db.session.connection()
        batch = []
        for i in range(1, products + 1):
            title = "".join(rng.sample(WORDS, 4)) + f" {i}"
            tokens = " ".join(search.document_tokens(title, f"B{i:06d}"))
            status = rng.choice(["on_sale", "on_sale", "off_shelf", "draft"])
            batch.append({"t": title, "c": rng.choice(leaves), "b": brand.id, "s": status, "tok": tokens,
                          "p": rng.randrange(1000, 100000)})
            if len(batch) == 5000 or i == products:
                conn.execute(text(
                    f"INSERT INTO {schema}.products (title, subtitle, category_id, brand_id, status, description_html, "
                    f"tags, attribute_values, sales_options, min_price, max_price, ever_sold, search_vector, "
                    f"created_at, updated_at) VALUES (:t, '', :c, :b, :s, '', '{{}}', '{{}}', '{{}}', :p, :p, false, "
                    f"to_tsvector('simple', :tok), now(), now())"), batch)
                batch = []
        conn.execute(text(
            f"INSERT INTO {schema}.skus (product_id, code, barcode, options, option_key, list_price, sale_price, "
            f"cost_price, enabled, ever_sold, hs_code, origin_country, consumption_tax_bp, duty_bp, created_at) "
            f"SELECT p.id, 'B' || lpad(p.id::text, 6, '0') || '-' || n, '', "
            f"'{{}}', n::text, p.min_price, p.min_price, 0, true, false, '', '', 0, 0, now() FROM {schema}.products p, "
            f"generate_series(1, 4) n"))
        conn.execute(text(f"ANALYZE {schema}.products; ANALYZE {schema}.skus"))
        db.session.commit()


def _time_pages(app, client, url: str, n: int = 30) -> tuple[list[float], int, int]:
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counts = []

    def hit(*args):
        counts[-1] += 1

    event.listen(engine, "before_cursor_execute", hit)
    timings = []
    try:
        for _ in range(n):
            counts.append(0)
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
    finally:
        event.remove(engine, "before_cursor_execute", hit)
    return timings, counts[-1], response.get_data(as_text=True).count('name="ids"')


def _import_rows(n: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    from app.blueprints.catalog.transfer import COLUMNS
    writer.writerow(COLUMNS)
    for i in range(n):
        ref = f"new-{i // 4}"
        writer.writerow([ref, f"导入商品 {i // 4}", "", "服装/类目1", "基准", "导入", "100", "", "", f"IMP-{i:06d}", "",
                         f"颜色={'红蓝黑白'[i % 4]}", "99.00", "79.00", "30.00", "", "1"])
    return out.getvalue()


def main(products: int = 50000) -> None:
    app, instance = bench_app()
    from app.blueprints.catalog import transfer
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context():
        store = create_store(None, f"cat-{int(time.time()) % 100000}", "Catalog", "o@cat.cn", "bench-password-1",
                             plan_code="pro", default_locale="en")
        db.session.commit()
        store_id, slug = store.id, store.slug
    started = time.perf_counter()
    _fill(app, store_id, products)
    print(f"set-up: {products} products and {products * 4} SKUs in {time.perf_counter() - started:.1f}s")
    client = app.test_client()
    token = __import__("re").search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    client.post(f"/store/{slug}/login", data={"email": "o@cat.cn", "password": "bench-password-1", "csrf_token": token})
    with app.app_context():
        category = db.session.execute(db.text("SELECT 1")).scalar()  # warm the pool
    for label, url in (
        ("first page (20 rows)", f"/store/{slug}/catalog/products"),
        ("first page (100 rows)", f"/store/{slug}/catalog/products?per_page=100"),
        ("deep page 400 with filters (status, price)", f"/store/{slug}/catalog/products?status=on_sale&price_min=100&page=400"),
        ("Chinese keyword search 纯棉 连衣裙", f"/store/{slug}/catalog/products?q=纯棉 连衣裙"),
        ("SKU code prefix search", f"/store/{slug}/catalog/products?q=B00123"),
    ):
        timings, queries, rows = _time_pages(app, client, url)
        ms = [t * 1000 for t in timings]
        print(f"list, {label}: p50={percentile(ms, 50):.0f} ms p95={percentile(ms, 95):.0f} ms, "
              f"{queries} queries, {rows} rows")
    rows = transfer.read_rows(_import_rows(10000).encode(), "bench.csv")
    with app.app_context(), store_context(db.session.get(Store, store_id)):
        started = time.perf_counter()
        plan = transfer.plan_import(rows)
        dry = time.perf_counter() - started
        assert not plan.errors, plan.errors[:3]
        started = time.perf_counter()
        transfer.apply_import(None, plan)
        db.session.commit()
        took = time.perf_counter() - started
    print(f"import 10,000 rows: dry run {dry:.1f}s ({10000 / dry:.0f} rows/s), "
          f"import {took:.1f}s ({10000 / took:.0f} rows/s) for {len(plan.groups)} products")
    cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50000)

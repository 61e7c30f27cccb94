"""Promotions at load: the pricing pipeline for a 20-line cart under 10 live promotions (p50/p95),
flash-sale claims per second through the Redis script next to the bare conditional UPDATE of
one row in the same run, and coupon claims per second.

    python -m bench.promotions [ROUNDS] [THREADS]
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bench.common import bench_app, cleanup, summary


def _store(app):
    from app.blueprints.catalog import services as catalog
    from app.blueprints.inventory import services as inventory
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import create_store
    from app.blueprints.promotions import services as promotions
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context():
        store = create_store(None, "promobench", "Promotions", "o@promobench.cn", None, plan_code="pro")
        db.session.commit()
        bound = db.session.get(Store, store.id)
        db.session.expunge(bound)
    with app.app_context(), store_context(bound):
        warehouse = inventory.save_warehouse(None, None, "PB", "压测仓", "own", "", 1, True)
        category = catalog.create_category(None, "促销压测")
        db.session.flush()
        skus = {}
        for i in range(20):
            product = catalog.save_product(None, None, title=f"促销商品{i}", category_id=category.id)
            catalog.set_all_prices(None, product, 3000, 1990 + 100 * i, 500)
            catalog.change_status(None, product, "on_sale")
            db.session.flush()
            inventory.receive(None, product.skus[0].id, warehouse.id, 100_000, "bench")
            skus[product.skus[0].id] = 1 + i % 3
        rules = [("item_discount", {"percent": 95}), ("item_discount", {"percent": 90}),
                 ("amount_off", {"tiers": [[30_000, 3_000], [60_000, 8_000]]}), ("amount_off", {"tiers": [[10_000, 500]]}),
                 ("percent_off", {"tiers": [[50_000, 95]]}), ("nth_discount", {"count": 3, "percent": 90}),
                 ("percent_off", {"tiers": [[200_000, 80]]}), ("amount_off", {"tiers": [[0, 100]]}),
                 ("free_shipping", {"threshold": 9_900}), ("free_shipping", {"threshold": 0})]
        for n, (kind, params) in enumerate(rules):
            p = promotions.save_promotion(None, None, {"name": f"规则{n}", "kind": kind, "params": params,
                                                       "stack_group": "g" if n in (3, 7) else "",
                                                       "budget_total": 10 ** 9 if n == 2 else None})
            promotions.set_status(None, p, "active")
        db.session.commit()
    return bound, skus


def _members(app, bound, n):
    from app.blueprints.members.models import Member
    from app.core.tenancy import store_context
    from app.extensions import db

    with app.app_context(), store_context(bound):
        rows = [Member(email=f"b{i}-{time.time_ns()}@example.com", name="压测", status="active") for i in range(n)]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def _rate(app, bound, fn, items, threads):
    from app.core.tenancy import store_context

    def run(x):
        with app.test_request_context(), store_context(bound):
            return fn(x)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(run, items))
    return results, time.perf_counter() - started


def main(rounds: int = 300, threads: int = 8) -> None:
    app, instance = bench_app()
    try:
        from sqlalchemy import text

        from app.blueprints.promotions import coupons, flash, pricing
        from app.core.db import utcnow
        from app.core.errors import DomainError
        from app.core.tenancy import store_context
        from app.extensions import db

        bound, skus = _store(app)
        times = []
        with app.test_request_context(), store_context(bound):
            priced = pricing.price_cart(skus, shipping_fee=1000)
            print(f"cart: {len(priced.lines)} lines, {len(priced.result.applied())} rules applied, "
                  f"{len(priced.result.skipped)} skipped, payable {priced.payable}")
            for _ in range(rounds):
                started = time.perf_counter()
                pricing.price_cart(skus, shipping_fee=1000)
                times.append(time.perf_counter() - started)
                db.session.rollback()
        print(summary("price_cart, 20 lines, 10 live promotions", times))

        # flash claims: the Redis script alone (the hot path) vs one conditional UPDATE on one row
        claims = 20_000
        with app.test_request_context(), store_context(bound):
            now = utcnow()
            session = flash.save_session(None, None, "压测秒杀", now - timedelta(minutes=1), now + timedelta(hours=1))
            item = flash.add_item(None, session, next(iter(skus)), 990, claims // 2, 1)
            flash.arm(None, session)
            from types import SimpleNamespace

            item = SimpleNamespace(id=item.id, per_member_limit=item.per_member_limit)   # what the hot path reads
            db.session.commit()
            db.session.execute(text("CREATE TABLE IF NOT EXISTS bench_pool (id int primary key, stock int)"))
            db.session.execute(text("DELETE FROM bench_pool"))
            db.session.execute(text("INSERT INTO bench_pool VALUES (1, :n)"), {"n": claims // 2})
            db.session.commit()

        def redis_claim(member_id):
            try:
                flash.take(item, member_id)
                return True
            except DomainError:
                return False

        def sql_claim(_member_id):
            row = db.session.execute(text("UPDATE bench_pool SET stock = stock - 1 WHERE id = 1 AND stock > 0 "
                                          "RETURNING stock")).first()
            db.session.commit()
            return row is not None

        won, seconds = _rate(app, bound, redis_claim, range(1, claims + 1), threads)
        print(f"flash claims through the Redis script: {claims} claims in {seconds:.2f} s = {claims / seconds:,.0f}/s "
              f"({sum(won)} won of {claims // 2} units)")
        won, seconds = _rate(app, bound, sql_claim, range(1, claims + 1), threads)
        print(f"bare conditional UPDATE on one row:     {claims} claims in {seconds:.2f} s = {claims / seconds:,.0f}/s "
              f"({sum(won)} won of {claims // 2} units)")

        # coupon claims (two conditional statements and an insert per claim, in a transaction)
        shoppers = _members(app, bound, 2_000)
        with app.test_request_context(), store_context(bound):
            template = coupons.save_template(None, None, {"name": "压测券", "kind": "amount_off", "amount": 500,
                                                          "quantity": 1_000, "valid_days": 7})
            db.session.commit()
            template_id = template.id

        def coupon_claim(member_id):
            try:
                coupons.claim_coupon(member_id, template_id)
                db.session.commit()
                return True
            except DomainError:
                db.session.rollback()
                return False

        won, seconds = _rate(app, bound, coupon_claim, shoppers, threads)
        print(f"coupon claims: {len(shoppers)} in {seconds:.2f} s = {len(shoppers) / seconds:,.0f}/s "
              f"({sum(won)} issued of 1000)")
    finally:
        cleanup(instance)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

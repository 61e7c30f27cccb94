"""Platform staff's per-store usage and revenue summary: GMV, paid orders and refunds of the
last 30 days, the plan's fee and the database space of each store, read store by store from
the order and payment centers' queries (never from a store's ledger)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from sqlalchemy import text

from app.blueprints.platform import queries as platform_queries
from app.core.db import utcnow
from app.core.permissions import platform_staff
from app.core.tenancy import store_context
from app.extensions import db

platform_bp = Blueprint("finance_platform", __name__, url_prefix="/platform/usage")
DAYS = 30


def store_usage(store) -> dict:
    """One store's last 30 local days: GMV, paid orders, refunds (two queries in its schema)."""
    from app.blueprints.orders import queries as order_queries
    from app.blueprints.payments import queries as payment_queries

    tz = ZoneInfo(store.timezone or "Asia/Shanghai")
    today = utcnow().astimezone(tz).date()
    start = datetime.combine(today - timedelta(days=DAYS - 1), time(), tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=tz)
    with store_context(store):
        sales = order_queries.sales_by_day(start, end, tz.key)
        refunds = payment_queries.refunded_between(start, end, tz.key)
    return {"orders": sum(n for n, _g in sales.values()), "gmv": sum(g for _n, g in sales.values()),
            "refunds": sum(refunds.values())}


def schema_bytes() -> dict[str, int]:
    """Database space per store schema, tables and indexes (one query for every store)."""
    return {schema: int(size) for schema, size in db.session.execute(text(
        "SELECT n.nspname, sum(pg_total_relation_size(c.oid)) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'store\\_%' AND c.relkind = 'r' "
        "GROUP BY n.nspname"))}


@platform_bp.route("/")
@platform_staff
def usage():
    sizes = schema_bytes()
    rows = [{"store": s, **store_usage(s), "bytes": sizes.get(s.schema_name, 0), "fee": s.plan_fee,
             "fee_currency": s.plan_currency} for s in platform_queries.active_stores()]
    return render_template("finance/platform_usage.html", rows=rows, days=DAYS)

"""Platform staff's per-store usage and revenue summary: GMV, paid orders and refunds of the
last 30 days, the plan's fee and the database space of each store. It reads the platform's
summary table, which the periodic `finance.jobs.refresh_usage` job keeps in each store (from the
order and payment centers' queries, never from a store's ledger): two queries whatever the
number of stores."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.blueprints.finance.services import USAGE_DAYS
from app.blueprints.platform import queries as platform_queries
from app.core.permissions import platform_staff

platform_bp = Blueprint("finance_platform", __name__, url_prefix="/platform/usage")


@platform_bp.route("/")
@platform_staff
def usage():
    counted = platform_queries.store_usage()
    rows = [{"store": s, "usage": counted.get(s.id), "fee": s.plan_fee, "fee_currency": s.plan_currency}
            for s in platform_queries.active_stores()]
    return render_template("finance/platform_usage.html", rows=rows, days=USAGE_DAYS)

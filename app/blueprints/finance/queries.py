"""Finance read side: balances from the daily account summary (never a scan of the lines),
the trial balance, profit and loss, balance sheet, gateway receivables against the payment
center's reconciliation, margin, and the sales dashboard in the store's time zone."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from sqlalchemy import case, func, select

from app.blueprints.finance.models import DEBIT_NORMAL, Account, AccountDay, Entry, Line, SkuCost
from app.core.db import utcnow
from app.core.tenancy import current_store
from app.extensions import db


def entry_for_event(event_id: int, rule: str) -> Entry | None:
    return db.session.scalar(select(Entry).where(Entry.event_id == event_id, Entry.rule == rule))


def account_name(account: Account) -> str:
    return account.name_zh if str(get_locale() or "zh").startswith("zh") else account.name_en


def account_choices() -> list[tuple[str, str]]:
    return [(str(a.id), f"{a.code} {account_name(a)}") for a in db.session.scalars(select(Account).order_by(Account.code))]


def order_balance(order_id: int, code: str) -> int:
    """Credits minus debits on one account for one order (what is still owed on it)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Line.credit - Line.debit), 0))
                                 .join(Account, Account.id == Line.account_id)
                                 .where(Line.order_id == order_id, Account.code == code)))


def recognised_quantities(order_id: int) -> dict[int, int]:
    """Units of each order line whose revenue is booked (credits of 6001 minus reversals)."""
    signed = case((Line.credit > 0, Line.quantity), else_=-Line.quantity)
    rows = db.session.execute(select(Line.order_line_id, func.sum(signed)).join(Account, Account.id == Line.account_id)
                              .where(Line.order_id == order_id, Account.code == "6001",
                                     Line.order_line_id.is_not(None)).group_by(Line.order_line_id))
    return {line_id: int(q) for line_id, q in rows if q}


# --- balances ----------------------------------------------------------------------------------

@dataclass
class Balance:
    account: Account
    debit: int = 0       # total debits in the range
    credit: int = 0

    @property
    def balance(self) -> int:
        """In the account's normal direction (debit for assets and expenses)."""
        net = self.debit - self.credit
        return net if self.account.type in DEBIT_NORMAL else -net

    @property
    def name(self) -> str:
        return account_name(self.account)


def balances(start: date | None = None, end: date | None = None) -> list[Balance]:
    """Every account with its debits and credits between `start` and `end` (inclusive, None:
    open-ended), from the daily summary (one query)."""
    stmt = select(AccountDay.account_id, func.sum(AccountDay.debit), func.sum(AccountDay.credit)).group_by(
        AccountDay.account_id)
    if start is not None:
        stmt = stmt.where(AccountDay.day >= start)
    if end is not None:
        stmt = stmt.where(AccountDay.day <= end)
    sums = {a: (int(d), int(c)) for a, d, c in db.session.execute(stmt)}
    return [Balance(a, *sums.get(a.id, (0, 0))) for a in db.session.scalars(select(Account).order_by(Account.code))]


@dataclass
class TrialBalance:
    rows: list[Balance]
    debit: int
    credit: int


def trial_balance(through: date | None = None) -> TrialBalance:
    rows = [b for b in balances(None, through) if b.debit or b.credit]
    return TrialBalance(rows, sum(b.debit for b in rows), sum(b.credit for b in rows))


@dataclass
class Statement:
    sections: list[tuple[str, list[Balance], int]] = field(default_factory=list)
    result: int = 0


def profit_and_loss(start: date, end: date) -> Statement:
    rows = balances(start, end)
    revenue = [b for b in rows if b.account.type == "revenue" and (b.debit or b.credit)]
    expense = [b for b in rows if b.account.type == "expense" and (b.debit or b.credit)]
    total_revenue, total_expense = sum(b.balance for b in revenue), sum(b.balance for b in expense)
    return Statement([("revenue", revenue, total_revenue), ("expense", expense, total_expense)],
                     total_revenue - total_expense)


def balance_sheet(as_of: date) -> Statement:
    """Assets = liabilities + equity, the year's result shown as profit of the year (本年利润)."""
    rows = balances(None, as_of)
    by_type = {t: [b for b in rows if b.account.type == t and (b.debit or b.credit)] for t in
               ("asset", "liability", "equity")}
    earnings = sum(b.balance for b in rows if b.account.type == "revenue") - sum(
        b.balance for b in rows if b.account.type == "expense")
    totals = {t: sum(b.balance for b in v) for t, v in by_type.items()}
    return Statement([(t, by_type[t], totals[t]) for t in ("asset", "liability", "equity")], earnings)


# --- cost and margin ---------------------------------------------------------------------------

def inventory_valuation() -> list[SkuCost]:
    return list(db.session.scalars(select(SkuCost).where(SkuCost.quantity != 0).order_by(SkuCost.sku_id)))


def margin_by_sku(start: date, end: date) -> list[dict]:
    """Net revenue (gross minus discounts) and COGS of shipped lines per SKU, from the lines of
    6001, 6001.01 and 6401 in the range."""
    code = Account.code
    revenue = func.sum(case((code == "6001", Line.credit - Line.debit), (code == "6001.01", Line.credit - Line.debit),
                            else_=0))
    cogs = func.sum(case((code == "6401", Line.debit - Line.credit), else_=0))
    units = func.sum(case((code == "6001", case((Line.credit > 0, Line.quantity), else_=-Line.quantity)), else_=0))
    rows = db.session.execute(select(Line.sku_id, revenue, cogs, units).join(Account, Account.id == Line.account_id)
                              .where(Line.sku_id.is_not(None), code.in_(("6001", "6001.01", "6401")),
                                     Line.posted_on >= start, Line.posted_on <= end)
                              .group_by(Line.sku_id).order_by(Line.sku_id))
    return [{"sku_id": s, "revenue": int(r), "cogs": int(c), "units": int(u), "margin": int(r) - int(c)}
            for s, r, c, u in rows]


# --- receivables --------------------------------------------------------------------------------

def gateway_balances() -> dict[str, int]:
    """What each gateway owes (debits minus credits of 1122 per gateway)."""
    return {party or "": int(v) for party, v in db.session.execute(
        select(Line.party, func.sum(Line.debit - Line.credit)).join(Account, Account.id == Line.account_id)
        .where(Account.code == "1122").group_by(Line.party).order_by(Line.party))}


def gateway_days(since: date) -> dict[tuple[str, date], int]:
    """Our net per gateway and accounting day on 1122 (payments minus refunds)."""
    return {(party or "", day): int(v) for party, day, v in db.session.execute(
        select(Line.party, Line.posted_on, func.sum(Line.debit - Line.credit)).join(Account, Account.id == Line.account_id)
        .where(Account.code == "1122", Line.posted_on >= since).group_by(Line.party, Line.posted_on))}


# --- the sales dashboard -----------------------------------------------------------------------

@dataclass
class Figures:
    gmv: int = 0
    orders: int = 0
    refunds: int = 0
    new_members: int = 0

    @property
    def net_sales(self) -> int:
        return self.gmv - self.refunds

    @property
    def aov(self) -> int:
        return round(self.gmv / self.orders) if self.orders else 0


@dataclass
class Window:
    days: int
    current: Figures
    prior: Figures


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def dashboard(now: datetime | None = None) -> dict:
    """Today, 7 and 30 days (each against the same length before it) in the store's time zone,
    a 30-day chart, top products and what awaits staff. A fixed number of queries."""
    from app.blueprints.aftersales import queries as aftersales_queries
    from app.blueprints.members import queries as member_queries
    from app.blueprints.orders import queries as order_queries
    from app.blueprints.payments import queries as payment_queries

    tz_name = current_store().timezone or "Asia/Shanghai"
    tz = ZoneInfo(tz_name)
    today = (now or utcnow()).astimezone(tz).date()
    first = today - timedelta(days=59)
    start, end = _local_midnight(first, tz), _local_midnight(today + timedelta(days=1), tz)
    sales = order_queries.sales_by_day(start, end, tz_name)
    refunds = payment_queries.refunded_between(start, end, tz_name)
    members = member_queries.registered_by_day(start, end, tz_name)

    def figures(since: date, until: date) -> Figures:
        out = Figures()
        day = since
        while day <= until:
            n, gmv = sales.get(day, (0, 0))
            out.orders += n
            out.gmv += gmv
            out.refunds += refunds.get(day, 0)
            out.new_members += members.get(day, 0)
            day += timedelta(days=1)
        return out

    windows = []
    for days in (1, 7, 30):
        since = today - timedelta(days=days - 1)
        windows.append(Window(days, figures(since, today),
                              figures(since - timedelta(days=days), since - timedelta(days=1))))
    chart = [((today - timedelta(days=i)).isoformat(), sales.get(today - timedelta(days=i), (0, 0))[1])
             for i in range(29, -1, -1)]
    month_start = _local_midnight(today - timedelta(days=29), tz)
    return {"today": today, "windows": windows, "chart": chart,
            "top": order_queries.top_products(month_start, end),
            "awaiting_shipment": order_queries.awaiting_shipment(),
            "aftersales_open": aftersales_queries.open_count()}


def change(current: int, prior: int) -> int | None:
    """Percent change against the prior period (None when there was nothing before)."""
    return None if not prior else round((current - prior) * 100 / prior)


# --- gateway fees (the finledger lane) ------------------------------------------------------------

def posted_total(source_kind: str, source_id, code: str) -> int:
    """Debits minus credits on one account of every entry of one source document."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Line.debit - Line.credit), 0))
                                 .join(Entry, Entry.id == Line.entry_id).join(Account, Account.id == Line.account_id)
                                 .where(Entry.source_kind == source_kind, Entry.source_id == str(source_id),
                                        Account.code == code)))

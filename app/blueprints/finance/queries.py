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


def account_name(account: Account) -> str:
    return account.name_zh if str(get_locale() or "zh").startswith("zh") else account.name_en


def account_choices() -> list[tuple[str, str]]:
    return [(str(a.id), f"{a.code} {account_name(a)}") for a in db.session.scalars(select(Account).order_by(Account.code))]


def order_balance(order_id: int, code: str) -> int:
    """Credits minus debits on one account for one order (what is still owed on it)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Line.credit - Line.debit), 0))
                                 .join(Account, Account.id == Line.account_id)
                                 .where(Line.order_id == order_id, Account.code == code)))


def refunded_from_advances(order_id: int, code: str) -> int:
    """What refunds took back out of the order's advances on `code` (less what reversed refunds put back)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Line.debit - Line.credit), 0))
                                 .join(Account, Account.id == Line.account_id).join(Entry, Entry.id == Line.entry_id)
                                 .where(Line.order_id == order_id, Account.code == code,
                                        Entry.source_kind == "refund")))


def parcel_shortfalls(order_id: int, returns_code: str, shipping_code: str) -> tuple[int, int]:
    """What the order's parcels counted as money already back, because a refund by amount had
    taken it out of the advances before they shipped, less what failed refunds' corrections gave
    back: (as a sales return, as shipping income taken off). Those are the parcels' only order-
    level debits of the two accounts (rule "shipment"; corrections are "refund_failed_recognised")."""
    rows = db.session.execute(select(Account.code, func.coalesce(func.sum(Line.debit - Line.credit), 0))
                              .join(Account, Account.id == Line.account_id).join(Entry, Entry.id == Line.entry_id)
                              .where(Line.order_id == order_id, Line.order_line_id.is_(None),
                                     Account.code.in_((returns_code, shipping_code)),
                                     Entry.rule.in_(("shipment", "refund_failed_recognised")))
                              .group_by(Account.code)).all()
    by_code = {code: int(total) for code, total in rows}
    return max(0, by_code.get(returns_code, 0)), max(0, by_code.get(shipping_code, 0))


def recognised_quantities(order_id: int) -> dict[int, int]:
    """Units of each order line whose revenue is booked (credits of 6001 minus reversals)."""
    signed = case((Line.credit > 0, Line.quantity), else_=-Line.quantity)
    rows = db.session.execute(select(Line.order_line_id, func.sum(signed)).join(Account, Account.id == Line.account_id)
                              .where(Line.order_id == order_id, Account.code == "6001",
                                     Line.order_line_id.is_not(None)).group_by(Line.order_line_id))
    return {line_id: int(q) for line_id, q in rows if q}


def returned_on_lines(order_id: int) -> dict[int, dict[str, int]]:
    """What refunds (less the ones reversed) gave back so far on each order line:
    {order line id: {"quantity": units, account code: debits minus credits}} (one query)."""
    signed = case((Line.debit > 0, Line.quantity), else_=-Line.quantity)
    rows = db.session.execute(select(Line.order_line_id, Account.code, func.sum(Line.debit - Line.credit),
                                     func.sum(signed))
                              .join(Account, Account.id == Line.account_id).join(Entry, Entry.id == Line.entry_id)
                              .where(Line.order_id == order_id, Line.order_line_id.is_not(None),
                                     Entry.source_kind == "refund")
                              .group_by(Line.order_line_id, Account.code))
    out: dict[int, dict[str, int]] = {}
    for line_id, code, amount, units in rows:
        part = out.setdefault(line_id, {"quantity": 0})
        part[code] = int(amount or 0)
        if code == "6001.02":
            part["quantity"] = int(units or 0)
    return out


def booked_on_lines(order_id: int, codes: tuple[str, ...]) -> dict[int, dict[str, int]]:
    """What the parcel postings (less their reversals) booked on each order line on `codes`:
    {order line id: {account code: debits minus credits}} (one query)."""
    rows = db.session.execute(select(Line.order_line_id, Account.code, func.sum(Line.debit - Line.credit))
                              .join(Account, Account.id == Line.account_id).join(Entry, Entry.id == Line.entry_id)
                              .where(Line.order_id == order_id, Line.order_line_id.is_not(None),
                                     Entry.source_kind == "parcel", Account.code.in_(codes))
                              .group_by(Line.order_line_id, Account.code))
    out: dict[int, dict[str, int]] = {}
    for line_id, code, amount in rows:
        out.setdefault(line_id, {})[code] = int(amount or 0)
    return out


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


MARGIN_REVENUE = ("6001", "6001.01", "6001.02", "6001.03")    # gross, promotions, sales returns, coupons


def margin_by_sku(start: date, end: date) -> list[dict]:
    """Net revenue (gross less promotion and coupon discounts and less the sales returns of
    refunded units) and COGS per SKU, from the lines of MARGIN_REVENUE and 6401 in the range
    (points redeemed are a selling expense, not a lower price). Units are those shipped less
    those refunded. A refunded unit's cost leaves COGS only when the goods come back (the
    return's receipt, at the moving average of that day); money given back by amount, naming
    no line, is not a SKU's and stays out."""
    code = Account.code
    revenue = func.sum(case((code.in_(MARGIN_REVENUE), Line.credit - Line.debit), else_=0))
    cogs = func.sum(case((code == "6401", Line.debit - Line.credit), else_=0))
    units = func.sum(case((code.in_(("6001", "6001.02")), case((Line.credit > 0, Line.quantity),
                                                               else_=-Line.quantity)), else_=0))
    rows = db.session.execute(select(Line.sku_id, revenue, cogs, units).join(Account, Account.id == Line.account_id)
                              .where(Line.sku_id.is_not(None), code.in_((*MARGIN_REVENUE, "6401")),
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


# --- sales reports (from the order and payment centers' read sides, in the store's time zone) ----

CHANNELS = ("storefront", "api", "staff")          # Order.source: the shop pages, the shop API, staff
MAX_DAYS = 366                                     # the longest range a report by day shows


def local_window(since: date, until: date) -> tuple[datetime, datetime, str]:
    """[local midnight of `since`, local midnight after `until`) in the store's time zone."""
    tz_name = current_store().timezone or "Asia/Shanghai"
    tz = ZoneInfo(tz_name)
    return _local_midnight(since, tz), _local_midnight(until + timedelta(days=1), tz), tz_name


@dataclass
class SalesRow:
    """One row of a sales report: a day, a SKU, a category or a channel."""

    key: object
    label: str = ""
    orders: int = 0
    units: int = 0
    gmv: int = 0               # paid: the payable of orders (by day and channel) or of the lines (SKU, category)
    refunds: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def net(self) -> int:
        return self.gmv - self.refunds

    @property
    def aov(self) -> int:
        return round(self.gmv / self.orders) if self.orders else 0


def _refunds_by_day_and_channel(start: datetime, end: datetime, tz: str, channel: str | None) -> dict:
    """{(local day, channel): refunded} of refunds that succeeded in the window."""
    from app.blueprints.orders import queries as order_queries
    from app.blueprints.payments import queries as payment_queries

    rows = payment_queries.refunds_by_order(start, end, tz)
    sources = order_queries.order_sources(o for _d, o, _a in rows)
    out: dict = {}
    for day, order_id, amount in rows:
        source = sources.get(order_id, "")
        if channel is None or source == channel:
            out[(day, source)] = out.get((day, source), 0) + amount
    return out


def sales_by_day(since: date, until: date, channel: str | None = None) -> list[SalesRow]:
    """Every local day of [since, until]: orders paid, GMV, refunds that succeeded that day and
    net sales, for all channels or one (three queries)."""
    from app.blueprints.orders import queries as order_queries

    start, end, tz = local_window(since, until)
    sales = order_queries.sales_by_day(start, end, tz, source=channel)
    refunds: dict = {}
    for (day, _source), amount in _refunds_by_day_and_channel(start, end, tz, channel).items():
        refunds[day] = refunds.get(day, 0) + amount
    rows, day = [], since
    while day <= until:
        n, gmv = sales.get(day, (0, 0))
        rows.append(SalesRow(day, day.isoformat(), orders=n, gmv=gmv, refunds=refunds.get(day, 0)))
        day += timedelta(days=1)
    return rows


def sales_by_channel(since: date, until: date) -> list[SalesRow]:
    """Orders paid, GMV and refunds per channel (`Order.source`) in [since, until] (three queries)."""
    from app.blueprints.orders import queries as order_queries

    start, end, tz = local_window(since, until)
    sales = order_queries.sales_by_source(start, end)
    refunds: dict = {}
    for (_day, source), amount in _refunds_by_day_and_channel(start, end, tz, None).items():
        refunds[source] = refunds.get(source, 0) + amount
    return [SalesRow(source, source, orders=sales.get(source, (0, 0))[0], gmv=sales.get(source, (0, 0))[1],
                     refunds=refunds.get(source, 0))
            for source in [*CHANNELS, *sorted(set(sales) - set(CHANNELS))] if source in sales or source in refunds]


def category_names() -> dict[int, str]:
    from app.blueprints.catalog import queries as catalog_queries

    return {i: name.strip("　 ") for i, name in catalog_queries.category_choices()}


def sales_by_sku(since: date, until: date, channel: str | None = None,
                 category_id: int | None = None) -> list[SalesRow]:
    """Orders, units and paid amount per SKU in [since, until], best first, for one channel or
    all and one category or all (three queries)."""
    from app.blueprints.catalog import queries as catalog_queries
    from app.blueprints.orders import queries as order_queries

    start, end, _tz = local_window(since, until)
    sold = order_queries.sales_by_sku(start, end, source=channel)
    skus = catalog_queries.sku_snapshots(s.sku_id for s in sold)
    names = category_names()
    rows = []
    for s in sold:
        snap = skus.get(s.sku_id)
        category = snap.category_id if snap else None
        if category_id is not None and category != category_id:
            continue
        rows.append(SalesRow(s.sku_id, s.sku_code, orders=s.orders, units=s.units, gmv=s.amount,
                             extra={"title": s.title, "category_id": category, "category": names.get(category, "")}))
    return rows


def sales_by_category(since: date, until: date, channel: str | None = None) -> list[SalesRow]:
    """`sales_by_sku` summed per product category (a SKU without one counts as uncategorised);
    an order with SKUs of two categories counts in both."""
    groups: dict = {}
    for r in sales_by_sku(since, until, channel):
        key = r.extra["category_id"]
        g = groups.setdefault(key, SalesRow(key, r.extra["category"]))
        g.orders += r.orders
        g.units += r.units
        g.gmv += r.gmv
    return sorted(groups.values(), key=lambda g: (-g.gmv, g.label))


@dataclass
class RefundRate:
    sku_id: int
    sku_code: str
    title: str
    sold: int = 0              # units of orders paid in the range
    sales: int = 0
    refunded_units: int = 0    # units of refunds that succeeded in the range
    refunded: int = 0

    @property
    def rate(self) -> int | None:
        """Refunded units per 100 sold, rounded (None: none sold in the range)."""
        return round(self.refunded_units * 100 / self.sold) if self.sold else None


def refund_rate_by_sku(since: date, until: date, channel: str | None = None) -> tuple[list[RefundRate], int]:
    """Per SKU: units sold (orders paid in the range) against units refunded (refunds that
    succeeded in the range, by the order lines they name), highest rate first; and the amount
    refunded in the range by amount alone, which names no SKU (five queries)."""
    from app.blueprints.orders import queries as order_queries
    from app.blueprints.payments import queries as payment_queries

    start, end, _tz = local_window(since, until)
    rows: dict[int, RefundRate] = {}
    for s in order_queries.sales_by_sku(start, end, source=channel):
        rows[s.sku_id] = RefundRate(s.sku_id, s.sku_code, s.title, sold=s.units, sales=s.amount)
    by_line, unattributed = payment_queries.refunded_lines(start, end)
    lines = order_queries.line_skus(by_line)
    sources = order_queries.order_sources(order_id for *_x, order_id in lines.values()) if channel else {}
    for line_id, (units, amount) in by_line.items():
        if line_id not in lines:
            continue
        sku_id, code, title, order_id = lines[line_id]
        if channel and sources.get(order_id) != channel:
            continue
        r = rows.setdefault(sku_id, RefundRate(sku_id, code, title))
        r.refunded_units += units
        r.refunded += amount
    ranked = sorted(rows.values(), key=lambda r: (r.rate is None, -(r.rate or 0), -r.refunded, r.sku_code))
    return ranked, unattributed


# --- ageing: what gateways owe us and what we owe suppliers, by age ---------------------------

AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


def _bucket(days: int) -> int:
    for i, (low, high) in enumerate(AGE_BUCKETS):
        if days >= low and (high is None or days <= high):
            return i
    return 0


@dataclass
class AgeingRow:
    party: str
    label: str
    buckets: list[int] = field(default_factory=lambda: [0] * (len(AGE_BUCKETS) + 1))

    @property
    def total(self) -> int:
        return sum(self.buckets)


def receivables_ageing(as_of: date) -> list[AgeingRow]:
    """What each gateway owes on 应收账款—支付渠道 at the end of `as_of`, by the age of the
    payments still unsettled: first in, first out (refunds and settlements pay off the oldest
    payments first). Bucket 0 of `buckets` is unused for receivables; 1–4 follow AGE_BUCKETS
    (one query)."""
    from app.blueprints.payments.gateways import gateway_label

    rows = db.session.execute(
        select(Line.party, Line.posted_on, func.sum(Line.debit), func.sum(Line.credit))
        .join(Account, Account.id == Line.account_id)
        .where(Account.code == "1122", Line.posted_on <= as_of)
        .group_by(Line.party, Line.posted_on).order_by(Line.party, Line.posted_on))
    days: dict[str, list[tuple[date, int]]] = {}
    credits: dict[str, int] = {}
    for party, day, debit, credit in rows:
        party = party or ""
        days.setdefault(party, []).append((day, int(debit)))
        credits[party] = credits.get(party, 0) + int(credit)
    out = []
    for party, owed in days.items():
        row = AgeingRow(party, gateway_label(party) if party else "")
        row.buckets[1:] = age_first_in_first_out(owed, credits[party], as_of)
        if any(row.buckets):
            out.append(row)
    return out


def age_first_in_first_out(debits: list[tuple[date, int]], paid: int, as_of: date) -> list[int]:
    """What is still owed of `debits` (day, amount), oldest first, once `paid` has paid off the
    oldest ones, per AGE_BUCKETS of days before `as_of`. More paid than owed is a credit balance:
    a negative amount in the first bucket. The buckets always sum to the debits less `paid`."""
    buckets = [0] * len(AGE_BUCKETS)
    for day, debit in sorted(debits):
        settled = min(paid, debit)
        paid -= settled
        if debit - settled:
            buckets[_bucket((as_of - day).days)] += debit - settled
    buckets[0] -= paid
    return buckets


def payables_ageing(as_of: date) -> list[AgeingRow]:
    """What the store owed each supplier at the end of `as_of` on invoices matched by then, less
    the payments dated up to then, by how long past the due date on `as_of`: bucket 0 is not yet
    due (or no terms), 1–4 are days overdue as in AGE_BUCKETS (the first bucket from 1 day) (one
    query, through the purchasing center's read side)."""
    from app.blueprints.purchasing import queries as purchasing_queries

    out: dict[int, AgeingRow] = {}
    for p in purchasing_queries.open_payables(as_of):
        row = out.setdefault(p.supplier_id, AgeingRow(f"supplier:{p.supplier_id}", p.supplier))
        late = (as_of - p.due_on).days if p.due_on else 0
        row.buckets[0 if late <= 0 else 1 + _bucket(late)] += p.outstanding
    return list(out.values())


# --- profit by month (the P&L chart) -----------------------------------------------------------

def result_by_month(until: date, months: int = 12) -> list[tuple[str, int, int]]:
    """(YYYY-MM, revenue, expenses) of the `months` months ending with `until`'s month, from the
    daily summary (one query)."""
    first = until.replace(day=1)
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    month = func.to_char(AccountDay.day, "YYYY-MM")
    rows = db.session.execute(
        select(month, Account.type, func.sum(AccountDay.credit - AccountDay.debit))
        .join(Account, Account.id == AccountDay.account_id)
        .where(AccountDay.day >= first, AccountDay.day <= until, Account.type.in_(("revenue", "expense")))
        .group_by(month, Account.type))
    sums = {(m, t): int(v) for m, t, v in rows}
    out, day = [], first
    while day <= until:
        key = day.strftime("%Y-%m")
        out.append((key, sums.get((key, "revenue"), 0), -sums.get((key, "expense"), 0)))
        day = (day + timedelta(days=32)).replace(day=1)
    return out

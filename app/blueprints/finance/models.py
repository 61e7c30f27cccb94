"""Finance tables (财务): the chart of accounts, the journal (entries and their lines), the
per-account daily summary the reports read, moving-average cost per SKU and the period close.

The database itself holds the ledger's rules, whatever code writes to it:
- an entry's lines balance (debits = credits, at least two lines): a deferred constraint
  trigger checks each entry at commit;
- posted entries and lines never change and are never deleted (corrections are reversing
  entries): a trigger refuses UPDATE and DELETE;
- nothing is posted on or before the closed-through date;
- `fin_account_days` is kept by a trigger on every line, so reports never scan the lines.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (DDL, BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer,
                        String, UniqueConstraint, event)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import tenant_args, utcnow
from app.extensions import db

ACCOUNT_TYPES = ("asset", "liability", "equity", "revenue", "expense")
DEBIT_NORMAL = ("asset", "expense")

# The preset chart for a Chinese small merchant (小企业会计准则 codes): code, 中文, English, type.
PRESET_ACCOUNTS = (
    ("1002", "银行存款", "Bank deposits", "asset"),
    ("1122", "应收账款—支付渠道", "Receivables from payment gateways", "asset"),
    ("1405", "库存商品", "Merchandise inventory", "asset"),
    ("1901", "待处理财产损溢", "Inventory gains and losses pending", "asset"),
    ("2202", "应付账款", "Accounts payable", "liability"),
    ("2202.01", "应付账款—暂估", "Goods received, not yet invoiced", "liability"),
    ("2203", "预收账款—订单", "Advances on paid orders not yet shipped", "liability"),
    ("2203.01", "预收账款—储值卡", "Stored-value card balances", "liability"),
    ("2221", "应交税费—增值税", "VAT payable", "liability"),
    ("2221.01", "应交税费—进项税额", "Input VAT", "liability"),
    ("2241", "其他应付款—代收税费", "Taxes collected for customs", "liability"),
    ("3001", "实收资本", "Paid-in capital", "equity"),
    ("3103", "本年利润", "Profit of the year", "equity"),
    ("6001", "主营业务收入", "Sales revenue", "revenue"),
    ("6001.01", "销售折扣", "Sales discounts (promotions)", "revenue"),
    ("6001.02", "销售退回", "Sales returns and refunds", "revenue"),
    ("6001.03", "销售折扣—优惠券", "Sales discounts: coupons", "revenue"),
    ("6051", "其他业务收入—运费", "Shipping income", "revenue"),
    ("6301", "营业外收入", "Other gains", "revenue"),
    ("6401", "主营业务成本", "Cost of goods sold", "expense"),
    ("6401.01", "主营业务成本—采购价差", "Cost of goods sold: purchase price variance", "expense"),
    ("6601", "销售费用—支付手续费", "Selling expenses: payment fees", "expense"),
    ("6601.01", "销售费用—积分抵现", "Selling expenses: points redeemed", "expense"),
    ("6711", "营业外支出", "Other losses", "expense"),
)


def preset_rows() -> list[dict]:
    return [{"code": c, "name_zh": zh, "name_en": en, "type": t, "active": True, "preset": True}
            for c, zh, en, t in PRESET_ACCOUNTS]


class Account(db.Model):
    __tablename__ = "fin_accounts"
    __table_args__ = tenant_args(CheckConstraint(f"type IN {ACCOUNT_TYPES}", name="type"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    preset: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def debit_normal(self) -> bool:
        return self.type in DEBIT_NORMAL


@event.listens_for(Account.__table__, "after_create")
def _seed_accounts(table, connection, **kw) -> None:
    """A new store schema (created from the models) starts with the preset chart."""
    connection.execute(table.insert(), preset_rows())


class Entry(db.Model):
    """A journal entry: posted once per (event, rule), never changed; `reverses_id` names the
    entry a reversing entry cancels (at most one reversal each)."""

    __tablename__ = "fin_entries"
    __table_args__ = tenant_args(UniqueConstraint("event_id", "rule"),
                                 Index("ix_fin_entries_source", "source_kind", "source_id"),
                                 Index("ix_fin_entries_posted_on", "posted_on"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    posted_on: Mapped[date] = mapped_column(Date)                 # the accounting day (store time zone)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source_kind: Mapped[str] = mapped_column(String(20))          # payment, refund, parcel, inbound, ...
    source_id: Mapped[str] = mapped_column(String(40))
    source_number: Mapped[str] = mapped_column(String(64), default="")
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(40))
    memo: Mapped[str] = mapped_column(String(300), default="")
    currency: Mapped[str] = mapped_column(String(3))
    actor_name: Mapped[str | None] = mapped_column(String(254))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.fin_entries.id"), unique=True)

    lines: Mapped[list["Line"]] = relationship(back_populates="entry", order_by="Line.id")

    @property
    def number(self) -> str:
        return f"J{self.id:08d}"


class Line(db.Model):
    __tablename__ = "fin_lines"
    __table_args__ = tenant_args(
        CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0) <> (credit = 0)", name="one_side"),
        Index("ix_fin_lines_account_day", "account_id", "posted_on"),
        Index("ix_fin_lines_order", "order_id"),
        Index("ix_fin_lines_order_line", "order_line_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("tenant.fin_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("tenant.fin_accounts.id"))
    posted_on: Mapped[date] = mapped_column(Date)
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    party: Mapped[str | None] = mapped_column(String(40))          # a gateway code, "supplier:<id>"
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    order_line_id: Mapped[int | None] = mapped_column(BigInteger)
    sku_id: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int | None] = mapped_column(Integer)

    entry: Mapped[Entry] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship()


class AccountDay(db.Model):
    """Debits and credits per account and accounting day (kept by a trigger on fin_lines)."""

    __tablename__ = "fin_account_days"
    __table_args__ = tenant_args(Index("ix_fin_account_days_day", "day"))

    account_id: Mapped[int] = mapped_column(ForeignKey("tenant.fin_accounts.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)


class SkuCost(db.Model):
    """Moving-average cost of a SKU: the units finance has valued and their total value
    (average = value / quantity). Inventory's ledger account equals the sum of `value`."""

    __tablename__ = "fin_sku_costs"
    __table_args__ = tenant_args()

    sku_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    last_unit_cost: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CostMove(db.Model):
    """Each change to a SKU's valued quantity and value, once per (event, rule, reference): a
    redelivered receipt or shipment never moves the average twice, even when it posts nothing
    (units at zero cost)."""

    __tablename__ = "fin_cost_moves"
    __table_args__ = tenant_args(UniqueConstraint("event_id", "rule", "reference"),
                                 Index("ix_fin_cost_moves_sku", "sku_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sku_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)          # + in, - out
    value: Mapped[int] = mapped_column(BigInteger)          # + in, - out
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Period(db.Model):
    """One row: entries on or before `closed_through` are locked."""

    __tablename__ = "fin_periods"
    __table_args__ = tenant_args(CheckConstraint("id = 1", name="one_row"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    closed_through: Mapped[date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(254))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- the rules the database holds -------------------------------------------------------------
# `{s}` is the store's schema. The functions find their tables through TG_TABLE_SCHEMA, so they
# work whatever the connection's search_path (the app names schemas in each statement).

LEDGER_DDL = (
    """CREATE FUNCTION {s}.fin_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry bigint;
  d bigint;
  c bigint;
  n integer;
BEGIN
  IF TG_TABLE_NAME = 'fin_entries' THEN entry := NEW.id; ELSE entry := NEW.entry_id; END IF;
  EXECUTE format('SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*) FROM %I.fin_lines '
                 'WHERE entry_id = $1', TG_TABLE_SCHEMA) INTO d, c, n USING entry;
  IF n < 2 OR d <> c THEN
    RAISE EXCEPTION 'journal entry % does not balance: debit %, credit %, % lines', entry, d, c, n
      USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$""",
    """CREATE CONSTRAINT TRIGGER fin_lines_balanced AFTER INSERT ON {s}.fin_lines
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {s}.fin_entry_balanced()""",
    """CREATE CONSTRAINT TRIGGER fin_entries_balanced AFTER INSERT ON {s}.fin_entries
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {s}.fin_entry_balanced()""",
    """CREATE FUNCTION {s}.fin_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'posted journal entries are never changed or deleted: post a reversing entry'
    USING ERRCODE = '55000';
END $$""",
    """CREATE TRIGGER fin_entries_immutable BEFORE UPDATE OR DELETE ON {s}.fin_entries
FOR EACH ROW EXECUTE FUNCTION {s}.fin_immutable()""",
    """CREATE TRIGGER fin_lines_immutable BEFORE UPDATE OR DELETE ON {s}.fin_lines
FOR EACH ROW EXECUTE FUNCTION {s}.fin_immutable()""",
    """CREATE FUNCTION {s}.fin_open_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  closed date;
BEGIN
  EXECUTE format('SELECT closed_through FROM %I.fin_periods WHERE id = 1', TG_TABLE_SCHEMA) INTO closed;
  IF closed IS NOT NULL AND NEW.posted_on <= closed THEN
    RAISE EXCEPTION 'the books are closed through %: post in the open period', closed USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE TRIGGER fin_entries_open_period BEFORE INSERT ON {s}.fin_entries
FOR EACH ROW EXECUTE FUNCTION {s}.fin_open_period()""",
    """CREATE FUNCTION {s}.fin_add_to_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO %I.fin_account_days AS d (account_id, day, debit, credit) VALUES ($1, $2, $3, $4) '
                 'ON CONFLICT (account_id, day) DO UPDATE SET debit = d.debit + EXCLUDED.debit, '
                 'credit = d.credit + EXCLUDED.credit', TG_TABLE_SCHEMA)
    USING NEW.account_id, NEW.posted_on, NEW.debit, NEW.credit;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER fin_lines_add_to_day AFTER INSERT ON {s}.fin_lines
FOR EACH ROW EXECUTE FUNCTION {s}.fin_add_to_day()""",
)


# A new store schema (created from the models, as one compiled script) gets the same triggers:
# DDL elements, so that the schema is the store's wherever the script runs.
for _statement in LEDGER_DDL:
    event.listen(Line.__table__, "after_create", DDL(_statement.replace("%", "%%").replace("{s}", "%(schema)s")))

"""Finance, second step: the gateway's fees on each reconciled day (the payment center keeps them
with the run), and three preset accounts: coupon discounts, points redeemed and the purchase
price variance. 6001.01 keeps promotions only (its English name says so, where the store has not
renamed it).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-02T06:50:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

# the accounts as they were when this revision was written
NEW_ACCOUNTS = (
    ("6001.03", "销售折扣—优惠券", "Sales discounts: coupons", "revenue"),
    ("6401.01", "主营业务成本—采购价差", "Cost of goods sold: purchase price variance", "expense"),
    ("6601.01", "销售费用—积分抵现", "Selling expenses: points redeemed", "expense"),
)


def upgrade():
    op.add_column('reconciliation_runs', sa.Column('fee_total', sa.BigInteger(), server_default='0', nullable=False))
    for code, zh, en, type_ in NEW_ACCOUNTS:
        op.execute(sa.text("INSERT INTO fin_accounts (code, name_zh, name_en, type, active, preset) "
                           "VALUES (:code, :zh, :en, :type, true, true) ON CONFLICT (code) DO NOTHING")
                   .bindparams(code=code, zh=zh, en=en, type=type_))
    op.execute("UPDATE fin_accounts SET name_en = 'Sales discounts (promotions)' "
               "WHERE code = '6001.01' AND name_en = 'Sales discounts (promotions, coupons, points)'")


def downgrade():
    op.execute("DELETE FROM fin_accounts WHERE code IN ('6001.03', '6401.01', '6601.01') AND preset "
               "AND NOT EXISTS (SELECT 1 FROM fin_lines l WHERE l.account_id = fin_accounts.id)")
    op.execute("UPDATE fin_accounts SET name_en = 'Sales discounts (promotions, coupons, points)' "
               "WHERE code = '6001.01' AND name_en = 'Sales discounts (promotions)'")
    op.drop_column('reconciliation_runs', 'fee_total')

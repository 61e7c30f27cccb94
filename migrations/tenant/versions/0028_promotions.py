"""Promotions (促销中心): promotions with targets, stacking and budgets, their uses, each
order's pricing explanation, coupon templates, holdings and issued coupons.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01T23:00:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

NOW = sa.text('now()')


def upgrade():
    op.create_table(
        'promotions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('target_type', sa.String(length=12), nullable=False),
        sa.Column('target_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('exclude_product_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('level_codes', postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column('segment_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('stack_group', sa.String(length=40), nullable=False),
        sa.Column('exclusive', sa.Boolean(), nullable=False),
        sa.Column('allow_below_cost', sa.Boolean(), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('budget_total', sa.BigInteger(), nullable=True),
        sa.Column('budget_used', sa.BigInteger(), nullable=False),
        sa.Column('uses_limit', sa.Integer(), nullable=True),
        sa.Column('uses_count', sa.Integer(), nullable=False),
        sa.Column('per_member_limit', sa.Integer(), nullable=True),
        sa.Column('gmv', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("kind IN ('item_discount', 'amount_off', 'percent_off', 'nth_discount', 'gift', "
                           "'free_shipping')", name=op.f('ck_promotions_kind')),
        sa.CheckConstraint("status IN ('draft', 'active', 'paused', 'ended')", name=op.f('ck_promotions_status')),
        sa.CheckConstraint("target_type IN ('all', 'categories', 'brands', 'products')",
                           name=op.f('ck_promotions_target_type')),
        sa.CheckConstraint('budget_total IS NULL OR budget_used <= budget_total', name=op.f('ck_promotions_budget')),
        sa.CheckConstraint('uses_limit IS NULL OR uses_count <= uses_limit', name=op.f('ck_promotions_uses')),
        sa.CheckConstraint('budget_used >= 0 AND uses_count >= 0 AND gmv >= 0', name=op.f('ck_promotions_figures')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions')),
    )
    op.create_index('ix_promotions_status_window', 'promotions', ['status', 'starts_at', 'ends_at'])
    op.create_table(
        'promotion_uses',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('promotion_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('goods', sa.BigInteger(), nullable=False),
        sa.Column('released', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_uses')),
        sa.UniqueConstraint('promotion_id', 'order_id', name=op.f('uq_promotion_uses_promotion_id')),
    )
    op.create_index('ix_promotion_uses_member', 'promotion_uses', ['promotion_id', 'member_id'])
    op.create_index('ix_tenant_promotion_uses_order_id', 'promotion_uses', ['order_id'])
    op.create_table(
        'order_pricings',
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('explanation', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_pricings')),
    )
    op.create_table(
        'coupon_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('percent', sa.Integer(), nullable=False),
        sa.Column('max_discount', sa.BigInteger(), nullable=True),
        sa.Column('threshold', sa.BigInteger(), nullable=False),
        sa.Column('target_type', sa.String(length=12), nullable=False),
        sa.Column('target_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('exclude_product_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('combinable', sa.Boolean(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('issued', sa.Integer(), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.Column('per_member_limit', sa.Integer(), nullable=False),
        sa.Column('claimable', sa.Boolean(), nullable=False),
        sa.Column('claim_starts_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claim_ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('valid_days', sa.Integer(), nullable=True),
        sa.Column('discount_given', sa.BigInteger(), nullable=False),
        sa.Column('gmv', sa.BigInteger(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("kind IN ('amount_off', 'percent_off', 'free_shipping')",
                           name=op.f('ck_coupon_templates_kind')),
        sa.CheckConstraint('issued <= quantity AND issued >= 0', name=op.f('ck_coupon_templates_issued')),
        sa.CheckConstraint('per_member_limit >= 1', name=op.f('ck_coupon_templates_per_member')),
        sa.CheckConstraint('valid_days IS NOT NULL OR valid_until IS NOT NULL',
                           name=op.f('ck_coupon_templates_validity')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_templates')),
    )
    op.create_table(
        'coupon_holdings',
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('claimed', sa.Integer(), nullable=False),
        sa.CheckConstraint('claimed >= 0', name=op.f('ck_coupon_holdings_claimed')),
        sa.PrimaryKeyConstraint('template_id', 'member_id', name=op.f('pk_coupon_holdings')),
    )
    op.create_table(
        'coupons',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=24), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('order_id', sa.BigInteger(), nullable=True),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("status IN ('unused', 'locked', 'used', 'expired', 'void')", name=op.f('ck_coupons_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
    )
    op.create_index('uq_coupons_code', 'coupons', ['code'], unique=True)
    op.create_index('ix_coupons_member_status', 'coupons', ['member_id', 'status'])
    op.create_index('ix_tenant_coupons_template_id', 'coupons', ['template_id'])


def downgrade():
    for table in ('coupons', 'coupon_holdings', 'coupon_templates', 'order_pricings', 'promotion_uses', 'promotions'):
        op.drop_table(table)

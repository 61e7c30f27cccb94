"""Flash sales (秒杀): sessions, their items (flash price, pool, limit per shopper) and the
claims that became orders.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02T00:00:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'flash_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('payment_minutes', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'armed', 'ended')", name=op.f('ck_flash_sessions_status')),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_flash_sessions_window')),
        sa.CheckConstraint('payment_minutes BETWEEN 1 AND 120', name=op.f('ck_flash_sessions_payment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_flash_sessions')),
    )
    op.create_table(
        'flash_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('flash_price', sa.BigInteger(), nullable=False),
        sa.Column('pool', sa.Integer(), nullable=False),
        sa.Column('per_member_limit', sa.Integer(), nullable=False),
        sa.Column('sold', sa.Integer(), nullable=False),
        sa.CheckConstraint('pool > 0 AND flash_price >= 0 AND per_member_limit >= 1', name=op.f('ck_flash_items_values')),
        sa.CheckConstraint('sold >= 0 AND sold <= pool', name=op.f('ck_flash_items_sold')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_flash_items')),
        sa.UniqueConstraint('session_id', 'sku_id', name=op.f('uq_flash_items_session_id')),
    )
    op.create_table(
        'flash_claims',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('returned', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_flash_claims')),
    )
    op.create_index('ix_flash_claims_order', 'flash_claims', ['order_id'], unique=True)
    op.create_index('ix_tenant_flash_claims_item_id', 'flash_claims', ['item_id'])


def downgrade():
    for table in ('flash_claims', 'flash_items', 'flash_sessions'):
        op.drop_table(table)

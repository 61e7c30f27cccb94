"""Idempotency keys are scoped to the shopper: unique per (shopper, key) instead of per store.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01T17:05:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint('uq_orders_idempotency_key', 'orders', type_='unique')
    op.create_index('uq_orders_shopper_idempotency_key', 'orders',
                    [sa.text('COALESCE(shopper_id, 0)'), sa.text('idempotency_key')], unique=True)


def downgrade():
    op.drop_index('uq_orders_shopper_idempotency_key', table_name='orders')
    op.create_unique_constraint('uq_orders_idempotency_key', 'orders', ['idempotency_key'])

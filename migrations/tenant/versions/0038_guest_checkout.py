"""Guest checkout: a store may let shoppers buy without an account (the order is found again
by its number and the phone given).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-02T02:45:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('order_settings', sa.Column('guest_checkout', sa.Boolean(), server_default='false', nullable=False))


def downgrade():
    op.drop_column('order_settings', 'guest_checkout')

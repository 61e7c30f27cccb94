"""Group buys: a failed group's place due a refund by hand keeps the amount still owed to the
shopper (what its payment can still be refunded, or what it paid offline), shown to staff.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-02T08:10:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0042'
down_revision = '0041'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('group_members', sa.Column('refund_amount', sa.BigInteger(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('group_members', 'refund_amount')

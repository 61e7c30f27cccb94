"""Order lines count the units that will not ship (refunded before shipment): dispatch leaves
them off the delivery notices and the order is shipped once the rest has left.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-02T02:30:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('order_lines', sa.Column('cancelled_quantity', sa.Integer(), nullable=False, server_default='0'))
    op.alter_column('order_lines', 'cancelled_quantity', server_default=None)
    op.create_check_constraint(op.f('ck_order_lines_cancelled'), 'order_lines',
                               'cancelled_quantity >= 0 AND shipped_quantity + cancelled_quantity <= quantity')


def downgrade():
    op.drop_constraint(op.f('ck_order_lines_cancelled'), 'order_lines', type_='check')
    op.drop_column('order_lines', 'cancelled_quantity')

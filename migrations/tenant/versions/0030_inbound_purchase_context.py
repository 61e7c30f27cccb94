"""Purchase inbound orders remember what they receive: the purchase order and supplier (by id)
and each line's unit cost (the PO price), so completing one from the warehouse pages tells
purchasing and finance what arrived at what cost (the ``inbound.completed`` event).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02T02:10:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('stock_documents', sa.Column('purchase_order_id', sa.Integer(), nullable=True))
    op.add_column('stock_documents', sa.Column('supplier_id', sa.Integer(), nullable=True))
    op.add_column('stock_document_lines', sa.Column('unit_cost', sa.BigInteger(), nullable=True))


def downgrade():
    op.drop_column('stock_document_lines', 'unit_cost')
    op.drop_column('stock_documents', 'supplier_id')
    op.drop_column('stock_documents', 'purchase_order_id')

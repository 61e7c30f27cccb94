"""Cross-border sales: customs data per SKU (HS code, origin, declared value, tax rates), the
store's customs registration, one customs declaration per cross-border order (payer, tax
assessed at checkout), and the order's tax in its payable.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01T23:10:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('skus', sa.Column('hs_code', sa.String(length=10), server_default='', nullable=False))
    op.add_column('skus', sa.Column('origin_country', sa.String(length=3), server_default='', nullable=False))
    op.add_column('skus', sa.Column('declared_value', sa.BigInteger(), nullable=True))
    op.add_column('skus', sa.Column('consumption_tax_bp', sa.Integer(), server_default='0', nullable=False))
    op.add_column('skus', sa.Column('duty_bp', sa.Integer(), server_default='0', nullable=False))
    op.add_column('orders', sa.Column('tax_total', sa.BigInteger(), server_default='0', nullable=False))
    op.create_check_constraint(op.f('ck_orders_tax_total'), 'orders', 'tax_total >= 0')
    for table, column in (('skus', 'hs_code'), ('skus', 'origin_country'), ('skus', 'consumption_tax_bp'),
                          ('skus', 'duty_bp'), ('orders', 'tax_total')):
        op.alter_column(table, column, server_default=None)   # the defaults filled the existing rows
    op.create_table(
        'crossborder_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        *[sa.Column(name, sa.String(length=size), nullable=False) for name, size in (
            ('ebp_code', 18), ('ebp_name', 100), ('ebc_code', 18), ('ebc_name', 100), ('pay_code', 18),
            ('pay_name', 100), ('logistics_code', 18), ('logistics_name', 100), ('dxp_id', 30))],
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crossborder_settings')),
    )
    op.create_table(
        'customs_declarations',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('order_number', sa.String(length=24), nullable=False),
        sa.Column('payer_name', sa.String(length=60), nullable=False),
        sa.Column('payer_id_sealed', sa.Text(), nullable=False),
        sa.Column('payer_id_masked', sa.String(length=24), nullable=False),
        sa.Column('payer_key', sa.String(length=64), nullable=False),
        sa.Column('payer_phone', sa.String(length=30), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('regime', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('dutiable', sa.BigInteger(), nullable=False),
        sa.Column('year_before', sa.BigInteger(), nullable=False),
        sa.Column('duty', sa.BigInteger(), nullable=False),
        sa.Column('consumption_tax', sa.BigInteger(), nullable=False),
        sa.Column('vat', sa.BigInteger(), nullable=False),
        sa.Column('tax_total', sa.BigInteger(), nullable=False),
        sa.Column('lines', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('void', sa.Boolean(), nullable=False),
        sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("regime IN ('cross_border', 'general_trade')", name=op.f('ck_customs_declarations_regime')),
        sa.CheckConstraint("dutiable >= 0 AND duty >= 0 AND consumption_tax >= 0 AND vat >= 0 AND tax_total >= 0",
                           name=op.f('ck_customs_declarations_amounts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customs_declarations')),
        sa.UniqueConstraint('order_id', name=op.f('uq_customs_declarations_order_id')),
    )
    op.create_index('ix_tenant_customs_declarations_order_number', 'customs_declarations', ['order_number'])
    op.create_index('ix_customs_declarations_payer_year', 'customs_declarations', ['payer_key', 'year'])


def downgrade():
    op.drop_table('customs_declarations')
    op.drop_table('crossborder_settings')
    op.drop_constraint('ck_orders_tax_total', 'orders', type_='check')
    op.drop_column('orders', 'tax_total')
    for name in ('duty_bp', 'consumption_tax_bp', 'declared_value', 'origin_country', 'hs_code'):
        op.drop_column('skus', name)

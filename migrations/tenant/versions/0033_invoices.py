"""Invoices for shoppers (发票): one invoice request per order and the invoice issued for it;
the built-in roles of existing stores get the invoice permissions, as new stores do.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-02T03:20:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invoice_requests',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('order_number', sa.String(length=24), nullable=False),
        sa.Column('shopper_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('tax_number', sa.String(length=20), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('invoice_number', sa.String(length=40), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=True),
        sa.Column('file_key', sa.String(length=200), nullable=False),
        sa.Column('provider', sa.String(length=40), nullable=False),
        sa.Column('issued_by', sa.String(length=254), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("kind IN ('personal', 'company')", name=op.f('ck_invoice_requests_kind')),
        sa.CheckConstraint("status IN ('requested', 'issued')", name=op.f('ck_invoice_requests_status')),
        sa.CheckConstraint("kind = 'personal' OR tax_number <> ''", name=op.f('ck_invoice_requests_company_tax_number')),
        sa.CheckConstraint("status = 'requested' OR (invoice_number <> '' AND issued_on IS NOT NULL AND file_key <> '')",
                           name=op.f('ck_invoice_requests_issued')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_requests')),
        sa.UniqueConstraint('order_id', name=op.f('uq_invoice_requests_order_id')),
    )
    op.create_index(op.f('ix_tenant_invoice_requests_order_number'), 'invoice_requests', ['order_number'], unique=False)
    op.create_index(op.f('ix_tenant_invoice_requests_shopper_id'), 'invoice_requests', ['shopper_id'], unique=False)
    for role, permissions in (('operations', ('invoices.view',)), ('customer_service', ('invoices.view',)),
                              ('finance', ('invoices.view', 'invoices.issue'))):
        for permission in permissions:
            op.execute(f"UPDATE roles SET permissions = array_append(permissions, '{permission}') "
                       f"WHERE builtin = '{role}' AND NOT ('{permission}' = ANY(permissions))")


def downgrade():
    for permission in ('invoices.view', 'invoices.issue'):
        op.execute(f"UPDATE roles SET permissions = array_remove(permissions, '{permission}')")
    op.drop_index(op.f('ix_tenant_invoice_requests_shopper_id'), table_name='invoice_requests')
    op.drop_index(op.f('ix_tenant_invoice_requests_order_number'), table_name='invoice_requests')
    op.drop_table('invoice_requests')

"""Payables to suppliers: the three-way match of a supplier invoice against its purchase order
and the receipts (price and quantity tolerances set per store), the due date from the
supplier's payment terms, and the payments staff record with what each pays.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-02T02:30:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('purchasing_settings', sa.Column('price_tolerance_pct', sa.Integer(), server_default='2', nullable=False))
    op.add_column('purchasing_settings', sa.Column('quantity_tolerance_pct', sa.Integer(), server_default='0',
                                                   nullable=False))
    op.create_check_constraint(op.f('ck_purchasing_settings_match_ranges'), 'purchasing_settings',
                               'price_tolerance_pct BETWEEN 0 AND 100 AND quantity_tolerance_pct BETWEEN 0 AND 100')
    op.add_column('suppliers', sa.Column('payment_terms_days', sa.Integer(), server_default='30', nullable=False))
    op.add_column('supplier_invoices', sa.Column('match_status', sa.String(length=16), server_default='pending',
                                                 nullable=False))
    op.add_column('supplier_invoices', sa.Column('match_findings', postgresql.JSONB(astext_type=sa.Text()),
                                                 server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column('supplier_invoices', sa.Column('match_note', sa.String(length=300), server_default='', nullable=False))
    op.add_column('supplier_invoices', sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('supplier_invoices', sa.Column('due_on', sa.Date(), nullable=True))
    op.add_column('supplier_invoices', sa.Column('paid_amount', sa.BigInteger(), server_default='0', nullable=False))
    op.execute("UPDATE supplier_invoices SET paid_amount = total WHERE status = 'paid'")
    op.drop_constraint('ck_supplier_invoices_status', 'supplier_invoices', type_='check')
    op.create_check_constraint(op.f('ck_supplier_invoices_status'), 'supplier_invoices',
                               "status IN ('unpaid', 'partially_paid', 'paid', 'disputed')")
    op.create_check_constraint(op.f('ck_supplier_invoices_match_status'), 'supplier_invoices',
                               "match_status IN ('pending', 'matched', 'exception', 'accepted')")
    op.create_check_constraint(op.f('ck_supplier_invoices_paid'), 'supplier_invoices', 'paid_amount BETWEEN 0 AND total')
    op.create_index(op.f('ix_supplier_invoices_due'), 'supplier_invoices', ['status', 'due_on'], unique=False)
    op.create_table('supplier_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_name', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_supplier_payments_amount')),
    sa.CheckConstraint("method IN ('bank_transfer', 'cash', 'other')", name=op.f('ck_supplier_payments_method')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_payments_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_payments')),
    sa.UniqueConstraint('number', name=op.f('uq_supplier_payments_number'))
    )
    op.create_index(op.f('ix_tenant_supplier_payments_supplier_id'), 'supplier_payments', ['supplier_id'], unique=False)
    op.create_table('supplier_payment_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_supplier_payment_allocations_amount')),
    sa.ForeignKeyConstraint(['payment_id'], ['supplier_payments.id'], ondelete='CASCADE',
                            name=op.f('fk_supplier_payment_allocations_payment_id_supplier_payments')),
    sa.ForeignKeyConstraint(['invoice_id'], ['supplier_invoices.id'],
                            name=op.f('fk_supplier_payment_allocations_invoice_id_supplier_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_payment_allocations')),
    sa.UniqueConstraint('payment_id', 'invoice_id', name=op.f('uq_supplier_payment_allocations_payment_id'))
    )
    op.create_index(op.f('ix_tenant_supplier_payment_allocations_invoice_id'), 'supplier_payment_allocations',
                    ['invoice_id'], unique=False)


def downgrade():
    op.drop_table('supplier_payment_allocations')
    op.drop_table('supplier_payments')
    op.drop_index('ix_supplier_invoices_due', table_name='supplier_invoices')
    op.drop_constraint('ck_supplier_invoices_paid', 'supplier_invoices', type_='check')
    op.drop_constraint('ck_supplier_invoices_match_status', 'supplier_invoices', type_='check')
    op.drop_constraint('ck_supplier_invoices_status', 'supplier_invoices', type_='check')
    op.execute("UPDATE supplier_invoices SET status = 'unpaid' WHERE status = 'partially_paid'")
    op.create_check_constraint(op.f('ck_supplier_invoices_status'), 'supplier_invoices', "status IN ('unpaid', 'paid', 'disputed')")
    for column in ('paid_amount', 'due_on', 'matched_at', 'match_note', 'match_findings', 'match_status'):
        op.drop_column('supplier_invoices', column)
    op.drop_column('suppliers', 'payment_terms_days')
    op.drop_constraint('ck_purchasing_settings_match_ranges', 'purchasing_settings', type_='check')
    op.drop_column('purchasing_settings', 'quantity_tolerance_pct')
    op.drop_column('purchasing_settings', 'price_tolerance_pct')

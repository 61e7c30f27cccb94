"""Purchasing (采购中心): suppliers, applications, supplier SKUs, purchase orders, shipping notices, returns, invoices,
replenishment suggestions, scorecards

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01T22:57:08+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('purchasing_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('open_to_applications', sa.Boolean(), nullable=False),
    sa.Column('approval_threshold', sa.BigInteger(), nullable=False),
    sa.Column('over_tolerance_pct', sa.Integer(), nullable=False),
    sa.Column('under_tolerance_pct', sa.Integer(), nullable=False),
    sa.Column('velocity_days', sa.Integer(), nullable=False),
    sa.Column('cover_days', sa.Integer(), nullable=False),
    sa.Column('default_tax_rate', sa.Integer(), nullable=False),
    sa.CheckConstraint('approval_threshold >= 0 AND over_tolerance_pct BETWEEN 0 AND 100 AND under_tolerance_pct BETWEEN 0 AND 100 AND velocity_days BETWEEN 1 AND 365 AND cover_days BETWEEN 0 AND 365 AND default_tax_rate BETWEEN 0 AND 10000', name=op.f('ck_purchasing_settings_ranges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchasing_settings'))
    )
    op.create_table('supplier_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('invited_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_invitations'))
    )
    op.create_index('uq_supplier_invitations_email', 'supplier_invitations', [sa.literal_column('lower(email)')], unique=True)
    op.create_table('suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('categories', postgresql.ARRAY(sa.String(length=80)), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('bank_name', sa.String(length=120), nullable=False),
    sa.Column('bank_account', sa.String(length=40), nullable=False),
    sa.Column('bank_holder', sa.String(length=200), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('active', 'suspended', 'archived')", name=op.f('ck_suppliers_status')),
    sa.CheckConstraint('rating BETWEEN 0 AND 5 AND lead_time_days >= 0', name=op.f('ck_suppliers_values')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers'))
    )
    op.create_index('uq_suppliers_account', 'suppliers', ['account_id'], unique=True, postgresql_where=sa.text('account_id IS NOT NULL'))
    op.create_index('uq_suppliers_code', 'suppliers', [sa.literal_column('lower(code)')], unique=True)
    op.create_table('asns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ship_date', sa.Date(), nullable=False),
    sa.Column('carrier', sa.String(length=80), nullable=False),
    sa.Column('waybill', sa.String(length=60), nullable=False),
    sa.Column('boxes', sa.Integer(), nullable=False),
    sa.Column('inbound_number', sa.String(length=20), nullable=False),
    sa.Column('created_by_name', sa.String(length=254), nullable=False),
    sa.Column('by_store', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('shipped', 'received', 'cancelled')", name=op.f('ck_asns_status')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_asns_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asns')),
    sa.UniqueConstraint('number', name=op.f('uq_asns_number'))
    )
    op.create_index('ix_asns_supplier_status', 'asns', ['supplier_id', 'status'], unique=False)
    op.create_table('purchase_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('tax_total', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_by_name', sa.String(length=254), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'sent', 'confirmed', 'shipped', 'partially_received', 'received', 'closed', 'cancelled')", name=op.f('ck_purchase_orders_status')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_purchase_orders_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_orders_number'))
    )
    op.create_index('ix_purchase_orders_supplier_status', 'purchase_orders', ['supplier_id', 'status'], unique=False)
    op.create_table('supplier_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('bank_name', sa.String(length=120), nullable=False),
    sa.Column('bank_account', sa.String(length=40), nullable=False),
    sa.Column('bank_holder', sa.String(length=200), nullable=False),
    sa.Column('categories', postgresql.ARRAY(sa.String(length=80)), nullable=False),
    sa.Column('files', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('decided_by', sa.String(length=254), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_supplier_applications_status')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_applications_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_applications'))
    )
    op.create_index(op.f('ix_tenant_supplier_applications_account_id'), 'supplier_applications', ['account_id'], unique=False)
    op.create_index('uq_supplier_applications_pending', 'supplier_applications', ['account_id'], unique=True, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('supplier_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_contacts_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_contacts'))
    )
    op.create_index(op.f('ix_tenant_supplier_contacts_supplier_id'), 'supplier_contacts', ['supplier_id'], unique=False)
    op.create_table('supplier_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('uploaded_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('licence', 'contract', 'certificate', 'other')", name=op.f('ck_supplier_documents_kind')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_documents_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_documents'))
    )
    op.create_index(op.f('ix_tenant_supplier_documents_supplier_id'), 'supplier_documents', ['supplier_id'], unique=False)
    op.create_table('supplier_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_notes_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_notes'))
    )
    op.create_index(op.f('ix_tenant_supplier_notes_supplier_id'), 'supplier_notes', ['supplier_id'], unique=False)
    op.create_table('supplier_scores',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('on_time_rate', sa.Integer(), nullable=True),
    sa.Column('fill_rate', sa.Integer(), nullable=True),
    sa.Column('defect_rate', sa.Integer(), nullable=True),
    sa.Column('price_trend', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_scores_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_scores'))
    )
    op.create_index('ix_supplier_scores_supplier_at', 'supplier_scores', ['supplier_id', 'computed_at'], unique=False)
    op.create_table('purchase_order_events',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_orders.id'], name=op.f('fk_purchase_order_events_order_id_purchase_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_events'))
    )
    op.create_index(op.f('ix_tenant_purchase_order_events_order_id'), 'purchase_order_events', ['order_id'], unique=False)
    op.create_table('supplier_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('file_key', sa.String(length=300), nullable=False),
    sa.Column('lines', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_by_name', sa.String(length=254), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('unpaid', 'paid', 'disputed')", name=op.f('ck_supplier_invoices_status')),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_orders.id'], name=op.f('fk_supplier_invoices_order_id_purchase_orders')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_invoices_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_invoices')),
    sa.UniqueConstraint('supplier_id', 'number', name=op.f('uq_supplier_invoices_supplier_id'))
    )
    op.create_index(op.f('ix_tenant_supplier_invoices_order_id'), 'supplier_invoices', ['order_id'], unique=False)
    op.create_table('supplier_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('outbound_number', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lines', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_by_name', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_orders.id'], name=op.f('fk_supplier_returns_order_id_purchase_orders')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_returns_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_returns')),
    sa.UniqueConstraint('number', name=op.f('uq_supplier_returns_number'))
    )
    op.create_index(op.f('ix_tenant_supplier_returns_order_id'), 'supplier_returns', ['order_id'], unique=False)
    op.create_index(op.f('ix_tenant_supplier_returns_supplier_id'), 'supplier_returns', ['supplier_id'], unique=False)
    op.create_table('purchase_order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('sku_code', sa.String(length=64), nullable=False),
    sa.Column('supplier_code', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('confirmed', sa.Integer(), nullable=False),
    sa.Column('confirmed_date', sa.Date(), nullable=True),
    sa.Column('reject_reason', sa.String(length=300), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('billed', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'confirmed', 'rejected')", name=op.f('ck_purchase_order_lines_status')),
    sa.CheckConstraint('quantity > 0 AND unit_price >= 0 AND tax_rate BETWEEN 0 AND 10000 AND confirmed >= 0 AND shipped >= 0 AND received >= 0 AND rejected >= 0 AND returned >= 0 AND billed >= 0', name=op.f('ck_purchase_order_lines_quantities')),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_orders.id'], name=op.f('fk_purchase_order_lines_order_id_purchase_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_lines')),
    sa.UniqueConstraint('order_id', 'sku_id', name=op.f('uq_purchase_order_lines_order_id'))
    )
    op.create_table('replenishment_suggestions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('numbers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('open', 'ordered', 'dismissed')", name=op.f('ck_replenishment_suggestions_status')),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_orders.id'], name=op.f('fk_replenishment_suggestions_order_id_purchase_orders')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_replenishment_suggestions_sku_id_skus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_replenishment_suggestions_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replenishment_suggestions'))
    )
    op.create_index(op.f('ix_tenant_replenishment_suggestions_supplier_id'), 'replenishment_suggestions', ['supplier_id'], unique=False)
    op.create_index('uq_replenishment_suggestions_open', 'replenishment_suggestions', ['sku_id', 'warehouse_id'], unique=True, postgresql_where=sa.text("status = 'open'"))
    op.create_table('supplier_skus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('supplier_code', sa.String(length=64), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('moq', sa.Integer(), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('preferred', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('price >= 0 AND moq >= 1 AND pack_size >= 1 AND lead_time_days >= 0', name=op.f('ck_supplier_skus_values')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_supplier_skus_sku_id_skus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_skus_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_skus')),
    sa.UniqueConstraint('supplier_id', 'sku_id', name=op.f('uq_supplier_skus_supplier_id'))
    )
    op.create_index(op.f('ix_tenant_supplier_skus_sku_id'), 'supplier_skus', ['sku_id'], unique=False)
    op.create_index('uq_supplier_skus_preferred', 'supplier_skus', ['sku_id'], unique=True, postgresql_where=sa.text('preferred'))
    op.create_table('asn_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asn_id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0 AND received >= 0 AND rejected >= 0', name=op.f('ck_asn_lines_quantities')),
    sa.ForeignKeyConstraint(['asn_id'], ['asns.id'], name=op.f('fk_asn_lines_asn_id_asns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['po_line_id'], ['purchase_order_lines.id'], name=op.f('fk_asn_lines_po_line_id_purchase_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asn_lines')),
    sa.UniqueConstraint('asn_id', 'po_line_id', name=op.f('uq_asn_lines_asn_id'))
    )
    op.create_index(op.f('ix_tenant_asn_lines_po_line_id'), 'asn_lines', ['po_line_id'], unique=False)
    op.create_table('supplier_prices',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('supplier_sku_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['supplier_sku_id'], ['supplier_skus.id'], name=op.f('fk_supplier_prices_supplier_sku_id_supplier_skus'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_prices'))
    )
    op.create_index('ix_supplier_prices_link_at', 'supplier_prices', ['supplier_sku_id', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_supplier_prices_link_at', table_name='supplier_prices')
    op.drop_table('supplier_prices')
    op.drop_index(op.f('ix_tenant_asn_lines_po_line_id'), table_name='asn_lines')
    op.drop_table('asn_lines')
    op.drop_index('uq_supplier_skus_preferred', table_name='supplier_skus', postgresql_where=sa.text('preferred'))
    op.drop_index(op.f('ix_tenant_supplier_skus_sku_id'), table_name='supplier_skus')
    op.drop_table('supplier_skus')
    op.drop_index('uq_replenishment_suggestions_open', table_name='replenishment_suggestions', postgresql_where=sa.text("status = 'open'"))
    op.drop_index(op.f('ix_tenant_replenishment_suggestions_supplier_id'), table_name='replenishment_suggestions')
    op.drop_table('replenishment_suggestions')
    op.drop_table('purchase_order_lines')
    op.drop_index(op.f('ix_tenant_supplier_returns_supplier_id'), table_name='supplier_returns')
    op.drop_index(op.f('ix_tenant_supplier_returns_order_id'), table_name='supplier_returns')
    op.drop_table('supplier_returns')
    op.drop_index(op.f('ix_tenant_supplier_invoices_order_id'), table_name='supplier_invoices')
    op.drop_table('supplier_invoices')
    op.drop_index(op.f('ix_tenant_purchase_order_events_order_id'), table_name='purchase_order_events')
    op.drop_table('purchase_order_events')
    op.drop_index('ix_supplier_scores_supplier_at', table_name='supplier_scores')
    op.drop_table('supplier_scores')
    op.drop_index(op.f('ix_tenant_supplier_notes_supplier_id'), table_name='supplier_notes')
    op.drop_table('supplier_notes')
    op.drop_index(op.f('ix_tenant_supplier_documents_supplier_id'), table_name='supplier_documents')
    op.drop_table('supplier_documents')
    op.drop_index(op.f('ix_tenant_supplier_contacts_supplier_id'), table_name='supplier_contacts')
    op.drop_table('supplier_contacts')
    op.drop_index('uq_supplier_applications_pending', table_name='supplier_applications', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_tenant_supplier_applications_account_id'), table_name='supplier_applications')
    op.drop_table('supplier_applications')
    op.drop_index('ix_purchase_orders_supplier_status', table_name='purchase_orders')
    op.drop_table('purchase_orders')
    op.drop_index('ix_asns_supplier_status', table_name='asns')
    op.drop_table('asns')
    op.drop_index('uq_suppliers_code', table_name='suppliers')
    op.drop_index('uq_suppliers_account', table_name='suppliers', postgresql_where=sa.text('account_id IS NOT NULL'))
    op.drop_table('suppliers')
    op.drop_index('uq_supplier_invitations_email', table_name='supplier_invitations')
    op.drop_table('supplier_invitations')
    op.drop_table('purchasing_settings')

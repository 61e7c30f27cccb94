"""After-sales (售后): requests with lines, evidence photos, per-unit inspections, the timeline,
reasons, rules and return addresses; shipments know the after-sales request a return parcel
belongs to.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01T23:00:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

KINDS = "('refund_only', 'return_refund', 'exchange')"
STATUSES = ("('requested', 'approved', 'rejected', 'escalated', 'awaiting_return', 'returned', 'received', "
            "'inspected', 'refunded', 'exchange_shipped', 'closed', 'cancelled')")
OUTCOMES = "('refunded', 'exchanged', 'rejected', 'cancelled', 'expired', 'closed')"
# the usual reasons every store starts with, as they were when this revision was written
DEFAULT_REASONS = (("不想要了", "No longer wanted", "shopper"), ("尺码或颜色不合适", "Wrong size or colour", "shopper"),
                   ("商品质量问题", "Quality problem", "store"), ("与描述不符", "Not as described", "store"),
                   ("发错货或少发", "Wrong or missing item", "store"), ("商品损坏", "Arrived damaged", "store"))
TIMELINE = [
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
]


def upgrade():
    op.create_table(
        'aftersales_settings',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('auto_approve_unshipped', sa.Boolean(), nullable=False),
        sa.Column('auto_approve_under', sa.BigInteger(), nullable=True),
        sa.Column('refund_shipping', sa.String(length=16), nullable=False),
        sa.Column('reply_hours', sa.Integer(), nullable=False),
        sa.Column('ship_back_days', sa.Integer(), nullable=False),
        sa.Column('quarantine_warehouse_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('id = 1', name=op.f('ck_aftersales_settings_single')),
        sa.CheckConstraint("refund_shipping IN ('never', 'whole_order', 'store_fault')",
                           name=op.f('ck_aftersales_settings_refund_shipping')),
        sa.CheckConstraint('reply_hours BETWEEN 1 AND 720 AND ship_back_days BETWEEN 1 AND 60',
                           name=op.f('ck_aftersales_settings_deadlines')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_settings')),
    )
    op.create_table(
        'aftersales_reasons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('name_en', sa.String(length=80), nullable=False),
        sa.Column('return_shipping_payer', sa.String(length=10), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.CheckConstraint("return_shipping_payer IN ('shopper', 'store')", name=op.f('ck_aftersales_reasons_payer')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_reasons')),
    )
    reasons = sa.table('aftersales_reasons', sa.column('name', sa.String), sa.column('name_en', sa.String),
                       sa.column('return_shipping_payer', sa.String), sa.column('position', sa.Integer),
                       sa.column('active', sa.Boolean))
    op.bulk_insert(reasons, [
        {"name": name, "name_en": name_en, "return_shipping_payer": payer, "position": position * 10, "active": True}
        for position, (name, name_en, payer) in enumerate(DEFAULT_REASONS, start=1)])
    op.create_table(
        'aftersales_return_addresses',
        sa.Column('warehouse_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('address', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint('warehouse_id', name=op.f('pk_aftersales_return_addresses')),
    )
    op.create_table(
        'aftersales_requests',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('order_number', sa.String(length=24), nullable=False),
        sa.Column('shopper_id', sa.Integer(), nullable=True),
        sa.Column('shopper_name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('reason_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=80), nullable=False),
        sa.Column('return_shipping_payer', sa.String(length=10), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('before_shipment', sa.Boolean(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('shipping_refund', sa.BigInteger(), nullable=False),
        sa.Column('refunded', sa.BigInteger(), nullable=False),
        sa.Column('reject_reason', sa.String(length=300), nullable=False),
        sa.Column('return_warehouse_id', sa.Integer(), nullable=True),
        sa.Column('return_address', sa.String(length=400), nullable=False),
        sa.Column('return_carrier', sa.String(length=32), nullable=False),
        sa.Column('return_waybill', sa.String(length=40), nullable=False),
        sa.Column('return_shipment_id', sa.BigInteger(), nullable=True),
        sa.Column('return_inbound', sa.String(length=20), nullable=False),
        sa.Column('exchange_notice', sa.String(length=40), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('reply_due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ship_back_due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS}", name=op.f('ck_aftersales_requests_kind')),
        sa.CheckConstraint(f"status IN {STATUSES}", name=op.f('ck_aftersales_requests_status')),
        sa.CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES}", name=op.f('ck_aftersales_requests_outcome')),
        sa.CheckConstraint('amount >= 0 AND shipping_refund >= 0', name=op.f('ck_aftersales_requests_amounts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_requests')),
        sa.UniqueConstraint('number', name=op.f('uq_aftersales_requests_number')),
    )
    op.create_index('ix_aftersales_requests_status_created', 'aftersales_requests', ['status', 'created_at'])
    op.create_index('ix_aftersales_requests_reply_due', 'aftersales_requests', ['status', 'reply_due_at'])
    op.create_index('ix_aftersales_requests_ship_back_due', 'aftersales_requests', ['status', 'ship_back_due_at'])
    op.create_index('ix_tenant_aftersales_requests_order_id', 'aftersales_requests', ['order_id'])
    op.create_index('ix_tenant_aftersales_requests_order_number', 'aftersales_requests', ['order_number'])
    op.create_index('ix_tenant_aftersales_requests_shopper_id', 'aftersales_requests', ['shopper_id'])
    op.create_table(
        'aftersales_request_lines',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('request_id', sa.BigInteger(), nullable=False),
        sa.Column('order_line_id', sa.BigInteger(), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('sku_code', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('exchange_sku_id', sa.Integer(), nullable=True),
        sa.Column('exchange_sku_code', sa.String(length=64), nullable=False),
        sa.CheckConstraint('quantity > 0 AND amount >= 0', name=op.f('ck_aftersales_request_lines_values')),
        sa.ForeignKeyConstraint(['request_id'], ['aftersales_requests.id'], ondelete='CASCADE',
                                name=op.f('fk_aftersales_request_lines_request_id_aftersales_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_request_lines')),
        sa.UniqueConstraint('request_id', 'order_line_id', name=op.f('uq_aftersales_request_lines_request_id')),
    )
    op.create_index('ix_tenant_aftersales_request_lines_order_line_id', 'aftersales_request_lines',
                    ['order_line_id'])
    op.create_table(
        'aftersales_evidence',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('request_id', sa.BigInteger(), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['aftersales_requests.id'], ondelete='CASCADE',
                                name=op.f('fk_aftersales_evidence_request_id_aftersales_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_evidence')),
        sa.UniqueConstraint('key', name=op.f('uq_aftersales_evidence_key')),
    )
    op.create_index('ix_tenant_aftersales_evidence_request_id', 'aftersales_evidence', ['request_id'])
    op.create_table(
        'aftersales_inspections',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('request_id', sa.BigInteger(), nullable=False),
        sa.Column('request_line_id', sa.BigInteger(), nullable=False),
        sa.Column('unit', sa.Integer(), nullable=False),
        sa.Column('condition', sa.String(length=10), nullable=False),
        sa.Column('disposition', sa.String(length=12), nullable=False),
        sa.Column('warehouse_id', sa.Integer(), nullable=True),
        sa.Column('location', sa.String(length=40), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('inspected_by', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("condition IN ('good', 'damaged')", name=op.f('ck_aftersales_inspections_condition')),
        sa.CheckConstraint("disposition IN ('restock', 'quarantine', 'scrap')",
                           name=op.f('ck_aftersales_inspections_disposition')),
        sa.ForeignKeyConstraint(['request_id'], ['aftersales_requests.id'], ondelete='CASCADE',
                                name=op.f('fk_aftersales_inspections_request_id_aftersales_requests')),
        sa.ForeignKeyConstraint(['request_line_id'], ['aftersales_request_lines.id'], ondelete='CASCADE',
                                name=op.f('fk_aftersales_inspections_request_line_id_aftersales_request_lines')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_inspections')),
        sa.UniqueConstraint('request_line_id', 'unit', name=op.f('uq_aftersales_inspections_request_line_id')),
    )
    op.create_index('ix_tenant_aftersales_inspections_request_id', 'aftersales_inspections', ['request_id'])
    op.create_table(
        'aftersales_events',
        *[c._copy() for c in TIMELINE],
        sa.Column('request_id', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['aftersales_requests.id'], ondelete='CASCADE',
                                name=op.f('fk_aftersales_events_request_id_aftersales_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_events')),
    )
    op.create_index('ix_tenant_aftersales_events_request_id', 'aftersales_events', ['request_id'])
    op.add_column('shipments', sa.Column('return_of', sa.String(length=24), nullable=True))
    op.create_index('ix_tenant_shipments_return_of', 'shipments', ['return_of'])


def downgrade():
    op.drop_index('ix_tenant_shipments_return_of', table_name='shipments')
    op.drop_column('shipments', 'return_of')
    for table in ('aftersales_events', 'aftersales_inspections', 'aftersales_evidence', 'aftersales_request_lines',
                  'aftersales_requests', 'aftersales_return_addresses', 'aftersales_reasons', 'aftersales_settings'):
        op.drop_table(table)

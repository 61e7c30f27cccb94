"""One timeline: payment events gain action and data, refunds and stock documents get their
own timeline tables; history is carried over (payment reasons written as text become codes
and data, refunds get their requested/settled rows, documents their audit entries, and order
refund rows lose the bare amount written as their reason).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01T17:00:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _timeline_table(name, owner_column, owner_table, owner_type):
    op.create_table(name,
    sa.Column(owner_column, owner_type, nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint([owner_column], [f'{owner_table}.id'], name=op.f(f'fk_{name}_{owner_column}_{owner_table}'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}'))
    )
    op.create_index(op.f(f'ix_tenant_{name}_{owner_column}'), name, [owner_column], unique=False)


def upgrade():
    # payment events: the columns every timeline has
    op.add_column('payment_events', sa.Column('action', sa.String(length=40), nullable=True))
    op.add_column('payment_events', sa.Column('data', postgresql.JSONB(astext_type=sa.Text()),
                                              server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.alter_column('payment_events', 'data', server_default=None)
    op.alter_column('payment_events', 'to_status', existing_type=sa.String(length=20), nullable=True)
    op.alter_column('payment_events', 'reason', existing_type=sa.String(length=300), type_=sa.String(length=500),
                    existing_nullable=False)
    # reasons the payment center wrote as English text become an action and data
    op.execute("""
        UPDATE payment_events SET action = 'created', reason = '' WHERE from_status IS NULL;
        UPDATE payment_events SET action = 'refund_' || substring(reason from '^refund .* (succeeded|failed)$'),
               data = jsonb_build_object('refund', substring(reason from '^refund (.*) (succeeded|failed)$')),
               reason = ''
         WHERE action IS NULL AND reason ~ '^refund .* (succeeded|failed)$';
        UPDATE payment_events SET action = 'no_trade', reason = ''
         WHERE action IS NULL AND reason LIKE 'the gateway has no completed trade%';
        UPDATE payment_events SET action = to_status,
               data = jsonb_strip_nulls(jsonb_build_object(
                   'gateway_status', substring(reason from '^[a-z_]+: ([^ ]+)'),
                   'trade_no', substring(reason from '^[a-z_]+: [^ ]+ ([^ ]+)$'))),
               reason = ''
         WHERE action IS NULL AND reason ~ '^[a-z_]+: [^ ]+( [^ ]+)?$';
        UPDATE payment_events SET action = coalesce(to_status, 'note') WHERE action IS NULL;
    """)
    op.alter_column('payment_events', 'action', existing_type=sa.String(length=40), nullable=False)

    # refunds: their own timeline, starting from what the refund rows remember
    _timeline_table('refund_events', 'refund_id', 'refunds', sa.BigInteger())
    op.execute("""
        INSERT INTO refund_events (refund_id, at, actor_name, action, from_status, to_status, reason, data)
        SELECT r.id, r.created_at, r.actor_name, 'created', NULL, 'pending', r.reason,
               jsonb_build_object('amount', r.amount, 'currency', p.currency)
          FROM refunds r JOIN payments p ON p.id = r.payment_id ORDER BY r.id;
        INSERT INTO refund_events (refund_id, at, actor_name, action, from_status, to_status, reason, data)
        SELECT id, coalesce(finished_at, created_at), 'system', status, 'pending', status, '',
               CASE WHEN failure IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('gateway_status', failure) END
          FROM refunds WHERE status <> 'pending' ORDER BY id;
    """)

    # stock documents: their timeline was the audit log; copy it over
    _timeline_table('stock_document_events', 'document_id', 'stock_documents', sa.Integer())
    op.execute("""
        INSERT INTO stock_document_events (document_id, at, actor_name, action, from_status, to_status, reason, data)
        SELECT d.id, a.at, a.actor_name, left(split_part(a.action, '.', 2), 40),
               CASE WHEN a.changes ? 'status' THEN a.changes -> 'status' ->> 0 ELSE d.status END,
               CASE WHEN a.changes ? 'status' THEN a.changes -> 'status' ->> 1 ELSE d.status END,
               '',
               coalesce((SELECT jsonb_object_agg(key, value -> 1) FROM jsonb_each(a.changes)
                          WHERE key <> 'status' AND jsonb_typeof(value) = 'array'
                            AND jsonb_typeof(value -> 1) <> 'null'), '{}'::jsonb)
          FROM audit_log a JOIN stock_documents d ON a.object_id = d.id::text
         WHERE a.object_type = 'StockDocument'
         ORDER BY a.id;
    """)

    # an order's refund rows carried the amount in fen as their reason; the amount is in the data
    op.execute("UPDATE order_events SET reason = '' WHERE action = 'refunded' AND reason ~ '^-?[0-9]+$'")


def downgrade():
    op.drop_index(op.f('ix_tenant_stock_document_events_document_id'), table_name='stock_document_events')
    op.drop_table('stock_document_events')
    op.drop_index(op.f('ix_tenant_refund_events_refund_id'), table_name='refund_events')
    op.drop_table('refund_events')
    op.execute("UPDATE payment_events SET to_status = coalesce(to_status, from_status, 'created')")
    op.execute("UPDATE payment_events SET reason = left(reason, 300)")
    op.alter_column('payment_events', 'reason', existing_type=sa.String(length=500), type_=sa.String(length=300),
                    existing_nullable=False)
    op.alter_column('payment_events', 'to_status', existing_type=sa.String(length=20), nullable=False)
    op.drop_column('payment_events', 'data')
    op.drop_column('payment_events', 'action')

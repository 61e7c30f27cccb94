"""Group buys and growth: a failed group's order that cannot be refunded automatically (paid
offline, or its gateway refund failed) is flagged for a manual refund (`refund_due`, with a note);
the store's rule says whether money paid from a stored-value or gift card earns growth and points.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-02T07:00:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint('ck_group_members_status', 'group_members', type_='check')
    op.create_check_constraint('ck_group_members_status', 'group_members',
                               "status IN ('pending', 'paid', 'refund_due', 'refunded', 'cancelled')")
    op.add_column('group_members', sa.Column('refund_note', sa.String(length=300), server_default='',
                                             nullable=False))
    op.add_column('member_settings', sa.Column('growth_from_cards', sa.Boolean(), server_default='false',
                                               nullable=False))


def downgrade():
    op.drop_column('member_settings', 'growth_from_cards')
    op.drop_column('group_members', 'refund_note')
    op.execute("UPDATE group_members SET status = 'paid' WHERE status = 'refund_due'")
    op.drop_constraint('ck_group_members_status', 'group_members', type_='check')
    op.create_check_constraint('ck_group_members_status', 'group_members',
                               "status IN ('pending', 'paid', 'refunded', 'cancelled')")

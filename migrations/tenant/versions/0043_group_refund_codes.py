"""Group buys: why a place is due a refund by hand, and how staff refunded it, is kept as a code
with its values (put in the reader's language when shown) instead of a sentence in the language
of whoever triggered it. Old rows keep their sentence in refund_note, which still shows.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-02T16:40:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('group_members', sa.Column('refund_code', sa.String(length=40), nullable=True))
    op.add_column('group_members', sa.Column('refund_params', postgresql.JSONB(), nullable=True))


def downgrade():
    op.drop_column('group_members', 'refund_params')
    op.drop_column('group_members', 'refund_code')

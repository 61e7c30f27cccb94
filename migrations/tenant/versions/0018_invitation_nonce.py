"""Staff invitations carry a nonce that changes with every link sent, so a resent
invitation ends the earlier link.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01T17:30:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('staff_users', sa.Column('invitation_nonce', sa.String(length=32), nullable=True))


def downgrade():
    op.drop_column('staff_users', 'invitation_nonce')

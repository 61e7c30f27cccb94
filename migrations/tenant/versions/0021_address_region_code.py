"""Shopper addresses keep the six-digit GB/T 2260 code of their district (or city).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01T19:45:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('member_addresses', sa.Column('region_code', sa.String(length=6), nullable=False,
                                                server_default=''))


def downgrade():
    op.drop_column('member_addresses', 'region_code')

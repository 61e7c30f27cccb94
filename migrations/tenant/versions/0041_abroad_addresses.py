"""Addresses abroad: a store may ship to other countries (a logistics setting); an address keeps
its country (ISO 3166 alpha-2, CN for the mainland's region cascade).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-02T07:20:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0041'
down_revision = '0040'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('member_addresses', sa.Column('country', sa.String(length=2), server_default='CN', nullable=False))
    op.add_column('logistics_settings', sa.Column('ships_abroad', sa.Boolean(), server_default='false', nullable=False))


def downgrade():
    op.drop_column('logistics_settings', 'ships_abroad')
    op.drop_column('member_addresses', 'country')

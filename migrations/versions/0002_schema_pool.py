"""schema pool: store schemas built ahead of time

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 17:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('schema_pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schema_name', sa.String(length=63), nullable=True),
    sa.Column('version', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schema_pool')),
    sa.UniqueConstraint('schema_name', name=op.f('uq_schema_pool_schema_name')),
    schema='platform'
    )


def downgrade():
    op.drop_table('schema_pool', schema='platform')

"""store usage: the platform's summary of each store's last 30 days (GMV, paid orders, refunds)
and database space, kept by a periodic finance job in each store

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('store_usage',
                    sa.Column('store_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('days', sa.Integer(), nullable=False),
                    sa.Column('orders', sa.Integer(), nullable=False),
                    sa.Column('gmv', sa.BigInteger(), nullable=False),
                    sa.Column('refunds', sa.BigInteger(), nullable=False),
                    sa.Column('currency', sa.String(length=3), nullable=False),
                    sa.Column('bytes', sa.BigInteger(), nullable=False),
                    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['store_id'], ['platform.stores.id'],
                                            name=op.f('fk_store_usage_store_id_stores'), ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('store_id', name=op.f('pk_store_usage')),
                    schema='platform')


def downgrade():
    op.drop_table('store_usage', schema='platform')

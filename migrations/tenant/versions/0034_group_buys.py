"""Group buying (拼团): activities per SKU, the groups shoppers open and join, and each
shopper's place (their order) in a group.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-02T02:30:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'group_buys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('group_price', sa.BigInteger(), nullable=False),
        sa.Column('group_size', sa.Integer(), nullable=False),
        sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('groups_succeeded', sa.Integer(), nullable=False),
        sa.Column('groups_failed', sa.Integer(), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('gmv', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'active', 'ended')", name=op.f('ck_group_buys_status')),
        sa.CheckConstraint('group_size BETWEEN 2 AND 50', name=op.f('ck_group_buys_size')),
        sa.CheckConstraint('group_price >= 0', name=op.f('ck_group_buys_price')),
        sa.CheckConstraint('time_limit_minutes BETWEEN 5 AND 10080', name=op.f('ck_group_buys_time_limit')),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_group_buys_window')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_buys')),
    )
    op.create_index('ix_tenant_group_buys_sku_id', 'group_buys', ['sku_id'])
    op.create_table(
        'group_teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('leader_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('taken', sa.Integer(), nullable=False),
        sa.Column('paid', sa.Integer(), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'open', 'succeeded', 'failed', 'cancelled')",
                           name=op.f('ck_group_teams_status')),
        sa.CheckConstraint('taken >= 0 AND taken <= size AND paid >= 0 AND paid <= taken',
                           name=op.f('ck_group_teams_places')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_teams')),
    )
    op.create_index('uq_group_teams_code', 'group_teams', ['code'], unique=True)
    op.create_index('ix_group_teams_status_expires', 'group_teams', ['status', 'expires_at'])
    op.create_index('ix_group_teams_activity', 'group_teams', ['activity_id', 'status'])
    op.create_table(
        'group_members',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('leader', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'paid', 'refunded', 'cancelled')",
                           name=op.f('ck_group_members_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_members')),
    )
    op.create_index('uq_group_members_order', 'group_members', ['order_id'], unique=True)
    op.create_index('uq_group_members_place', 'group_members', ['team_id', 'member_id'], unique=True,
                    postgresql_where=sa.text("status IN ('pending', 'paid')"))
    op.create_index('ix_group_members_team', 'group_members', ['team_id'])


def downgrade():
    for table in ('group_members', 'group_teams', 'group_buys'):
        op.drop_table(table)

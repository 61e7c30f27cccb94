"""SMS sign-in: one-time codes (kept as keyed hashes, with the send log the limits count),
members with a verified phone (unique among verified ones) and members with no email.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-02T02:30:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('members', sa.Column('phone_verified', sa.Boolean(), server_default='false', nullable=False))
    op.drop_index('uq_members_email', table_name='members')
    op.create_index('uq_members_email', 'members', [sa.text('lower(email)')], unique=True,
                    postgresql_where=sa.text("email <> ''"))
    op.create_index('uq_members_verified_phone', 'members', ['phone'], unique=True,
                    postgresql_where=sa.text('phone_verified'))
    op.create_table(
        'sms_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('provider_id', sa.String(length=64), server_default='', nullable=False),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_sms_codes_attempts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_codes')),
    )
    op.create_index('ix_sms_codes_phone_created', 'sms_codes', ['phone', 'created_at'])
    op.create_index('ix_sms_codes_client_created', 'sms_codes', ['client', 'created_at'])


def downgrade():
    op.drop_table('sms_codes')
    op.drop_index('uq_members_verified_phone', table_name='members')
    op.drop_index('uq_members_email', table_name='members')
    op.create_index('uq_members_email', 'members', [sa.text('lower(email)')], unique=True)
    op.drop_column('members', 'phone_verified')

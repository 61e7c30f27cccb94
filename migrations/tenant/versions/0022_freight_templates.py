"""Freight templates (运费模板): default and per-region rules by piece, weight or volume,
free-shipping conditions, regions not delivered to; products name their template.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01T20:10:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

FEES = "first_units > 0 AND first_fee >= 0 AND extra_units > 0 AND extra_fee >= 0"


def upgrade():
    op.create_table(
        'freight_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('basis', sa.String(length=8), nullable=False),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('first_units', sa.Integer(), nullable=False),
        sa.Column('first_fee', sa.BigInteger(), nullable=False),
        sa.Column('extra_units', sa.Integer(), nullable=False),
        sa.Column('extra_fee', sa.BigInteger(), nullable=False),
        sa.Column('undeliverable', postgresql.ARRAY(sa.String(length=6)), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("basis IN ('piece', 'weight', 'volume')", name=op.f('ck_freight_templates_basis')),
        sa.CheckConstraint(FEES, name=op.f('ck_freight_templates_fees')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_freight_templates')),
    )
    op.create_index('uq_freight_templates_default', 'freight_templates', ['is_default'], unique=True,
                    postgresql_where=sa.text('is_default'))
    op.create_index('uq_freight_templates_name', 'freight_templates', [sa.text('lower(name)')], unique=True)
    op.create_table(
        'freight_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('regions', postgresql.ARRAY(sa.String(length=6)), nullable=False),
        sa.Column('first_units', sa.Integer(), nullable=False),
        sa.Column('first_fee', sa.BigInteger(), nullable=False),
        sa.Column('extra_units', sa.Integer(), nullable=False),
        sa.Column('extra_fee', sa.BigInteger(), nullable=False),
        sa.CheckConstraint(FEES, name=op.f('ck_freight_rules_fees')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_freight_rules')),
        sa.ForeignKeyConstraint(['template_id'], ['freight_templates.id'], ondelete='CASCADE',
                                name=op.f('fk_freight_rules_template_id_freight_templates')),
    )
    op.create_index('ix_tenant_freight_rules_template_id', 'freight_rules', ['template_id'])
    op.create_table(
        'freight_free_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('regions', postgresql.ARRAY(sa.String(length=6)), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('threshold', sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('amount', 'quantity')", name=op.f('ck_freight_free_rules_kind')),
        sa.CheckConstraint('threshold >= 0', name=op.f('ck_freight_free_rules_threshold')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_freight_free_rules')),
        sa.ForeignKeyConstraint(['template_id'], ['freight_templates.id'], ondelete='CASCADE',
                                name=op.f('fk_freight_free_rules_template_id_freight_templates')),
    )
    op.create_index('ix_tenant_freight_free_rules_template_id', 'freight_free_rules', ['template_id'])
    op.add_column('products', sa.Column('freight_template_id', sa.Integer(), nullable=True))


def downgrade():
    op.drop_column('products', 'freight_template_id')
    op.drop_table('freight_free_rules')
    op.drop_table('freight_rules')
    op.drop_table('freight_templates')

"""supplier users: several sign-ins per supplier, each with a role

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('supplier_accounts', sa.Column('org_id', sa.Integer(), nullable=True), schema='platform')
    op.add_column('supplier_accounts', sa.Column('role', sa.String(length=16), server_default='admin',
                                                 nullable=False), schema='platform')
    op.create_foreign_key(op.f('fk_supplier_accounts_org_id_supplier_accounts'), 'supplier_accounts',
                          'supplier_accounts', ['org_id'], ['id'], source_schema='platform',
                          referent_schema='platform', ondelete='CASCADE')
    op.create_index('ix_platform_supplier_accounts_org_id', 'supplier_accounts', ['org_id'], schema='platform')
    op.create_check_constraint(op.f('ck_supplier_accounts_role'), 'supplier_accounts',
                               "role IN ('admin', 'sales', 'warehouse')", schema='platform')


def downgrade():
    op.drop_constraint(op.f('ck_supplier_accounts_role'), 'supplier_accounts', schema='platform')
    op.drop_index('ix_platform_supplier_accounts_org_id', 'supplier_accounts', schema='platform')
    op.drop_constraint(op.f('fk_supplier_accounts_org_id_supplier_accounts'), 'supplier_accounts', schema='platform')
    op.drop_column('supplier_accounts', 'role', schema='platform')
    op.drop_column('supplier_accounts', 'org_id', schema='platform')

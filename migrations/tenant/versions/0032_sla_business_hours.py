"""SLA clocks in business hours: the store's service hours (week days, opening and closing time
in the store's time zone) and, per SLA policy, whether its clocks count only those hours.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-02T03:00:00+00:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('service_settings', sa.Column('business_days', sa.String(length=7), nullable=False,
                                                server_default='12345'))
    op.add_column('service_settings', sa.Column('business_opens', sa.Integer(), nullable=False, server_default='540'))
    op.add_column('service_settings', sa.Column('business_closes', sa.Integer(), nullable=False,
                                                server_default='1080'))
    op.add_column('service_sla_policies', sa.Column('business_hours', sa.Boolean(), nullable=False, server_default='false'))
    for table, column in (('service_settings', 'business_days'), ('service_settings', 'business_opens'),
                          ('service_settings', 'business_closes'), ('service_sla_policies', 'business_hours')):
        op.alter_column(table, column, server_default=None)
    op.create_check_constraint(op.f('ck_service_settings_business_hours'), 'service_settings',
                               'business_opens >= 0 AND business_opens < business_closes AND business_closes <= 1440')


def downgrade():
    op.drop_constraint(op.f('ck_service_settings_business_hours'), 'service_settings', type_='check')
    op.drop_column('service_sla_policies', 'business_hours')
    op.drop_column('service_settings', 'business_closes')
    op.drop_column('service_settings', 'business_opens')
    op.drop_column('service_settings', 'business_days')

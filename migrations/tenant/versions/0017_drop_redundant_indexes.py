"""drop indexes that a unique constraint's index already covers (same leading column)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 17:55:00

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# (index, table, column): each column leads a unique constraint on the same table
REDUNDANT = [
    ("ix_tenant_attributes_template_id", "attributes", "template_id"),
    ("ix_tenant_cart_items_member_id", "cart_items", "member_id"),
    ("ix_tenant_categories_parent_id", "categories", "parent_id"),
    ("ix_tenant_locations_warehouse_id", "locations", "warehouse_id"),
    ("ix_tenant_saved_filters_staff_id", "saved_filters", "staff_id"),
    ("ix_tenant_skus_product_id", "skus", "product_id"),
    ("ix_tenant_stock_document_lines_document_id", "stock_document_lines", "document_id"),
    ("ix_tenant_stock_levels_sku_id", "stock_levels", "sku_id"),
    ("ix_tenant_tier_prices_sku_id", "tier_prices", "sku_id"),
    ("ix_tenant_webhook_deliveries_endpoint_id", "webhook_deliveries", "endpoint_id"),
]


def upgrade():
    for index, _table, _column in REDUNDANT:
        op.drop_index(index)


def downgrade():
    for index, table, column in REDUNDANT:
        op.create_index(index, table, [column], unique=False)

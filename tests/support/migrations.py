"""A tenant revision tests add to a temporary copy of migrations/tenant (format with head=...)."""

ADDED_COLUMN = '''"""test: one added column"""
from alembic import op
import sqlalchemy as sa

revision = "pgb1"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("staff_users", sa.Column("through_pgbouncer", sa.String(40), nullable=True))


def downgrade():
    op.drop_column("staff_users", "through_pgbouncer")
'''

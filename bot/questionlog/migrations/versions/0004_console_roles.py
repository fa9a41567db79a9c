"""staff console: a role per account (editor, publisher, admin)

Accounts made before roles existed could edit, review and publish: they become publishers.

Revision ID: 0004_console_roles
Revises: 0003_console
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_console_roles"
down_revision = "0003_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_account") as batch:
        batch.add_column(
            sa.Column("role", sa.String(16), nullable=False, server_default="publisher")
        )


def downgrade() -> None:
    with op.batch_alter_table("console_account") as batch:
        batch.drop_column("role")

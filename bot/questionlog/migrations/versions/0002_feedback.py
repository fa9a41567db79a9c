"""did the answer help? (feedback columns)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    ("feedback_offered", sa.Boolean()),
    ("helpful", sa.Boolean()),
    ("feedback", sa.String(8)),
    ("feedback_for", sa.String(128)),
)


def upgrade() -> None:
    with op.batch_alter_table("question_log") as batch:  # SQLite: nullable columns, no rebuild
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("question_log") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)

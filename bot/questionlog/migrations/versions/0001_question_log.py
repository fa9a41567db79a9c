"""question_log table

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("channel_message_id", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(128)),
        sa.Column("confidence", sa.Float()),
        sa.Column("topic", sa.String(128)),
        sa.Column("action", sa.String(128)),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("latency_ms", sa.Integer()),
        sa.Column("in_selfcheck", sa.Boolean(), nullable=False),
        sa.Column("selfcheck_event", sa.String(16)),
        sa.Column("slots", sa.Text()),
        sa.UniqueConstraint("sender_id", "channel_message_id", name="uq_question_log_message"),
    )
    op.create_index("ix_question_log_created_at", "question_log", ["created_at"])
    op.create_index("ix_question_log_topic", "question_log", ["topic"])


def downgrade() -> None:
    op.drop_index("ix_question_log_topic", table_name="question_log")
    op.drop_index("ix_question_log_created_at", table_name="question_log")
    op.drop_table("question_log")

"""The saved state of each model's streaming detectors (the concept-drift detectors that run on
the stream of labelled errors), so that a restarted worker continues the stream.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "dl_stream_state",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dl_stream_state")

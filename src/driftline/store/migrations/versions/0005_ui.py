"""What the built-in UI reads: periodic service samples (CPU, memory, GPU, in-flight and counted
requests, so the UI needs no Prometheus); a light summary and the display aggregates of each
monitored window, apart from its full result; each feature's normalised drift score.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "dl_service_samples",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replica", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_dl_service_samples_at", "dl_service_samples", ["at"])
    with op.batch_alter_table("dl_monitor_results") as batch:
        batch.add_column(sa.Column("summary", sa.JSON, nullable=True))
        batch.add_column(sa.Column("detail", sa.JSON, nullable=True))
    with op.batch_alter_table("dl_monitor_values") as batch:
        batch.add_column(sa.Column("score", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dl_monitor_values") as batch:
        batch.drop_column("score")
    with op.batch_alter_table("dl_monitor_results") as batch:
        batch.drop_column("detail")
        batch.drop_column("summary")
    op.drop_index("ix_dl_service_samples_at", "dl_service_samples")
    op.drop_table("dl_service_samples")

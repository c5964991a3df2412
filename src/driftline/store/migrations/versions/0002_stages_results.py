"""Stage history, retention bookkeeping, monitoring results and retraining decisions.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

_TS = sa.DateTime(timezone=True)
_BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "dl_stage_history",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("previous_stage", sa.String(16), nullable=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("reason", sa.String(256), nullable=False),
    )
    op.create_index("ix_dl_stage_history_model_id", "dl_stage_history", ["model_id"])
    with op.batch_alter_table("dl_batches") as batch:
        batch.add_column(sa.Column("sample_rate", sa.Float, nullable=False,
                                   server_default=sa.text("1.0")))
    op.create_table(
        "dl_monitor_results",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("window_start", _TS, nullable=True),
        sa.Column("window_end", _TS, nullable=True),
        sa.Column("computed_at", _TS, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
    )
    op.create_index("ix_dl_monitor_results_model_id", "dl_monitor_results", ["model_id"])
    op.create_table(
        "dl_decisions",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_dl_decisions_model_id", "dl_decisions", ["model_id"])


def downgrade() -> None:
    op.drop_table("dl_decisions")
    op.drop_table("dl_monitor_results")
    with op.batch_alter_table("dl_batches") as batch:
        batch.drop_column("sample_rate")
    op.drop_table("dl_stage_history")

"""Initial tables: models, versions, prediction batches, predictions, feedback, events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_TS = sa.DateTime(timezone=True)
_BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "dl_models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("task", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "dl_model_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("model_id", "version", name="uq_dl_model_versions"),
    )
    op.create_table(
        "dl_batches",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ts_min", _TS, nullable=False),
        sa.Column("ts_max", _TS, nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_dl_batches_model_id", "dl_batches", ["model_id"])
    op.create_index("ix_dl_batches_ts_max", "dl_batches", ["ts_max"])
    op.create_table(
        "dl_predictions",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), primary_key=True),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("batch_id", _BIGID, sa.ForeignKey("dl_batches.id"), nullable=False),
        sa.Column("row_index", sa.Integer, nullable=False),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("payload_hash", sa.String(32), nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=True),
    )
    op.create_index("ix_dl_predictions_batch_id", "dl_predictions", ["batch_id"])
    op.create_table(
        "dl_feedback",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), primary_key=True),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("label", sa.JSON, nullable=False),
        sa.Column("arrived_at", _TS, nullable=False),
    )
    op.create_table(
        "dl_events",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_dl_events_model_id", "dl_events", ["model_id"])


def downgrade() -> None:
    for table in ("dl_events", "dl_feedback", "dl_predictions", "dl_batches",
                  "dl_model_versions", "dl_models"):
        op.drop_table(table)

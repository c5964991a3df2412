"""Tracked training and tuning runs: the runs (nested: a study holds its trials), every metric
value with its step, and the artifacts logged with them.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "dl_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("model", sa.String(128), nullable=False, index=True),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("parent_id", sa.String(32), sa.ForeignKey("dl_runs.id"), nullable=True,
                  index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("model_params", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("decision_id", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "dl_run_metrics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("dl_runs.id"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dl_run_artifacts",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("dl_runs.id"), primary_key=True),
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dl_run_artifacts")
    op.drop_table("dl_run_metrics")
    op.drop_table("dl_runs")

"""One row per window x feature x method, for the UI's queries.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

_TS = sa.DateTime(timezone=True)
_BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "dl_monitor_values",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("result_id", _BIGID, sa.ForeignKey("dl_monitor_results.id"), nullable=False),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("dl_models.id"), nullable=False),
        sa.Column("window_end", _TS, nullable=True),
        sa.Column("feature", sa.String(256), nullable=False),
        sa.Column("method", sa.String(64), nullable=True),
        sa.Column("statistic", sa.Float, nullable=True),
        sa.Column("p_value", sa.Float, nullable=True),
        sa.Column("effect_size", sa.Float, nullable=True),
        sa.Column("drifted", sa.Boolean, nullable=True),
    )
    op.create_index("ix_dl_monitor_values_model_feature", "dl_monitor_values",
                    ["model_id", "feature"])
    op.create_index("ix_dl_monitor_values_result_id", "dl_monitor_values", ["result_id"])


def downgrade() -> None:
    op.drop_table("dl_monitor_values")

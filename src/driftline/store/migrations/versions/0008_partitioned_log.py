"""The prediction log partitioned by model and time on PostgreSQL.

``dl_batches`` gets ``ts_bound``, an upper bound of the times of a batch's rows that never changes
(its ``ts_max`` when it was written). On PostgreSQL the table is rebuilt as a table partitioned by
range on ``(model_id, ts_bound)``, with one partition per model and day for the rows it already
holds; later partitions are created on demand by the writer (``driftline.store._partitions``), and
retention drops whole partitions. A partitioned table's primary key must hold the partition key,
so it becomes ``(id, model_id, ts_bound)``; ``id`` still comes from the same sequence and stays
unique. A foreign key can only reference a unique key of the partitioned table, so the foreign key
``dl_predictions.batch_id -> dl_batches.id`` is dropped: every write to both tables happens in one
transaction, and retention deletes a partition's ``dl_predictions`` rows in the transaction that
drops it.

On SQLite nothing is partitioned: the column is added (filled with ``ts_max``) and the same
foreign key is dropped, so that one table definition describes both databases.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

_TS = sa.DateTime(timezone=True)
_COLUMNS = "id, model_id, version, ts_min, ts_max, n_rows, source, data, sample_rate"
_FK_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _columns(id_default: str | None) -> list[sa.Column]:
    return [
        sa.Column("id", sa.BigInteger, nullable=False,
                  server_default=sa.text(id_default) if id_default else None),
        sa.Column("model_id", sa.Integer,
                  sa.ForeignKey("dl_models.id", name="dl_batches_model_id_fkey"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ts_min", _TS, nullable=False),
        sa.Column("ts_max", _TS, nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("sample_rate", sa.Float, nullable=False, server_default=sa.text("1.0")),
    ]


def _batch_fks(conn: sa.engine.Connection) -> list[str]:
    return [fk["name"] for fk in sa.inspect(conn).get_foreign_keys("dl_predictions")
            if fk["referred_table"] == "dl_batches" and fk["name"]]


def _upgrade_postgresql(conn: sa.engine.Connection) -> None:
    from driftline.store._partitions import ensure_partitions

    seq = conn.execute(sa.text("SELECT pg_get_serial_sequence('dl_batches', 'id')")).scalar_one()
    pkey = sa.inspect(conn).get_pk_constraint("dl_batches")["name"]
    for name in _batch_fks(conn):
        op.drop_constraint(name, "dl_predictions", type_="foreignkey")
    for fk in sa.inspect(conn).get_foreign_keys("dl_batches"):  # the new table gets its own
        op.drop_constraint(fk["name"], "dl_batches", type_="foreignkey")
    op.rename_table("dl_batches", "dl_batches_unpartitioned")
    op.execute(f'ALTER TABLE dl_batches_unpartitioned RENAME CONSTRAINT "{pkey}" '
               "TO dl_batches_unpartitioned_pkey")
    op.drop_index("ix_dl_batches_model_id", table_name="dl_batches_unpartitioned")
    op.drop_index("ix_dl_batches_ts_max", table_name="dl_batches_unpartitioned")
    op.create_table(
        "dl_batches", *_columns(f"nextval('{seq}'::regclass)"),
        sa.Column("ts_bound", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", "model_id", "ts_bound", name="dl_batches_pkey"),
        postgresql_partition_by="RANGE (model_id, ts_bound)",
    )
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY dl_batches.id")
    op.create_index("ix_dl_batches_model_id", "dl_batches", ["model_id"])
    op.create_index("ix_dl_batches_ts_max", "dl_batches", ["ts_max"])
    days = conn.execute(sa.text(
        "SELECT DISTINCT model_id, date_trunc('day', ts_max AT TIME ZONE 'UTC') "
        "FROM dl_batches_unpartitioned")).all()
    ensure_partitions(conn, [(int(m), d) for m, d in days], "day")
    op.execute(f"INSERT INTO dl_batches ({_COLUMNS}, ts_bound) "
               f"SELECT {_COLUMNS}, ts_max FROM dl_batches_unpartitioned")
    op.drop_table("dl_batches_unpartitioned")


def _upgrade_sqlite() -> None:
    op.add_column("dl_batches", sa.Column("ts_bound", _TS, nullable=False,
                                          server_default=sa.text("'1970-01-01 00:00:00.000000'")))
    op.execute("UPDATE dl_batches SET ts_bound = ts_max")
    with op.batch_alter_table("dl_predictions", naming_convention=_FK_NAMES) as batch:
        batch.drop_constraint("fk_dl_predictions_batch_id_dl_batches", type_="foreignkey")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        _upgrade_postgresql(conn)
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        seq = conn.execute(sa.text("SELECT pg_get_serial_sequence('dl_batches', 'id')")).scalar_one()
        op.create_table("dl_batches_plain", *_columns(f"nextval('{seq}'::regclass)"),
                        sa.PrimaryKeyConstraint("id", name="dl_batches_plain_pkey"))
        op.execute(f"INSERT INTO dl_batches_plain ({_COLUMNS}) SELECT {_COLUMNS} FROM dl_batches")
        op.execute(f"ALTER SEQUENCE {seq} OWNED BY dl_batches_plain.id")
        op.drop_table("dl_batches")  # with its partitions
        op.rename_table("dl_batches_plain", "dl_batches")
        op.execute("ALTER TABLE dl_batches RENAME CONSTRAINT dl_batches_plain_pkey "
                   "TO dl_batches_pkey")
        op.create_index("ix_dl_batches_model_id", "dl_batches", ["model_id"])
        op.create_index("ix_dl_batches_ts_max", "dl_batches", ["ts_max"])
        op.create_foreign_key(None, "dl_predictions", "dl_batches", ["batch_id"], ["id"])
        return
    with op.batch_alter_table("dl_batches") as batch:  # rebuilt while nothing references it
        batch.drop_column("ts_bound")
    with op.batch_alter_table("dl_predictions", naming_convention=_FK_NAMES) as batch:
        batch.create_foreign_key("fk_dl_predictions_batch_id_dl_batches", "dl_batches",
                                 ["batch_id"], ["id"])

"""The store's tables (SQLAlchemy Core). The migration in ``migrations/versions`` creates them;
a test checks that the migrated database matches these definitions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

__all__ = [
    "batches",
    "decisions",
    "events",
    "feedback",
    "leases",
    "metadata",
    "model_versions",
    "models",
    "monitor_results",
    "monitor_values",
    "predictions",
    "run_artifacts",
    "run_metrics",
    "runs",
    "service_samples",
    "stage_history",
    "stream_state",
]

metadata = MetaData()

models = Table(
    "dl_models", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("task", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

model_versions = Table(
    "dl_model_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("dl_models.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("stage", String(16), nullable=False),
    Column("record", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("model_id", "version", name="uq_dl_model_versions"),
)

# One row per logged batch: its columns (features, prediction, scores) as one Arrow IPC blob,
# so a window reads back as columns from a few large values instead of a million small ones.
# On PostgreSQL the table is partitioned by range on (model_id, ts_bound), one partition per
# model and day or week, and its primary key is (id, model_id, ts_bound); see _partitions.py.
batches = Table(
    "dl_batches", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("model_id", Integer, ForeignKey("dl_models.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("ts_min", DateTime(timezone=True), nullable=False),
    Column("ts_max", DateTime(timezone=True), nullable=False, index=True),
    Column("n_rows", Integer, nullable=False),
    Column("source", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
    # 1.0 for rows as logged; below 1 once retention downsampled the batch (each kept row then
    # stands for 1/sample_rate rows).
    Column("sample_rate", Float, nullable=False, server_default=text("1.0")),
    # An upper bound of the rows' times that never changes: ts_max when the batch was written
    # (rewrites only remove rows; a merge takes its members' largest). The partition key.
    Column("ts_bound", DateTime(timezone=True), nullable=False),
)

# One row per prediction: its id (idempotency), where its values live, and its payload hash.
# batch_id has no foreign key: a partitioned dl_batches has no unique key on id alone. Every
# write keeps the two tables in step within one transaction.
predictions = Table(
    "dl_predictions", metadata,
    Column("model_id", Integer, ForeignKey("dl_models.id"), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("batch_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False, index=True),
    Column("row_index", Integer, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("payload_hash", String(32), nullable=False),
    Column("latency_ms", Float, nullable=True),
)

feedback = Table(
    "dl_feedback", metadata,
    Column("model_id", Integer, ForeignKey("dl_models.id"), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("label", JSON, nullable=False),
    Column("arrived_at", DateTime(timezone=True), nullable=False),
)

events = Table(
    "dl_events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("model_id", Integer, ForeignKey("dl_models.id"), nullable=True, index=True),
    Column("kind", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("payload", JSON, nullable=False),
)

# The saved state of a model's streaming detectors (JSON, never pickle), one row per name,
# with the position in the feedback stream it covers; replaced in place at every turn.
stream_state = Table(
    "dl_stream_state", metadata,
    Column("model_id", Integer, ForeignKey("dl_models.id"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Who was champion when: one row per stage change, never updated.
stage_history = Table(
    "dl_stage_history", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("model_id", Integer, ForeignKey("dl_models.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("stage", String(16), nullable=False),
    Column("previous_stage", String(16), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(256), nullable=False),
)

# One row per monitored window (the continuous-learning loop writes them).
monitor_results = Table(
    "dl_monitor_results", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("model_id", Integer, ForeignKey("dl_models.id"), nullable=False, index=True),
    Column("version", Integer, nullable=True),
    Column("window_start", DateTime(timezone=True), nullable=True),
    Column("window_end", DateTime(timezone=True), nullable=True),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("result", JSON, nullable=False),
    # the few fields the UI charts over many windows (drift share, coverage, performance)
    Column("summary", JSON, nullable=True),
    # display aggregates of the window (reference and current bin counts per column)
    Column("detail", JSON, nullable=True),
)

# Retraining decisions with their reasons (the continuous-learning loop writes them).
decisions = Table(
    "dl_decisions", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("model_id", Integer, ForeignKey("dl_models.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("trigger", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
)

# One row per window x feature x method (the UI's heatmaps and per-feature history).
monitor_values = Table(
    "dl_monitor_values", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("result_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("dl_monitor_results.id"), nullable=False, index=True),
    Column("model_id", Integer, ForeignKey("dl_models.id"), nullable=False),
    Column("window_end", DateTime(timezone=True), nullable=True),
    Column("feature", String(256), nullable=False),
    Column("method", String(64), nullable=True),
    Column("statistic", Float, nullable=True),
    Column("p_value", Float, nullable=True),
    Column("effect_size", Float, nullable=True),
    Column("drifted", Boolean, nullable=True),
    # effect size over the decision rule's threshold: above 1 drifted (the heatmap's colour)
    Column("score", Float, nullable=True),
    Index("ix_dl_monitor_values_model_feature", "model_id", "feature"),
)

# Which worker acts for a model until when; the epoch grows with every change of holder, and
# promotions made under a lease check it (a fencing token).
leases = Table(
    "dl_leases", metadata,
    Column("model_id", Integer, ForeignKey("dl_models.id"), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# A periodic sample of each serving process: host CPU and memory, GPUs, in-flight requests and
# the requests it counted so far by model, version and status class (the UI's serving page).
service_samples = Table(
    "dl_service_samples", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("replica", String(128), nullable=False),
    Column("payload", JSON, nullable=False),
)

# Tracked training and tuning runs (driftline.tracking): one row per run, nested through
# parent_id (a study holds its trials). The model is a name, not a foreign key: a run may come
# before the model is registered.
runs = Table(
    "dl_runs", metadata,
    Column("id", String(32), primary_key=True),
    Column("model", String(128), nullable=False, index=True),
    Column("name", String(256), nullable=True),
    Column("parent_id", String(32), ForeignKey("dl_runs.id"), nullable=True, index=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("params", JSON, nullable=False),        # hyperparameters: set before training
    Column("model_params", JSON, nullable=False),  # learned parameters: a summary
    Column("tags", JSON, nullable=False),
    Column("metrics", JSON, nullable=False),       # the latest value of each metric
    Column("version", Integer, nullable=True),     # the model version the run produced
    Column("decision_id", BigInteger, nullable=True),  # the retrain decision that caused it
)

# Every logged metric value, with its step: the training curves.
run_metrics = Table(
    "dl_run_metrics", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("run_id", String(32), ForeignKey("dl_runs.id"), nullable=False, index=True),
    Column("name", String(256), nullable=False),
    Column("step", BigInteger, nullable=True),
    Column("value", Float, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Files and JSON documents logged with a run, kept in the database so that every replica sees
# them and nothing depends on a local folder.
run_artifacts = Table(
    "dl_run_artifacts", metadata,
    Column("run_id", String(32), ForeignKey("dl_runs.id"), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("media_type", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

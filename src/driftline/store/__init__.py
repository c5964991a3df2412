"""The store: models, logged predictions and late labels (SQLite by default, PostgreSQL by
URL), with Alembic migrations. Needs the ``serve`` extra.

Examples
--------
>>> from driftline.store import Store
>>> Store.open("sqlite://").add_model("m", "regression")
1
"""

from driftline.store._compaction import CompactionResult
from driftline.store._retention import RetentionResult
from driftline.store._runs import RUN_KINDS, RUN_STATUSES
from driftline.store._service import RequestLog
from driftline.store._store import ConflictError, LogResult, PendingBatch, Store
from driftline.store._versions import STAGES, StageChange, VersionRow

__all__ = ["RUN_KINDS", "RUN_STATUSES", "STAGES", "CompactionResult", "ConflictError", "LogResult",
           "PendingBatch", "RequestLog", "RetentionResult", "StageChange", "Store", "VersionRow"]

"""The worker: runs the continuous-learning loop for its projects, one worker per model at a
time (a lease in the store, with an epoch that promotions check; on PostgreSQL also a
session advisory lock on a dedicated connection).

Examples
--------
>>> from driftline.worker import Worker
>>> Worker.__name__
'Worker'
"""

from driftline.worker._worker import Worker, WorkerTurn

__all__ = ["Worker", "WorkerTurn"]

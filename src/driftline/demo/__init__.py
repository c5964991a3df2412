"""``driftline demo``: the whole product on a fresh machine, in one command.

A throwaway project (SQLite store, project files, a training function written as user code)
on synthetic loan applications; a local service driven through HTTP in five phases (stable,
covariate drift, label shift, concept drift, new labelled data); the four stages of continuous
learning (on demand; scheduled stateless; scheduled stateful; triggers), a rejected challenger
and a rollback; narrated as it happens, with the dashboards' URLs at the end.

Examples
--------
>>> from driftline.demo import loan_applications  # also in driftline.datasets
>>> loan_applications(100, "covariate", seed=0).shape
(100, 7)
"""

from driftline.datasets import PHASES, loan_applications
from driftline.demo._run import DemoResult, run_demo

__all__ = ["PHASES", "DemoResult", "loan_applications", "run_demo"]

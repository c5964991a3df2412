"""What the drift benchmark runs: one task per tool and setting, each a runner script."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RUNNERS = BENCH / "runners"


@dataclass(frozen=True)
class Task:
    """A runner script and its variant, run by the Python of one virtual environment."""

    name: str
    group: str
    label: str
    script: str
    variant: str
    peer: str | None = None  # bench/.venv-<peer>; None runs in the project's own .venv

    @property
    def venv(self) -> str:
        return f"bench/.venv-{self.peer}" if self.peer else ".venv"


TASKS = (
    Task("evidently-default", "evidently", "Evidently `DataDriftPreset`, default (Wasserstein/JS)",
         "evidently_run.py", "default", "evidently"),
    Task("evidently-ks", "evidently", "Evidently `DataDriftPreset`, KS/χ²",
         "evidently_run.py", "ks-chi2", "evidently"),
    Task("nannyml-default", "nannyml", "NannyML `UnivariateDriftCalculator`, default (JS)",
         "nannyml_run.py", "default", "nannyml"),
    Task("nannyml-ks", "nannyml", "NannyML `UnivariateDriftCalculator`, KS/χ²",
         "nannyml_run.py", "ks-chi2", "nannyml"),
    Task("alibi", "alibi", "alibi-detect `KSDrift` + `ChiSquareDrift`",
         "alibi_run.py", "ks-chi2", "alibi"),
    Task("scipy", "scipy", "SciPy loop, `ks_2samp` + `chi2_contingency`",
         "scipy_loop.py", "ks-chi2"),
    Task("floor-full", "floor", "floor: sort both samples, integer-code categoricals",
         "floor.py", "full"),
    Task("floor-fitted", "floor", "fitted floor: sort the current window, code its categoricals",
         "floor.py", "fitted"),
    Task("driftline-oneshot", "driftline", "driftline `dl.compare` (one-shot)",
         "driftline_run.py", "oneshot"),
    Task("driftline-fitted", "driftline", "driftline `Reference.compare` (fitted)",
         "driftline_run.py", "fitted"),
)
BY_NAME = {t.name: t for t in TASKS}
IMPORT_TIME = "import-time"


def select(only: str | None) -> tuple[list[Task], bool]:
    """Tasks named by ``--only`` (task or group names) and whether to time the import."""
    if not only:
        return list(TASKS), True
    names = {n.strip() for n in only.split(",") if n.strip()}
    groups = {t.group for t in TASKS}
    unknown = names - set(BY_NAME) - groups - {IMPORT_TIME}
    if unknown:
        choices = ", ".join(sorted({*BY_NAME, *groups, IMPORT_TIME}))
        raise SystemExit(f"--only: unknown name(s) {', '.join(sorted(unknown))}; "
                         f"expected a comma-separated list of: {choices}")
    tasks = [t for t in TASKS if t.name in names or t.group in names]
    return tasks, IMPORT_TIME in names

"""The profile engine of the monitor (``monitoring.engine: profile``).

Each window's per-feature and prediction drift tests run on mergeable profiles
(:mod:`driftline.profile`) instead of the window's rows:

* :func:`compute_on_profile` turns a window's profile (and, for the parts that need them, its
  rows) into a :class:`MonitorResult`: the features' and the prediction's verdicts come from
  :func:`~driftline.profile.compare_profiles` against the version's reference profile, and a
  column whose exact verdict could go either way is marked ``uncertain`` with no verdict.
* :func:`monitor_on_profiles` is ``monitor_project``'s loop for this engine. The open window's
  profile is built incrementally: each turn reads only the rows logged after the last row it
  fed (its *cursor*), profiles them against the reference profile and merges them in. The
  partial profile and the cursor are saved in the store (stream state ``window_profile``) so
  that a restarted worker continues without reading them again. When a window closes, its
  profile is compared; the parts of the result that need rows (label drift and realized
  performance, data quality, segments, outliers, estimated performance, label shift and the
  multivariate methods) read that window's rows once.

Rows are ordered by ``(ts, id)``: a row is fed when it comes after the cursor in that order,
so each logged row is fed exactly once, unless it is logged with a timestamp before the cursor
(after rows that were logged later but stamped later), which the engine then never sees.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.drift._actions import action_for
from driftline.monitor._result import MonitorResult

if TYPE_CHECKING:
    import pandas as pd

    from driftline.drift import Reference
    from driftline.monitor._monitor import Monitor
    from driftline.monitor._window import Window
    from driftline.profile import ProfileResult, TableProfile
    from driftline.store import Store

__all__ = ["STATE_NAME", "compute_on_profile", "monitor_on_profiles"]

STATE_NAME = "window_profile"
"""The stream state under which the open window's profile and the cursor are saved."""

_FORMAT = 1
_TOP_LABELS = 20
_UNCERTAIN = ("uncertain: the exact verdict could go either way within the profiles' error "
              "bounds")

Position = tuple["pd.Timestamp", "str | None"]
"""A place in the log's ``(ts, id)`` order: rows after it have a later time, or the same time
and a larger id. With id ``None``: every row with a later time."""


# -- one window -----------------------------------------------------------------------------
def compute_on_profile(monitor: Monitor, window: Any, start: Any, end: Any,
                       profile: TableProfile | None = None) -> MonitorResult:
    """A window's result with its drift tests on profiles (``Monitor(engine="profile")``).

    Parameters
    ----------
    monitor : the :class:`~driftline.monitor.Monitor`, with its ``reference_profile``.
    window : the window's rows (a pandas DataFrame with the log's columns), or a Dask
        DataFrame. A Dask window is profiled on its cluster with
        ``driftline.profile.profile_dask``; the parts that need rows are then left out (only
        the label count is computed on the cluster).
    start, end : the window's bounds, as stored.
    profile : the window's profile built against ``monitor.reference_profile`` (for example
        incrementally as the rows were logged); default: profiled from ``window``.

    Returns
    -------
    MonitorResult
        Feature and prediction drift from :func:`~driftline.profile.compare_profiles`, each
        column's entry with ``uncertain`` and ``bound``; an uncertain column has
        ``drifted=None``. ``dataset_drift`` is ``True`` when a column certainly drifted,
        ``None`` when none did but one is uncertain, else ``False``; ``drift_share`` counts the
        features that certainly drifted.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from driftline.monitor import Monitor
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=1000), "y": rng.integers(0, 2, 1000)})
    >>> ref["prediction"] = (ref["x"] > 0).astype(int)
    >>> mon = Monitor("m", 1, ref, features=["x"], target="y", task="binary", min_rows=100,
    ...               engine="profile", estimate=False, outliers=False)
    >>> cur = pd.DataFrame({"x": rng.normal(1.0, 1.0, 500)})
    >>> cur["prediction"] = (cur["x"] > 0).astype(int)
    >>> res = mon.compute(cur, "t0", "t1")
    >>> res.drifted_features, res.features["x"]["uncertain"], res.features["x"]["bound"] < 0.01
    (('x',), False, True)
    """
    from driftline.profile import compare_profiles, profile_frame

    ref = monitor.reference_profile
    assert ref is not None
    dask = _is_dask(window)
    rows = None if dask else window
    if profile is None:
        profile = _profile_dask(window, ref) if dask else profile_frame(window, reference=ref)
    n = profile.n_rows
    labels = labelled = None
    if rows is not None:
        labels = rows["label"] if "label" in rows.columns else None
        labelled = (np.zeros(len(rows), dtype=bool) if labels is None
                    else labels.notna().to_numpy())
        n_lab = int(labelled.sum())
    else:
        n_lab = int((~window["label"].isna()).sum().compute()) if "label" in window.columns else 0
    base = {"model": monitor.model, "version": monitor.version, "start": str(start),
            "end": str(end), "n_rows": n, "label_coverage": n_lab / n if n else 0.0,
            "n_labelled": n_lab}
    if n < monitor.min_rows:
        return MonitorResult(**base, too_small=True,
                             reason=f"{n} rows; at least {monitor.min_rows} are needed to judge")
    report = compare_profiles(ref, profile, alpha=monitor.alpha)
    features: dict[str, dict[str, Any]] = {}
    shown: dict[str, Any] = {}
    for name in monitor.features:
        if name not in report.columns:  # text and timestamp columns are not profiled
            features[name] = _not_profiled()
            continue
        features[name] = profile_summary(report.columns[name], "feature")
        shown[name] = _distribution(ref, profile, name)
    prediction = None
    if monitor.prediction in report.columns:
        prediction = profile_summary(report.columns[monitor.prediction], "prediction")
        shown["__prediction__"] = _distribution(ref, profile, monitor.prediction)
    actions: dict[str, str] = {}
    if any(v["drifted"] for v in features.values()):
        actions["feature"] = action_for("feature")
    if prediction is not None and prediction["drifted"]:
        actions["prediction"] = action_for("prediction")
    from_rows: dict[str, Any] = {}
    problems: tuple[str, ...] = ()
    if rows is not None:
        assert labelled is not None
        problems = quality_problems(monitor._ref_x, rows)
        from_rows = monitor._from_rows(rows, labelled, labels, shown, actions)
    tested = [v for v in features.values() if v["tested"]]
    return MonitorResult(
        **base, dataset_drift=report.drifted,
        drift_share=(sum(v["drifted"] is True for v in tested) / len(tested)) if tested else None,
        features=features, prediction_drift=prediction, quality_ok=not problems,
        quality_problems=problems, actions=actions,
        distributions={k: v for k, v in shown.items() if v is not None}, **from_rows)


def profile_summary(r: ProfileResult, drift_type: str) -> dict[str, Any]:
    """One column's entry in a result (the exact path's keys, plus ``uncertain`` and
    ``bound``).

    Examples
    --------
    >>> from driftline.profile import ProfileResult
    >>> s = profile_summary(ProfileResult.untested("x", "numerical", "no valid values"), "feature")
    >>> s["tested"], s["drifted"], s["uncertain"], s["reason"]
    (False, None, False, 'no valid values')
    """
    effect, floor = _f(r.effect_size), _f(r.effect_threshold)
    score = None if effect is None else (effect / floor if floor else effect)
    return {"method": r.method, "statistic": _f(r.statistic), "p_value": _f(r.p_value),
            "effect_size": effect, "effect_name": r.effect_size_name, "threshold": floor,
            "drifted": r.drifted, "tested": r.tested, "score": score,
            "action": action_for(drift_type) if r.drifted else None,
            "reason": _UNCERTAIN if r.uncertain else r.reason, "uncertain": r.uncertain,
            "bound": _f(r.bound)}


def _not_profiled() -> dict[str, Any]:
    return {"method": "none", "statistic": None, "p_value": None, "effect_size": None,
            "effect_name": None, "threshold": None, "drifted": None, "tested": False,
            "score": None, "action": None, "uncertain": False, "bound": None,
            "reason": "text and timestamp columns are not profiled; use engine 'exact'"}


def quality_problems(reference: Reference, rows: pd.DataFrame) -> tuple[str, ...]:
    """The failing data quality checks of the window's rows (the exact path's checks, run
    without its drift tests).

    Examples
    --------
    >>> import pandas as pd
    >>> from driftline.drift import Reference
    >>> ref = Reference.fit(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}))
    >>> quality_problems(ref, pd.DataFrame({"x": [1.0, None, None, 99.0]}))[0]
    'x: 50.00% missing (reference 0.00%)'
    """
    from driftline.drift._concept import RESIDUAL
    from driftline.drift._frames import columns_of
    from driftline.drift._prepare import prepare
    from driftline.drift._quality import QualityLimits
    from driftline.drift._quality_columns import column_quality

    limits, now = QualityLimits(), np.datetime64("now", "ns")
    names = [c for c in reference.columns if c != RESIDUAL]
    cols = columns_of(rows, names)
    out: list[str] = []
    for name in names:
        state = reference.state(name)
        quality = column_quality(state, prepare(cols[name], state.kind, state.dtype), limits, now)
        out += [f"{name}: {c.message}" for c in quality.checks if c.status == "fail"]
    return tuple(out)


def _distribution(ref: TableProfile, cur: TableProfile, name: str) -> dict[str, Any] | None:
    """Display aggregates from the profiles: a numerical column's counts on the reference's
    bins (outer edges at the extremes of both sides), a label column's most frequent labels."""
    from driftline.drift._report import Distribution
    from driftline.profile import NumericProfile

    r, c = ref[name], cur[name]
    if isinstance(r, NumericProfile):
        assert isinstance(c, NumericProfile)
        if r.edges is None or r.counts is None or c.counts is None or r.n == 0:
            return None
        lo = float(np.nanmin([r.min, c.min])) if c.n else r.min
        hi = float(np.nanmax([r.max, c.max])) if c.n else r.max
        edges = (lo, *(float(e) for e in r.edges), hi)
        return Distribution("histogram", tuple(int(x) for x in r.counts),
                            tuple(int(x) for x in c.counts), edges=edges).to_dict()
    counts: dict[str, list[float]] = {}
    for side, col in enumerate((r, c)):
        labels, low, high = col.table()  # type: ignore[union-attr]
        for label, a, b in zip(labels, low, high, strict=True):
            counts.setdefault(str(label), [0.0, 0.0])[side] = (float(a) + float(b)) / 2
    if not counts:
        return None
    totals = [max(sum(v[i] for v in counts.values()), 1.0) for i in (0, 1)]
    order = sorted(counts, key=lambda k: -(counts[k][0] / totals[0] + counts[k][1] / totals[1]))
    top, rest = order[:_TOP_LABELS], order[_TOP_LABELS:]
    names = tuple(top)
    rc = [round(counts[k][0]) for k in top]
    cc = [round(counts[k][1]) for k in top]
    if rest:
        names += ("(other)",)
        rc.append(round(sum(counts[k][0] for k in rest)))
        cc.append(round(sum(counts[k][1] for k in rest)))
    return Distribution("frequencies", tuple(rc), tuple(cc), labels=names).to_dict()


def _is_dask(window: Any) -> bool:
    return type(window).__module__.split(".")[0] == "dask"


def _profile_dask(window: Any, reference: TableProfile) -> TableProfile:
    from driftline.errors import MissingDependencyError

    try:
        from driftline.profile import profile_dask  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:
        raise MissingDependencyError(
            "monitoring a Dask DataFrame window needs driftline.profile.profile_dask, which this "
            "version of driftline does not have; pass a pandas DataFrame instead.") from exc
    result: TableProfile = profile_dask(window, reference=reference)
    return result


def _f(v: Any) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


# -- the loop over the log ------------------------------------------------------------------
class _OpenWindow:
    """The open window: where it starts and its profile so far (the part carried over from
    earlier turns, merged with a :class:`~driftline.profile.ProfileBuilder` fed this turn)."""

    def __init__(self, reference: TableProfile, begin: pd.Timestamp,
                 origin: Position | None, carried: TableProfile | None = None) -> None:
        from driftline.profile import ProfileBuilder

        self.begin = begin  # time windows: the window's start; row windows: its first row's time
        self.origin = origin  # the position just before its first row
        self.carried = carried
        self.builder = ProfileBuilder(reference)

    @property
    def n_rows(self) -> int:
        return self.builder.n_rows + (0 if self.carried is None else self.carried.n_rows)

    def feed(self, rows: pd.DataFrame) -> None:
        self.builder.update(rows)

    def profile(self) -> TableProfile:
        built = self.builder.profile()
        return built if self.carried is None else self.carried.merge(built)


def monitor_on_profiles(store: Store, monitor: Monitor, window: Window, *, until: Any = None,
                        epoch: int | None = None) -> list[MonitorResult]:
    """Feed the rows logged since the last turn into the open window's profile, and compute
    and store every window that closed (``monitor_project`` with ``engine: profile``).

    Parameters
    ----------
    store : the store holding the log, the results and the saved state.
    monitor : a ``Monitor(engine="profile")`` for the champion.
    window : a tumbling :class:`~driftline.monitor.Window`.
    until : time windows ending at or before it are complete (default: the latest row fed).
    epoch : the worker's lease epoch, which fences the state's write.

    Returns
    -------
    list of MonitorResult
        The windows closed in this turn, oldest first.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from driftline.monitor import Monitor, Window
    >>> from driftline.store import Store
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=500), "y": rng.integers(0, 2, 500)})
    >>> ref["prediction"] = (ref["x"] > 0).astype(int)
    >>> mon = Monitor("m", 1, ref, features=["x"], target="y", task="binary", min_rows=50,
    ...               engine="profile", estimate=False, outliers=False)
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("m", "binary")
    >>> x = rng.normal(size=250)
    >>> t = pd.date_range("2026-01-01", periods=250, freq="s", tz="UTC")
    >>> _ = store.log_predictions("m", pd.DataFrame({"x": x}), predictions=(x > 0).astype(int),
    ...                           version=1, timestamps=t)
    >>> [r.n_rows for r in monitor_on_profiles(store, mon, Window.rows(100))]
    [100, 100]
    >>> store.stream_state("m", "window_profile")["open"]["n_rows"]   # fed, not yet closed
    50
    """
    import pandas as pd

    from driftline.errors import ParameterError

    if not window.tumbling:
        raise ParameterError.invalid("window", window, "a tumbling window with engine 'profile'",
                                     "Use engine 'exact' for sliding windows.")
    ref = monitor.reference_profile
    assert ref is not None
    name = monitor.model
    since = _utc(store.last_window_end(name))
    spec = {"kind": window.kind, "size": str(window.size)}
    cursor, open_ = _load(store, name, monitor.version, spec, since, ref)
    if cursor is None and open_ is None and since is not None:
        # no saved state: start where the exact path would, after the last stored window
        # (a time window's rows from `since` on, a row window's rows after it)
        cursor = (since - pd.Timedelta(1, "ns") if window.kind == "time" else since, None)
    new = _rows_after(store, name, cursor)
    results: list[MonitorResult] = []

    def close(w: _OpenWindow, start: Any, end: Any, rows: pd.DataFrame) -> None:
        result = monitor.compute(rows, _iso(start), _iso(end), profile=w.profile())
        store.add_monitor_result(name, result.to_dict(), result.value_rows(),
                                 summary=result.summary(), detail=dict(result.distributions))
        results.append(result)

    ts = new["ts"] if len(new) else pd.Series([], dtype="datetime64[ns, UTC]")
    if window.kind == "time":
        size = pd.Timedelta(window.size)
        buckets = ts.dt.floor(size)
        for begin, part in new.groupby(buckets, sort=True):
            if open_ is not None and begin != open_.begin:  # a later row: the window is complete
                close(open_, open_.begin, open_.begin + size,
                      _read_time_window(store, name, open_.begin, size))
                open_ = None
            if open_ is None:
                open_ = _OpenWindow(ref, pd.Timestamp(begin), None)
            open_.feed(part)
        if len(new):
            cursor = _position(new, len(new) - 1)
        horizon = _utc(until) if until is not None else (None if cursor is None else cursor[0])
        if open_ is not None and horizon is not None and open_.begin + size <= horizon:
            close(open_, open_.begin, open_.begin + size,
                  _read_time_window(store, name, open_.begin, size))
            open_ = None
    else:
        size_rows = int(window.size)  # type: ignore[arg-type]
        i = 0
        while i < len(new):
            if open_ is None:
                open_ = _OpenWindow(ref, ts.iloc[i], cursor)
            part = new.iloc[i:i + size_rows - open_.n_rows]
            open_.feed(part)
            i += len(part)
            cursor = _position(new, i - 1)
            if open_.n_rows >= size_rows:
                close(open_, open_.begin, cursor[0],
                      _read_row_window(store, name, open_.origin, cursor))
                open_ = None
    if len(new) or results:
        if results:
            since = _utc(store.last_window_end(name))
        store.save_stream_state(name, STATE_NAME, _state(monitor.version, spec, since, cursor,
                                                         open_), epoch=epoch)
    return results


def _rows_after(store: Store, name: str, after: Position | None) -> pd.DataFrame:
    """The logged rows after ``after`` in ``(ts, id)`` order, sorted that way."""
    start = None if after is None else _read_from(after[0])
    frame = store.read_window(name, start=start)
    if not len(frame):
        return frame
    frame = frame.sort_values(["ts", "id"], kind="stable").reset_index(drop=True)
    if after is not None:
        frame = frame[_after(frame, after)].reset_index(drop=True)
    return frame


def _read_time_window(store: Store, name: str, begin: pd.Timestamp,
                      size: pd.Timedelta) -> pd.DataFrame:
    """A time window's rows, in the exact path's order (by time, ties in logging order)."""
    rows = store.read_window(name, start=begin.to_pydatetime(),
                             end=(begin + size).to_pydatetime())
    return rows.sort_values("ts", kind="stable").reset_index(drop=True)


def _read_row_window(store: Store, name: str, origin: Position | None,
                     last: Position) -> pd.DataFrame:
    """A row window's rows: after ``origin`` up to and including ``last``."""
    import pandas as pd

    start = None if origin is None else _read_from(origin[0])
    rows = store.read_window(name, start=start,
                             end=(last[0] + pd.Timedelta(1, "us")).to_pydatetime())
    rows = rows.sort_values(["ts", "id"], kind="stable").reset_index(drop=True)
    keep = ~_after(rows, last)
    if origin is not None:
        keep &= _after(rows, origin)
    return rows[keep].reset_index(drop=True)


def _after(frame: pd.DataFrame, pos: Position) -> Any:
    """Which rows come after ``pos`` in ``(ts, id)`` order."""
    at, last_id = pos
    ts = frame["ts"]
    later = (ts > at).to_numpy()
    if last_id is None:
        return later
    return later | ((ts == at).to_numpy() & (frame["id"].astype(str) > last_id).to_numpy())


def _position(frame: pd.DataFrame, i: int) -> Position:
    import pandas as pd

    return pd.Timestamp(frame["ts"].iloc[i]), str(frame["id"].iloc[i])


def _read_from(at: pd.Timestamp) -> datetime:
    """A start for ``Store.read_window`` at or before ``at`` (the store keeps microseconds)."""
    floored: datetime = at.floor("us").to_pydatetime()
    return floored


# -- the saved state ------------------------------------------------------------------------
def _state(version: int, spec: Mapping[str, Any], since: pd.Timestamp | None,
           cursor: Position | None, open_: _OpenWindow | None) -> dict[str, Any]:
    window = None
    if open_ is not None:
        window = {"begin": _iso(open_.begin), "origin": _pos_json(open_.origin),
                  "n_rows": open_.n_rows,
                  "profile": base64.b64encode(open_.profile().to_bytes()).decode("ascii")}
    return {"format": _FORMAT, "version": version, "window": dict(spec),
            "since": None if since is None else _iso(since), "cursor": _pos_json(cursor),
            "open": window}


def _load(store: Store, name: str, version: int, spec: Mapping[str, Any],
          since: pd.Timestamp | None, reference: TableProfile,
          ) -> tuple[Position | None, _OpenWindow | None]:
    """The saved cursor and open window, or ``(None, None)`` when there is no usable state:
    none saved, another champion or window, or windows stored since it was saved (by the exact
    engine, or by a turn that died between storing a result and saving the state)."""
    import pandas as pd

    from driftline.profile import TableProfile

    state = store.stream_state(name, STATE_NAME)
    if (state is None or state.get("format") != _FORMAT or state.get("version") != version
            or state.get("window") != dict(spec)):
        return None, None
    saved = state.get("since")
    if (None if saved is None else pd.Timestamp(saved)) != since:
        return None, None
    cursor = _pos_from(state.get("cursor"))
    w = state.get("open")
    if w is None:
        return cursor, None
    carried = TableProfile.from_bytes(base64.b64decode(w["profile"]))
    return cursor, _OpenWindow(reference, pd.Timestamp(w["begin"]), _pos_from(w.get("origin")),
                               carried)


def _pos_json(pos: Position | None) -> list[Any] | None:
    return None if pos is None else [_iso(pos[0]), pos[1]]


def _pos_from(value: Any) -> Position | None:
    import pandas as pd

    return None if value is None else (pd.Timestamp(value[0]), value[1])


def _utc(value: Any) -> pd.Timestamp | None:
    import pandas as pd

    if value is None:
        return None
    t = pd.Timestamp(value)
    return t.tz_localize(timezone.utc) if t.tzinfo is None else t.tz_convert(timezone.utc)


def _iso(v: Any) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else str(v)

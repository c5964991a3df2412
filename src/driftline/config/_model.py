"""The project file, version 1: one YAML file describes one monitored model.

Every section is a pydantic model that forbids unknown keys, so a typo is an error that names
the key and the keys allowed there. ``docs/configuration.md`` documents every key.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from driftline.config._compute import ComputeConfig
from driftline.config._section import Section as _Section
from driftline.config._streaming import ConceptDriftConfig, OutlierConfig

__all__ = [
    "AlertsConfig", "ArtifactsConfig", "AuthConfig", "LimitsConfig", "LoggingConfig",
    "ModelConfig", "MonitoringConfig", "PoliciesConfig", "PrivacyConfig", "ProjectConfig",
    "ReferenceConfig", "RetentionConfig", "SchemaConfig", "StoreConfig", "TrainingConfig",
    "TuningConfig", "TuningParamConfig", "WindowConfig", "parse_duration",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CALLABLE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
KINDS = Literal["numerical", "categorical", "binary", "text", "datetime"]
#: The whole-row drift methods of ``monitoring.multivariate`` (and of ``on_data_drift.methods``).
MultivariateMethod = Literal["pca_reconstruction", "mmd", "domain_classifier", "bbsd_soft",
                             "bbsd_hard"]


class StoreConfig(_Section):
    """Where predictions, labels, versions and results are stored."""

    url: str = "sqlite:///driftline.db"

    @field_validator("url")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if not v.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgresql+psycopg2:")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return v


class SchemaConfig(_Section):
    """Overrides of the inferred schema (see :class:`driftline.Schema`)."""

    kinds: dict[str, KINDS] = Field(default_factory=dict)
    prediction_scores: dict[str, str] = Field(default_factory=dict)
    id: str | None = None
    timestamp: str | None = None
    ignore: list[str] = Field(default_factory=list)


class ModelConfig(_Section):
    """The model: its name, task, target, features and schema overrides."""

    name: str
    task: Literal["binary", "multiclass", "regression"]
    target: str
    features: list[str] | None = None
    schema_: SchemaConfig = Field(default_factory=SchemaConfig, alias="schema")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("must be 1-128 letters, digits, '_', '.' or '-', starting with a "
                             "letter or digit (it appears in URLs)")
        return v


class TuningParamConfig(_Section):
    """One tuned hyperparameter of ``training.tuning.space``: a range or a list of choices.

    ``{low, high}`` is a float (``log: true`` samples it log-uniformly; ``type: int`` makes it
    an integer, both ends included); ``{choices: [...]}`` is a categorical.

    Examples
    --------
    >>> TuningParamConfig(low=0.01, high=10, log=True).type
    'float'
    >>> TuningParamConfig(choices=["rbf", "linear"]).type
    'categorical'
    >>> TuningParamConfig(low=2.5, high=8, type="int")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TuningParamConfig
    ...low and high of an int parameter must be integers; got 2.5 and 8.0...
    """

    low: float | None = None
    high: float | None = None
    log: bool = False
    type: Literal["float", "int", "categorical"] | None = None
    choices: list[str | int | float | bool | None] | None = None

    @model_validator(mode="after")
    def _range_or_choices(self) -> TuningParamConfig:
        ranged = self.low is not None or self.high is not None
        kind = self.type or ("categorical" if self.choices is not None else "float")
        if kind == "categorical":
            if ranged or not self.choices:
                raise ValueError("a categorical parameter needs a non-empty 'choices' list and "
                                 "no low/high")
        else:
            if self.choices is not None:
                raise ValueError(f"give either choices or low/high; a {kind} parameter takes "
                                 "low and high")
            if self.low is None or self.high is None:
                raise ValueError(f"a {kind} parameter needs both low and high")
            if kind == "int" and not (float(self.low).is_integer() and float(self.high).is_integer()):
                raise ValueError(f"low and high of an int parameter must be integers; got "
                                 f"{self.low} and {self.high}")
            if not (self.low < self.high or (kind == "int" and self.low == self.high)):
                raise ValueError(f"low must be below high; got low={self.low}, high={self.high}")
            if self.log and self.low <= 0:
                raise ValueError(f"log: true needs low > 0; got low={self.low}")
        object.__setattr__(self, "type", kind)
        return self

    def to_spec(self) -> dict[str, Any]:
        """The spec :meth:`driftline.retrain.SearchSpace.from_dict` reads."""
        if self.type == "categorical":
            return {"choices": list(self.choices or ())}
        assert self.low is not None and self.high is not None
        cast = int if self.type == "int" else float
        return {"type": self.type, "low": cast(self.low), "high": cast(self.high), "log": self.log}


class TuningConfig(_Section):
    """``training.tuning``: tune hyperparameters before each retrain's final training.

    Each trial trains on part of the retrain's training rows with ``training.params``
    overridden by the trial's params (in a separate process, like the final training: niced,
    thread-capped, within ``training.timeout``), and is scored on the rest by ``metric``. The
    best params, merged over ``training.params``, train the challenger. The tuning is a study
    run nested in the retrain's tracked run, each trial a run of its own.

    Examples
    --------
    >>> t = TuningConfig(trials=8, space={"C": {"low": 0.01, "high": 10, "log": True}})
    >>> t.tuner, t.space["C"].type, t.timeout
    ('random', 'float', None)
    """

    trials: int = Field(20, ge=1, le=10_000)
    timeout: str | None = None
    metric: str | None = None
    direction: Literal["maximize", "minimize"] | None = None
    space: dict[str, TuningParamConfig] = Field(min_length=1)
    tuner: Literal["random", "optuna"] = "random"
    validation_fraction: float = Field(0.25, gt=0.0, lt=1.0)

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration(v)
        return v


class TrainingConfig(_Section):
    """How versions are trained: a function ``package.module:function`` or an estimator."""

    function: str | None = None
    estimator: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    nice: int = Field(10, ge=0, le=19)
    threads: int = Field(1, ge=1, le=256)
    timeout: str = "1h"
    tuning: TuningConfig | None = None

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, v: str) -> str:
        parse_duration(v)
        return v

    @field_validator("function", "estimator")
    @classmethod
    def _import_path(cls, v: str | None) -> str | None:
        if v is not None and not _CALLABLE.match(v):
            raise ValueError("must be an import path 'package.module:name'")
        return v

    @model_validator(mode="after")
    def _one_of(self) -> TrainingConfig:
        if (self.function is None) == (self.estimator is None):
            raise ValueError("give exactly one of 'function' (package.module:function) or "
                             "'estimator' (for example sklearn.linear_model:LogisticRegression)")
        return self


class ReferenceConfig(_Section):
    """The data a version is registered with; a holdout of it becomes the drift reference."""

    path: str
    holdout_fraction: float = Field(0.25, gt=0.0, lt=1.0)
    max_rows: int | None = Field(None, gt=0)


class ArtifactsConfig(_Section):
    """Where model artifacts live and which formats may be loaded."""

    root: str = "artifacts"
    trusted_types: list[str] = Field(default_factory=list)
    allow_pickle: bool = False


def _env_name(v: str) -> str:
    if not _ENV.match(v):
        raise ValueError("must be the NAME of an environment variable (letters, digits, '_'), "
                         "never the token itself")
    return v


class AuthConfig(_Section):
    """The names of the environment variables holding the tokens (never the tokens)."""

    token_env: str = "DRIFTLINE_TOKEN"
    admin_token_env: str = "DRIFTLINE_ADMIN_TOKEN"

    _check = field_validator("token_env", "admin_token_env")(classmethod(
        lambda cls, v: _env_name(v)))

    @model_validator(mode="after")
    def _distinct(self) -> AuthConfig:
        if self.token_env == self.admin_token_env:
            raise ValueError("token_env and admin_token_env must name different variables: "
                             "the admin token must not be the predict/feedback token")
        return self


class LoggingConfig(_Section):
    """How predictions reach the log: ``durable`` answers only after the commit (group
    commit keeps it fast); ``best_effort`` answers first and counts every loss."""

    mode: Literal["durable", "best_effort"] = "durable"
    batch_size: int = Field(500, gt=0, le=100_000)
    flush_interval_ms: int = Field(200, gt=0, le=60_000)


class LimitsConfig(_Section):
    """Request limits of the serving endpoints."""

    max_rows_per_request: int = Field(10_000, gt=0)
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0)


class RetentionConfig(_Section):
    """How long logged rows are kept."""

    days: int | None = Field(None, gt=0)
    action: Literal["delete", "downsample"] = "delete"
    downsample_fraction: float = Field(0.1, gt=0.0, lt=1.0)


class PrivacyConfig(_Section):
    """Columns that hold personal data: stored hashed, or not stored at all."""

    pii_columns: dict[str, Literal["hash", "drop"]] = Field(default_factory=dict)
    hash_salt_env: str = "DRIFTLINE_PII_SALT"

    _check = field_validator("hash_salt_env")(classmethod(lambda cls, v: _env_name(v)))


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``"90s"``, ``"15m"``, ``"1h"``, ``"2d"``, ``"1w"`` (or a number of seconds).

    Examples
    --------
    >>> parse_duration("1h"), parse_duration(30)
    (3600.0, 30.0)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("must be a positive duration")
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError("must be a duration such as 90s, 15m, 1h, 2d or 1w")
    return float(m.group(1)) * _UNIT_S[m.group(2)]


class WindowConfig(_Section):
    """How the prediction log is cut into monitoring windows: by rows or by time.

    Examples
    --------
    >>> WindowConfig(time="1h", step="15m").step
    '15m'
    >>> WindowConfig(rows=500, time="1h")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for WindowConfig
    ...
    """

    rows: int | None = Field(None, gt=0)
    time: str | None = None
    step: str | int | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> WindowConfig:
        if (self.rows is None) == (self.time is None):
            raise ValueError("give exactly one of 'rows' (a row count) or 'time' (a duration "
                             "such as 1h)")
        if self.time is not None:
            parse_duration(self.time)
            if self.step is not None:
                parse_duration(self.step)
        elif self.step is not None and (not isinstance(self.step, int) or self.step < 1):
            raise ValueError("step of a row window must be a positive number of rows")
        return self


class MonitoringConfig(_Section):
    """Monitoring windows and the minimum data for a verdict.

    ``engine`` says how each window's per-feature drift tests run: ``exact`` on the window's
    rows, or ``profile`` on mergeable profiles built as predictions are logged (see
    docs/monitoring.md, "Monitoring on profiles"). The profile engine needs tumbling windows.

    Examples
    --------
    >>> MonitoringConfig().engine
    'exact'
    >>> MonitoringConfig.model_validate({"engine": "profile", "window": {"time": "1h"}}).engine
    'profile'
    >>> MonitoringConfig.model_validate({"engine": "profile", "window": {"rows": 500, "step": 100}})
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for MonitoringConfig
    ...engine 'profile' needs a tumbling window...
    """

    window: WindowConfig = Field(default_factory=lambda: WindowConfig(rows=1000))
    min_rows: int = Field(200, gt=0)
    min_labels: int = Field(100, gt=0)
    alpha: float = Field(0.05, gt=0.0, lt=1.0)
    every: str = "1m"
    segments: list[str] = Field(default_factory=list)
    max_segments: int = Field(20, gt=0, le=1000)
    concept_drift: ConceptDriftConfig = Field(default_factory=ConceptDriftConfig)
    outliers: OutlierConfig = Field(default_factory=OutlierConfig)
    estimate: bool = True
    multivariate: list[MultivariateMethod] = Field(default_factory=list)
    engine: Literal["exact", "profile"] = "exact"

    @field_validator("every")
    @classmethod
    def _every(cls, v: str) -> str:
        parse_duration(v)
        return v

    @model_validator(mode="after")
    def _profile_windows_tumble(self) -> MonitoringConfig:
        w = self.window
        if self.engine != "profile" or w.step is None:
            return self
        sliding = (w.step != w.rows if w.rows is not None
                   else parse_duration(w.step) != parse_duration(str(w.time)))
        if sliding:
            size = w.rows if w.rows is not None else w.time
            raise ValueError(f"engine 'profile' needs a tumbling window (window.step left out or "
                             f"equal to the window's size {size!r}); got step {w.step!r}. Use "
                             "engine 'exact' for sliding windows")
        return self


_SPAN_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|min|m|s)")  # one part of "1h30m"
_SPAN_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "min": 60, "m": 60, "s": 1}
TRIGGER_PARAMS: dict[str, tuple[str, ...]] = {
    "on_demand": (),
    "on_schedule": ("cron",),
    "on_data_drift": ("features", "share", "persistence", "methods"),
    "on_performance_degradation": ("metric", "max_drop", "relative", "persistence", "min_coverage",
                                   "higher_is_better", "concept_drift", "estimated"),
    "on_concept_drift": ("min_events", "detectors", "worse_only"),
    "on_new_data": ("min_rows",),
    "on_model_age": ("max_age",),
}
_REQUIRED = {"on_schedule": ("cron",), "on_performance_degradation": ("metric", "max_drop"),
             "on_new_data": ("min_rows",), "on_model_age": ("max_age",)}


def _timedelta(v: Any) -> Any:
    """``"6h"``, ``"1h30m"``, ``"2d"``, ``"1w"``, ``"90s"`` or a number of seconds, as a timedelta."""
    if v is None or isinstance(v, timedelta):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0:
        return timedelta(seconds=v)
    text = str(v).strip().lower().replace(" ", "")
    if isinstance(v, str) and text.replace(".", "", 1).isdigit():
        return timedelta(seconds=float(text))
    parts = _SPAN_PART.findall(text)
    if isinstance(v, str) and parts and "".join(n + u for n, u in parts) == text:
        return timedelta(seconds=sum(float(n) * _SPAN_SECONDS[u] for n, u in parts))
    raise ValueError("must be a duration such as '6h', '30min', '1h30m', '2d', '1w' or a number of "
                     "seconds")


def _check_cron(cron: str) -> None:
    from driftline.errors import require

    croniter = require("croniter", extra="serve", feature="Scheduled retraining").croniter
    if not croniter.is_valid(cron):
        raise ValueError(f"cron {cron!r} is not a cron expression with 5 fields (minute hour day "
                         "month weekday), e.g. '0 3 * * 1' for Mondays at 03:00 UTC")


class TriggerConfig(_Section):
    """One retraining trigger: ``type`` and that type's parameters (see docs/policies.md).

    Examples
    --------
    >>> TriggerConfig.model_validate({"type": "on_data_drift", "persistence": [2, 3]}).persistence
    (2, 3)
    >>> TriggerConfig.model_validate({"type": "on_weather"})
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TriggerConfig
    ...unknown trigger type 'on_weather'; expected one of on_demand, on_schedule, ...
    """

    type: Literal["on_demand", "on_schedule", "on_data_drift", "on_performance_degradation",
                  "on_concept_drift", "on_new_data", "on_model_age"]
    cron: str | None = None
    features: list[str] | None = None
    share: float | None = Field(None, gt=0.0, le=1.0)
    persistence: tuple[int, int] | None = None
    metric: str | None = None
    max_drop: float | None = Field(None, ge=0.0)
    relative: bool = False
    min_coverage: float | None = Field(None, ge=0.0, le=1.0)
    higher_is_better: bool | None = None
    min_rows: int | None = Field(None, ge=1)
    max_age: timedelta | None = None
    concept_drift: bool | None = None
    estimated: bool | None = None
    methods: list[MultivariateMethod] | None = None
    min_events: int | None = Field(None, ge=1)
    detectors: list[str] | None = None
    worse_only: bool | None = None

    _durations = field_validator("max_age", mode="before")(classmethod(lambda cls, v: _timedelta(v)))

    @model_validator(mode="before")
    @classmethod
    def _known(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("each trigger must be a mapping such as {type: on_data_drift}")
        kind = data.get("type")
        if kind not in TRIGGER_PARAMS:
            raise ValueError(f"unknown trigger type {kind!r}; expected one of "
                             + ", ".join(TRIGGER_PARAMS))
        extra = sorted(set(data) - {"type", *TRIGGER_PARAMS[kind]})
        if extra:
            allowed = ", ".join(TRIGGER_PARAMS[kind]) or "no parameters"
            raise ValueError(f"{kind} takes {allowed}; got unknown parameter(s) {', '.join(extra)}")
        missing = [p for p in _REQUIRED.get(kind, ()) if data.get(p) is None]
        if missing:
            raise ValueError(f"{kind} needs {', '.join(missing)}")
        return data

    @model_validator(mode="after")
    def _values(self) -> TriggerConfig:
        if self.cron is not None:
            _check_cron(self.cron)
        if self.persistence is not None and not 1 <= self.persistence[0] <= self.persistence[1]:
            raise ValueError("persistence must be [k, m] with 1 <= k <= m, e.g. [2, 3]")
        return self


class PoliciesConfig(_Section):
    """The retraining policy: a stage preset or your own triggers, the mode and the guards.

    Examples
    --------
    >>> cfg = PoliciesConfig.model_validate({"stage": 4, "cooldown": "1h30m", "min_rows": 200})
    >>> cfg.cooldown, cfg.quality_gate
    (datetime.timedelta(seconds=5400), True)
    """

    stage: int | None = Field(None, ge=1, le=4)
    mode: Literal["stateless", "stateful"] | None = None
    cooldown: timedelta | None = None
    min_rows: int | None = Field(None, ge=0)
    quality_gate: bool = True
    cron: str | None = None
    triggers: list[TriggerConfig] = Field(default_factory=list)
    combine: Literal["any", "all"] = "any"

    _durations = field_validator("cooldown", mode="before")(classmethod(lambda cls, v: _timedelta(v)))

    @model_validator(mode="after")
    def _preset_or_own(self) -> PoliciesConfig:
        if self.stage is not None and self.triggers:
            raise ValueError("give either 'stage' (a preset, 1-4) or 'triggers' (your own), not both")
        if self.cron is not None:
            if self.triggers or self.stage not in (2, 3):
                raise ValueError("'cron' sets the schedule of stages 2 and 3; with your own "
                                 "triggers use {type: on_schedule, cron: ...}")
            _check_cron(self.cron)
        return self


class WebhookConfig(_Section):
    """A webhook that receives events as JSON."""

    url: str
    token_env: str | None = None

    _check = field_validator("token_env")(classmethod(
        lambda cls, v: v if v is None else _env_name(v)))

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v


class AlertmanagerConfig(_Section):
    """Prometheus Alertmanager's address (its API v2 receives the alerts)."""

    url: str
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v


class AlertsConfig(_Section):
    """Where the loop's events go, and how often the same one may repeat.

    Examples
    --------
    >>> AlertsConfig(webhooks=[{"url": "https://hooks.example/x"}], cooldown="10m").cooldown
    '10m'
    """

    webhooks: list[WebhookConfig] = Field(default_factory=list)
    alertmanager: AlertmanagerConfig | None = None
    cooldown: str = "30m"

    @field_validator("cooldown")
    @classmethod
    def _cooldown(cls, v: str) -> str:
        parse_duration(v)
        return v


class ProjectConfig(_Section):
    """A project file, version 1.

    Examples
    --------
    >>> cfg = ProjectConfig.model_validate({
    ...     "version": 1,
    ...     "model": {"name": "credit", "task": "binary", "target": "default"},
    ...     "training": {"function": "credit_model:train"},
    ...     "reference": {"path": "reference.csv"},
    ... })
    >>> cfg.store.url, cfg.logging.mode, cfg.artifacts.allow_pickle
    ('sqlite:///driftline.db', 'durable', False)
    """

    version: Literal[1]
    store: StoreConfig = Field(default_factory=StoreConfig)
    model: ModelConfig
    training: TrainingConfig
    reference: ReferenceConfig
    artifacts: ArtifactsConfig = Field(default_factory=ArtifactsConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    policies: PoliciesConfig = Field(default_factory=PoliciesConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    compute: ComputeConfig = Field(default_factory=ComputeConfig)

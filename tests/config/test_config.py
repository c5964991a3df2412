"""The project file: validation messages, paths, and the user's code on sys.path."""

from __future__ import annotations

import sys
import textwrap

import pytest

from driftline.config import load_project, validate
from driftline.errors import ConfigError

MINIMAL = """
version: 1
model: {name: credit, task: binary, target: default}
training: {function: credit_model:train}
reference: {path: data/reference.csv}
"""


@pytest.fixture
def project_dir(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "reference.csv").write_text("income,default\n1.0,0\n")
    return tmp_path


def write(folder, text, name="driftline.yaml"):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_minimal_file_gets_defaults(project_dir):
    project = load_project(write(project_dir, MINIMAL))
    cfg = project.config
    assert cfg.version == 1 and cfg.model.task == "binary"
    assert cfg.logging.mode == "durable" and cfg.artifacts.allow_pickle is False
    assert cfg.auth.token_env == "DRIFTLINE_TOKEN"
    assert project.reference_path == (project_dir / "data" / "reference.csv").resolve()
    assert project.store_url == f"sqlite:///{(project_dir / 'driftline.db').resolve()}"


def test_full_file(project_dir):
    text = MINIMAL + """
store: {url: "postgresql://127.0.0.1:5432/test"}
artifacts: {root: models, trusted_types: [sklearn.linear_model.LogisticRegression], allow_pickle: true}
auth: {token_env: CREDIT_TOKEN, admin_token_env: CREDIT_ADMIN}
logging: {mode: best_effort}
limits: {max_rows_per_request: 500}
retention: {days: 30, action: downsample, downsample_fraction: 0.2}
privacy: {pii_columns: {email: drop, name: hash}}
monitoring: {}
policies: {}
alerts: {}
"""
    cfg = load_project(write(project_dir, text)).config
    assert cfg.store.url.startswith("postgresql://")
    assert cfg.privacy.pii_columns == {"email": "drop", "name": "hash"}
    assert cfg.retention.days == 30 and cfg.limits.max_rows_per_request == 500


@pytest.mark.parametrize("patch, expected", [
    ("model: {name: credit, task: binary, target: default, colour: red}",
     "unknown key 'model.colour'; allowed here: features, name, schema, target, task"),
    ("model: {name: credit, task: classification, target: default}",
     "model.task input should be 'binary', 'multiclass' or 'regression'; got 'classification'"),
    ("model: {name: 'credit model', task: binary, target: default}", "model.name must be"),
    ("model: {task: binary, target: default}", "missing required key 'model.name'"),
])
def test_model_errors_name_the_key_and_the_allowed_values(project_dir, patch, expected):
    text = MINIMAL.replace("model: {name: credit, task: binary, target: default}", patch)
    with pytest.raises(ConfigError) as info:
        load_project(write(project_dir, text))
    assert expected in str(info.value)
    assert str(info.value).startswith("driftline.yaml: ")


def test_unknown_top_level_key_lists_the_sections(project_dir):
    with pytest.raises(ConfigError, match="unknown key 'monitor'; allowed here: alerts, artifacts"):
        load_project(write(project_dir, MINIMAL + "monitor: {}\n"))


def test_wrong_type_and_bad_values(project_dir):
    with pytest.raises(ConfigError, match=r"limits.max_rows_per_request .*got 'many'"):
        load_project(write(project_dir, MINIMAL + "limits: {max_rows_per_request: many}\n"))
    with pytest.raises(ConfigError, match="never the token itself"):
        load_project(write(project_dir, MINIMAL + "auth: {token_env: 's3cr3t value'}\n"))
    with pytest.raises(ConfigError, match="must name different variables"):
        load_project(write(project_dir, MINIMAL + "auth: {token_env: A, admin_token_env: A}\n"))
    with pytest.raises(ConfigError, match="version input should be 1"):
        load_project(write(project_dir, MINIMAL.replace("version: 1", "version: 2")))


def test_training_needs_exactly_one_source(project_dir):
    both = MINIMAL.replace("training: {function: credit_model:train}",
                           "training: {function: a:b, estimator: sklearn.linear_model:Ridge}")
    with pytest.raises(ConfigError, match="give exactly one of 'function'"):
        load_project(write(project_dir, both))
    bad = MINIMAL.replace("credit_model:train", "credit_model.train")
    with pytest.raises(ConfigError, match=r"import path 'package\.module:name'"):
        load_project(write(project_dir, bad))


def test_missing_files_and_bad_yaml(project_dir):
    with pytest.raises(ConfigError, match="does not exist; create it"):
        load_project(project_dir / "nope.yaml")
    with pytest.raises(ConfigError, match=r"reference.path 'data/missing.csv' does not exist"):
        load_project(write(project_dir, MINIMAL.replace("reference.csv", "missing.csv")))
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_project(write(project_dir, "version: 1\nmodel: {name: [\n"))
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_project(write(project_dir, "- 1\n- 2\n"))


def test_user_code_is_found_next_to_the_project_file(project_dir, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    (project_dir / "credit_model.py").write_text("def train(data, *, previous=None, params):\n"
                                                  "    return 'trained'\n")
    project = load_project(write(project_dir, MINIMAL))
    train = project.load_callable(project.config.training.function)
    assert train(None, params={}) == "trained"
    assert sys.path[0] == str(project_dir.resolve())
    with pytest.raises(ConfigError, match="has no attribute 'fit'"):
        project.load_callable("credit_model:fit")
    with pytest.raises(ConfigError, match="cannot import module 'no_such_pkg'"):
        project.load_callable("no_such_pkg:train")
    sys.modules.pop("credit_model", None)


def test_validate_accepts_a_mapping():
    cfg = validate({"version": 1, "model": {"name": "m", "task": "regression", "target": "y"},
                    "training": {"estimator": "sklearn.linear_model:Ridge", "params": {"alpha": 1}},
                    "reference": {"path": "r.parquet"}})
    assert cfg.training.params == {"alpha": 1}

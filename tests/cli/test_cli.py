"""The command line, in-process: every exit code, every bad input, the outputs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import driftline
from driftline.cli import _main, main
from driftline.cli._output import Progress

N = 600


def _frame(seed: int, shift: float = 0.0, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(shift, 1.0, n),
        "y": rng.normal(0.0, 1.0, n),
        "city": rng.choice(["ams", "ber", "cph"], n),
    })


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """ref.csv, same.parquet (no drift), shifted.csv (x drifts), plus bad inputs."""
    out = {"ref": tmp_path / "ref.csv", "same": tmp_path / "same.parquet",
           "shifted": tmp_path / "shifted.csv", "tsv": tmp_path / "same.tsv"}
    _frame(1).to_csv(out["ref"], index=False)
    _frame(2).to_parquet(out["same"])
    _frame(2).to_csv(out["tsv"], sep="\t", index=False)
    _frame(3, shift=1.5).to_csv(out["shifted"], index=False)
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("driftline: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_version(capsys) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("driftline 0.")


def test_help(capsys) -> None:
    code, out, _ = run(capsys, "report", "--help")
    assert code == 0 and "--fail-on-drift" in out


def test_no_drift_exits_0(capsys, files) -> None:
    code, out, err = run(capsys, "report", files["ref"], files["same"], "--fail-on-drift")
    assert code == 0, err
    assert out.startswith("no drift: 0 of 3 columns drifted")


def test_drift_exits_0_without_flag_and_1_with_it(capsys, files) -> None:
    code, out, _ = run(capsys, "report", files["ref"], files["shifted"])
    assert code == 0
    assert out.startswith("DRIFT DETECTED: 1 of 3 columns drifted")
    assert "\n  x  " in out
    code, _, _ = run(capsys, "report", files["ref"], files["shifted"], "--fail-on-drift")
    assert code == 1


def test_json_to_stdout_and_summary_to_stderr(capsys, files) -> None:
    code, out, err = run(capsys, "report", files["ref"], files["shifted"], "--json", "-")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "driftline.drift_report/1"
    assert data["drifted"] is True and data["columns"]["x"]["drifted"] is True
    assert err.startswith("DRIFT DETECTED")


def test_json_and_html_files(capsys, files, tmp_path) -> None:
    json_path, html_path = tmp_path / "out.json", tmp_path / "out.html"
    code, out, _ = run(capsys, "report", files["ref"], files["shifted"], "--json", json_path,
                       "--html", html_path)
    assert code == 0 and out.startswith("DRIFT DETECTED")
    assert json.loads(json_path.read_text())["schema"] == "driftline.drift_report/1"
    html = html_path.read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "city" in html


def test_csv_tsv_and_parquet_inputs(capsys, files) -> None:
    results = []
    for current in (files["same"], files["tsv"]):
        code, out, err = run(capsys, "report", files["ref"], current, "--json", "-")
        assert code == 0, err
        results.append(json.loads(out))
    assert results[0]["columns"] == results[1]["columns"]
    assert results[0]["n_current"] == N


def test_options_reach_compare(capsys, files) -> None:
    code, out, _ = run(capsys, "report", files["ref"], files["shifted"], "--json", "-",
                       "--columns", "y,city", "--alpha", "0.01", "--correction", "bonferroni",
                       "--method", "auto", "--fail-on-drift")
    assert code == 0  # only the shifted column x drifts, and it is left out
    data = json.loads(out)
    assert set(data["columns"]) == {"y", "city"}
    assert data["rule"]["alpha"] == 0.01 and data["rule"]["correction"] == "bonferroni"


def test_target_column(capsys, files) -> None:
    code, out, _ = run(capsys, "report", files["ref"], files["shifted"], "--json", "-",
                       "--target", "city")
    assert code == 0
    assert json.loads(out)["target_drift"] == "city"


def test_quiet_prints_nothing(capsys, files, monkeypatch) -> None:
    monkeypatch.setattr(_main, "LARGE_INPUT_ROWS", 0)
    code, out, err = run(capsys, "report", files["ref"], files["shifted"], "--quiet",
                         "--fail-on-drift")
    assert (code, out, err) == (1, "", "")


def test_progress_on_large_inputs(capsys, files, monkeypatch) -> None:
    code, _, err = run(capsys, "report", files["ref"], files["same"])
    assert "comparing columns" not in err  # small input: no progress
    monkeypatch.setattr(_main, "LARGE_INPUT_ROWS", 100)
    code, out, err = run(capsys, "report", files["ref"], files["same"])
    assert code == 0
    assert "comparing columns 3/3" in err.splitlines()
    assert "\r" not in err  # not a terminal: plain lines
    assert "comparing" not in out


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True)
    for done in range(1, 4):
        progress(done, 3, f"c{done}")
    assert stream.getvalue() == ("\rcomparing columns 1/3\rcomparing columns 2/3"
                                 "\rcomparing columns 3/3\n")
    progress.close()  # idempotent once the line is closed
    assert stream.getvalue().endswith("3/3\n")


def _write_bad(tmp_path: Path, kind: str) -> list[str]:
    """The REFERENCE and CURRENT arguments for one kind of bad input."""
    ref = tmp_path / "ref.csv"
    _frame(1).to_csv(ref, index=False)
    bad = tmp_path / "bad.csv"
    if kind == "missing-file":
        return [str(ref), str(tmp_path / "nope.csv")]
    if kind == "unknown-extension":
        bad = tmp_path / "data.xlsx"
        bad.write_text("x\n1\n")
    elif kind == "empty-file":
        bad.write_text("")
    elif kind == "header-only":
        bad.write_text("x,y,city\n")
    elif kind == "unreadable-parquet":
        bad = tmp_path / "bad.parquet"
        bad.write_bytes(b"this is not parquet at all")
    elif kind == "directory":
        bad = tmp_path / "folder.csv"
        bad.mkdir()
    elif kind == "missing-column":
        _frame(2).drop(columns=["y"]).to_csv(bad, index=False)
    elif kind == "all-nan-column":
        _frame(2).assign(y=np.nan).to_csv(bad, index=False)
    elif kind == "mismatched-types":
        _frame(2).assign(x=["word"] * N).to_csv(bad, index=False)
    return [str(ref), str(bad)]


BAD_INPUTS = {
    "missing-file": ["current", "nope.csv", "does not exist"],
    "unknown-extension": ["data.xlsx", ".csv, .tsv, .parquet, .pq"],
    "empty-file": ["current", "is empty"],
    "header-only": ["current", "no rows"],
    "unreadable-parquet": ["current", "bad.parquet", "cannot be read as parquet"],
    "directory": ["folder.csv", "directory"],
    "missing-column": ["'y'"],
    "all-nan-column": ["'y'"],
    "mismatched-types": ["'x'"],
}


@pytest.mark.parametrize("kind", BAD_INPUTS, ids=BAD_INPUTS)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, kind) -> None:
    code, out, err = run(capsys, "report", *_write_bad(tmp_path, kind))
    assert code == 2, (out, err)
    assert_one_line_error(err, *BAD_INPUTS[kind])


USAGE = {
    "no-command": ([], "required: COMMAND"),
    "unknown-command": (["compare"], "invalid choice: 'compare'"),
    "missing-current": (["report", "a.csv"], "CURRENT"),
    "unknown-option": (["report", "a.csv", "b.csv", "--nope"], "--nope"),
    "bad-alpha-type": (["report", "a.csv", "b.csv", "--alpha", "x"], "--alpha"),
    "bad-correction": (["report", "a.csv", "b.csv", "--correction", "fdr"], "'fdr'"),
    "bad-columns": (["report", "a.csv", "b.csv", "--columns", ","], "--columns"),
    "bad-metric": (["check", "s.yaml", "a.csv", "b.csv", "--metric", "acc"], "NAME=NUMBER"),
}


@pytest.mark.parametrize("case", USAGE.values(), ids=USAGE)
def test_usage_errors_exit_2(capsys, case) -> None:
    argv, fragment = case
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(err, fragment, "--help")


def test_alpha_out_of_range_exits_2(capsys, files) -> None:
    code, _, err = run(capsys, "report", files["ref"], files["same"], "--alpha", "1.5")
    assert code == 2
    assert_one_line_error(err, "alpha", "1.5")


def test_missing_pyarrow_names_the_install_command(capsys, files, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, _, err = run(capsys, "report", files["same"], files["same"])
    assert code == 2
    assert_one_line_error(err, "pip install 'driftline[io]'")


SUITE = """
version: 1
name: gate
compare: {columns: [x, y, city]}
conditions:
  - drift_share: {max: 0.0}
  - missing_share: {column: "*", max: 0.05}
"""


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return path


def test_check_passes_exits_0(capsys, files, suite_file) -> None:
    code, out, err = run(capsys, "check", suite_file, files["ref"], files["same"])
    assert code == 0, err
    assert out.startswith("suite 'gate': PASSED (2 of 2 conditions passed)")


def test_check_fails_exits_1(capsys, files, suite_file, tmp_path) -> None:
    html = tmp_path / "check.html"
    code, out, err = run(capsys, "check", suite_file, files["ref"], files["shifted"],
                         "--json", "-", "--html", html)
    assert code == 1
    data = json.loads(out)
    assert data["schema"] == "driftline.suite_result/1" and data["passed"] is False
    assert data["report"]["schema"] == "driftline.drift_report/1"
    assert [c["verdict"] for c in data["conditions"]] == ["fail", "pass"]
    assert err.startswith("suite 'gate': FAILED") and "FAIL   drift_share" in err
    assert html.stat().st_size > 0


def test_check_metrics(capsys, files, tmp_path) -> None:
    path = tmp_path / "perf.yaml"
    path.write_text("version: 1\nconditions:\n  - performance: {accuracy: 0.9}\n")
    code, out, _ = run(capsys, "check", path, files["ref"], files["same"])
    assert code == 1 and "ERROR" in out and "not available" in out
    code, _, _ = run(capsys, "check", path, files["ref"], files["same"], "--metric",
                     "accuracy=0.95")
    assert code == 0
    code, _, _ = run(capsys, "check", path, files["ref"], files["same"], "--metric",
                     "accuracy=0.5")
    assert code == 1


BAD_SUITES = {
    "invalid-yaml": ("version: 1\nconditions: [ {drift_share: {max: 0.1}\n", "not valid YAML"),
    "unknown-condition": ("version: 1\nconditions:\n  - drift_shar: {max: 0.1}\n",
                          "unknown condition 'drift_shar'"),
    "bad-value": ("version: 1\nconditions:\n  - drift_share: {max: high}\n",
                  "conditions[0].drift_share.max"),
    "no-version": ("conditions:\n  - drift_share: {max: 0.1}\n", "version must be 1"),
}


@pytest.mark.parametrize("case", BAD_SUITES.values(), ids=BAD_SUITES)
def test_bad_suite_exits_2(capsys, files, tmp_path, case) -> None:
    text, fragment = case
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, _, err = run(capsys, "check", path, files["ref"], files["same"])
    assert code == 2
    assert_one_line_error(err, fragment)


def test_missing_suite_file_exits_2(capsys, files, tmp_path) -> None:
    code, _, err = run(capsys, "check", tmp_path / "none.yaml", files["ref"], files["same"])
    assert code == 2
    assert_one_line_error(err, "none.yaml", "does not exist")


def test_python_dash_m(capsys, monkeypatch) -> None:
    # What `python -m driftline` runs, executed in-process (runpy clashes with pytest's
    # import hooks when this file is itself collected for doctests).
    path = Path(driftline.__file__).with_name("__main__.py")
    monkeypatch.setattr(sys, "argv", ["driftline", "--version"])
    with pytest.raises(SystemExit) as info:
        exec(compile(path.read_text(), str(path), "exec"), {"__name__": "__main__"})
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("driftline ")


def test_installed_script(files) -> None:
    script = Path(sys.executable).parent / "driftline"
    assert script.exists(), "pip install -e . declares the driftline console script"
    proc = subprocess.run([str(script), "report", str(files["ref"]), str(files["shifted"]),
                           "--fail-on-drift"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("DRIFT DETECTED")


def test_correction_choices_follow_the_library() -> None:
    from driftline.stats import CORRECTIONS

    assert _main._CORRECTIONS == CORRECTIONS  # kept literal so --version stays numpy-free


def test_library_warnings_are_one_line_each(capsys, tmp_path) -> None:
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("x,c\n1,a\n2,b\n3,a\n")
    cur.write_text("x,c\n1,a\n2,z\n5,a\n")
    code, out, err = run(capsys, "report", ref, cur)
    assert code == 0 and out
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("driftline: warning: ") for line in lines), err
    assert len(lines) == len(set(lines))
    assert run(capsys, "report", ref, cur, "--quiet")[1:] == ("", "")

"""Run the code blocks of one Markdown file in order, the way a reader would.

Each file gets a fresh temporary working directory and one Python namespace: a Python block may use
names and files that earlier blocks of the same file made. Shell blocks marked ``run`` execute with
``bash -eo pipefail`` in that directory, with the virtual environment's ``bin`` first on ``PATH``.
Blocks with ``file=NAME`` are written to the directory instead (and still validated). The results
are kept per process, so each block runs once however the tests are ordered or distributed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.docs.blocks import Block

__all__ = ["MINIMAL_PROJECT", "FileRun", "Outcome", "check_yaml", "cleanup", "run_file_until"]

# What a project-fragment block is merged into before it is validated.
MINIMAL_PROJECT: dict[str, Any] = {
    "version": 1,
    "model": {"name": "credit", "task": "binary", "target": "default"},
    "training": {"function": "credit_model:train"},
    "reference": {"path": "reference.csv"},
}


@dataclass(frozen=True)
class Outcome:
    """What running (or checking) one block gave: ``ok``, ``skipped`` or ``failed`` with why."""

    status: str
    detail: str = ""


@dataclass
class FileRun:
    """The state of one Markdown file's run in this process."""

    blocks: list[Block]
    workdir: Path
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__main__"})
    outcomes: list[Outcome] = field(default_factory=list)


_RUNS: dict[str, FileRun] = {}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def check_yaml(block: Block) -> None:
    """Validate a YAML block: a project file (the default), a fragment of one, a suite, or YAML that
    is something else and says what (it must still parse)."""
    import yaml

    data = yaml.safe_load(block.code)
    marker = block.marker
    if marker.not_a_project:
        return
    if marker.suite:
        from driftline.drift import Suite

        Suite.from_dict(data)
        return
    from driftline.config import ProjectConfig

    if marker.project_fragment:
        assert isinstance(data, dict), "a project fragment is a mapping of top-level keys"
        data = _merge(MINIMAL_PROJECT, data)
    ProjectConfig.model_validate(data)


@contextlib.contextmanager
def _inside(workdir: Path) -> Iterator[None]:
    """Run with ``workdir`` as the current directory; afterwards forget the modules imported from
    it and the ``sys.path`` entries that point into it, so files do not leak into each other."""
    old_cwd, old_path = os.getcwd(), list(sys.path)
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        root = str(workdir.resolve())
        sys.path[:] = [p for p in sys.path if not str(Path(p or ".").resolve()).startswith(root)
                       or p in old_path]
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None) or ""
            if origin and str(Path(origin).resolve()).startswith(root):
                del sys.modules[name]


def _shell_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _run_shell(block: Block, workdir: Path) -> Outcome:
    try:
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", block.code], cwd=workdir,
                              env=_shell_env(), capture_output=True, text=True,
                              timeout=block.marker.timeout)
    except subprocess.TimeoutExpired:
        return Outcome("failed", f"timed out after {block.marker.timeout:g} s")
    if done.returncode != block.marker.exit:
        return Outcome("failed", f"exit code {done.returncode}, expected {block.marker.exit}\n"
                                 f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}")
    return Outcome("ok")


def _run_python(block: Block, run: FileRun) -> Outcome:
    # Pad with blank lines so that tracebacks give the line numbers of the Markdown file.
    source = "\n" * (block.line - 1) + block.code
    code = compile(source, block.path, "exec")
    if block.marker.file:
        return Outcome("ok")
    with _inside(run.workdir):
        exec(code, run.namespace)
    return Outcome("ok")


def _step(block: Block, run: FileRun) -> Outcome:
    marker = block.marker
    if marker.skip:
        return Outcome("skipped", marker.skip)
    if block.kind == "other":
        return Outcome("ok")
    try:
        if marker.file:
            target = run.workdir / marker.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
        if block.kind == "python":
            return _run_python(block, run)
        if block.kind == "yaml":
            check_yaml(block)
        elif block.kind == "json":
            json.loads(block.code)
        elif block.kind == "shell":
            if not marker.run:
                return Outcome("failed", "a shell block needs <!-- doc: run --> or "
                                         "<!-- doc: skip (reason) --> on the line above it")
            return _run_shell(block, run.workdir)
    except (Exception, SystemExit):  # a block that calls sys.exit() fails like any other
        return Outcome("failed", traceback.format_exc())
    return Outcome("ok")


def run_file_until(path: str, blocks: list[Block], index: int) -> Outcome:
    """Run ``blocks`` (all the blocks of ``path``) in order up to ``index`` in this process, once,
    and give the outcome of block ``index``. After a failed block the rest of the file is not
    run: their outcome is ``skipped`` with the failing block's location."""
    run = _RUNS.get(path)
    if run is None:
        workdir = Path(tempfile.mkdtemp(prefix="driftline-docs-"))
        run = _RUNS[path] = FileRun(blocks, workdir)
    while len(run.outcomes) <= index:
        block = run.blocks[len(run.outcomes)]
        failed = next((run.blocks[i] for i, o in enumerate(run.outcomes) if o.status == "failed"),
                      None)
        if failed is not None:
            run.outcomes.append(Outcome("skipped", f"not run: the block at {failed.id} failed"))
            continue
        run.outcomes.append(_step(block, run))
    return run.outcomes[index]


def cleanup() -> None:
    """Delete the working directories of the files run in this process."""
    for run in _RUNS.values():
        shutil.rmtree(run.workdir, ignore_errors=True)
    _RUNS.clear()

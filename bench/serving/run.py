"""Serving benchmark: driftline's server, a bare FastAPI app and MLServer, side by side.

    .venv/bin/python bench/serving/run.py                                   # all three, 3 rounds
    .venv/bin/python bench/serving/run.py --only bare,mlserver --duration 10 --repeats 1

Each setup serves the same scikit-learn Pipeline (``model.py``) over the Open Inference
Protocol v2 and gets the same one-row request. The server runs on core 1 (``taskset -c 1``),
the load generator on core 0: ``wrk -t1 -c8`` (concurrency 8) with ``post.lua``. Every
measurement starts a fresh server, waits for ``/v2/models/<name>/ready``, checks one request,
warms up, then runs wrk; the setups take turns in a rotating order for ``--repeats`` rounds.
Servers and wrk run at niceness ``--nice`` (-10 by default, when root), as in bench/run.py.
Results go to bench/out/serving/results.json (rewritten: ratios are only meaningful within one
run) and a markdown table goes to stdout. A server that does not start stops the run, with the
tail of its log.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
sys.path[:0] = [str(HERE), str(BENCH)]

import _results  # noqa: E402
import model  # noqa: E402

SETUPS = ("driftline", "bare", "mlserver")
CONCURRENCY = 8
CLIENT_CPU, SERVER_CPU = "0", "1"
READY_TIMEOUT_S = 120
STOP_TIMEOUT_S = 15
MAIN_BIN = ROOT / ".venv" / "bin"
MLSERVER_BIN = BENCH / ".venv-mlserver" / "bin"
LOGS = model.OUT / "logs"
RESULTS = model.OUT / "results.json"
# One token for the whole run: driftline's server reads it from DRIFTLINE_TOKEN, and wrk sends
# it to every server so that the three get byte-identical requests.
TOKEN = secrets.token_hex(16)
ADMIN_TOKEN = secrets.token_hex(16)  # set so that no admin endpoint is open; never used
# Niceness of the servers and wrk (inherited from this process), as in bench/run.py: on a shared
# machine a raised priority keeps other work off the measured cores; it needs root.
DEFAULT_NICE = -10
TARGETS = {"rps_ratio_vs_mlserver": (">=", 1.0), "p99_ratio_vs_mlserver": ("<=", 1.0),
           "logging_overhead": ("<=", 0.15)}


class BenchError(RuntimeError):
    """A setup that cannot be measured; the message says why and what to do."""


@dataclass(frozen=True)
class Server:
    """How to start one setup and where to reach it."""

    name: str
    command: list[str]
    cwd: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def url(self, action: str) -> str:
        return f"http://127.0.0.1:{self.port}/v2/models/{model.MODEL_NAME}/{action}"


def renice(niceness: int) -> None:
    """Set this process's niceness, and its session's autogroup niceness (under Linux autogroup
    scheduling, plain nice only ranks processes within one session). Skipped without root."""
    with suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    with suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(niceness))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bare_server(built: model.Built) -> Server:
    port = free_port()
    command = [str(MAIN_BIN / "python"), "-m", "uvicorn", "bare_app:app", "--app-dir", str(HERE),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log",
               "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]
    env = {"BENCH_MODEL_PATH": str(built.model_path), "BENCH_MODEL_NAME": model.MODEL_NAME}
    return Server("bare", command, HERE, port, env,
                  {"stack": "FastAPI + uvicorn (uvloop, httptools), 1 worker, no access log",
                   "logging": "none"})


def mlserver_server(built: model.Built, workers: int) -> Server:
    if not (MLSERVER_BIN / "mlserver").exists():
        raise BenchError("bench/.venv-mlserver is missing; create it with "
                         "`bash bench/setup_peers.sh mlserver`")
    port, grpc_port, metrics_port = free_port(), free_port(), free_port()
    settings = {"debug": False, "parallel_workers": workers, "host": "127.0.0.1",
                "http_port": port, "grpc_port": grpc_port, "metrics_port": metrics_port}
    (built.mlserver_dir / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    notes = {"settings": {k: settings[k] for k in ("debug", "parallel_workers")},
             "parallel_workers_default": 1,
             "parallel_workers_note": "0 runs inference in the server's own process (the server "
                                      "has one core); MLServer 1.7.1's default, 1, sends each "
                                      "request to one separate inference worker process",
             "debug_note": "debug=false turns off uvicorn's access log (the bare app runs without one too)",
             "version": _venv_version(MLSERVER_BIN / "python", "mlserver")}
    return Server("mlserver", [str(MLSERVER_BIN / "mlserver"), "start", "."],
                  built.mlserver_dir, port, {}, notes)


def driftline_server(built: model.Built) -> Server:
    port = free_port()
    command = [str(MAIN_BIN / "driftline"), "serve", str(built.project_yaml),
               "--host", "127.0.0.1", "--port", str(port)]
    return Server("driftline", command, built.project_yaml.parent, port, _driftline_env(),
                  {"logging": "durable (SQLite store)",
                   "version": _venv_version(MAIN_BIN / "python", "driftline")})


def _driftline_env() -> dict[str, str]:
    return {"DRIFTLINE_TOKEN": TOKEN, "DRIFTLINE_ADMIN_TOKEN": ADMIN_TOKEN}


def _venv_version(python: Path, package: str) -> str | None:
    proc = subprocess.run([str(python), "-c", f"import importlib.metadata as m; "
                           f"print(m.version({package!r}))"], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() or None


def train_driftline(built: model.Built) -> None:
    """``driftline train --promote``: v1 becomes the champion that ``driftline serve`` loads."""
    command = [str(MAIN_BIN / "driftline"), "train", str(built.project_yaml), "--promote"]
    proc = subprocess.run(command, cwd=built.project_yaml.parent, capture_output=True, text=True,
                          env={**os.environ, **_driftline_env()}, check=False)
    if proc.returncode != 0:
        raise BenchError(f"`{' '.join(command)}` failed with exit code {proc.returncode}:\n"
                         f"{_tail(proc.stdout + proc.stderr)}")


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


@contextmanager
def running(server: Server, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start the server on the server core, wait until it is ready, and always stop it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *server.command], cwd=server.cwd,
                                env={**os.environ, **server.env}, stdout=log,
                                stderr=subprocess.STDOUT, process_group=0)
    try:
        _wait_ready(server, proc, log_path)
        yield proc
    finally:
        _stop(proc)


def _wait_ready(server: Server, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{server.name} exited with code {proc.returncode} before it was "
                             f"ready; the end of {log_path}:\n{_tail(log_path.read_text())}")
        status, _ = _http(server.url("ready"))
        if status == 200:
            return
        time.sleep(0.2)
    raise BenchError(f"{server.name} was not ready after {READY_TIMEOUT_S} s "
                     f"({server.url('ready')}); the end of {log_path}:\n"
                     f"{_tail(log_path.read_text())}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (it leads it), SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with suppress(ProcessLookupError):  # children that outlived the leader (MLServer's workers)
        os.killpg(proc.pid, signal.SIGKILL)


def _http(url: str, body: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def check_answer(server: Server, body: bytes, log_path: Path) -> Any:
    """One request before the load: it must succeed and carry a ``predict`` output."""
    status, answer = _http(server.url("infer"), body)
    try:
        outputs = {o["name"]: o["data"] for o in json.loads(answer)["outputs"]}
        return outputs["predict"]
    except (ValueError, KeyError, TypeError):
        raise BenchError(f"{server.name} answered the check request with HTTP {status}: "
                         f"{answer[:500]!r}; the end of {log_path}:\n"
                         f"{_tail(log_path.read_text())}") from None


def wrk(server: Server, request_path: Path, seconds: float) -> dict[str, Any]:
    """``wrk -t1 -c8`` on the client core; the figures ``post.lua`` prints as JSON."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed: `sudo apt-get install -y wrk` (Debian).")
    command = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{CONCURRENCY}", f"-d{seconds:g}s",
               "--timeout", "10s", "-s", str(HERE / "post.lua"), server.url("infer")]
    env = {**os.environ, "BENCH_BODY": str(request_path), "BENCH_TOKEN": TOKEN}
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise BenchError(f"wrk gave no figures (exit code {proc.returncode}):\n"
                     f"{_tail(proc.stdout + proc.stderr)}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its children (MLServer's workers)."""
    import psutil

    proc = psutil.Process(pid)
    total = sum(proc.cpu_times()[:2])
    for child in proc.children(recursive=True):
        with suppress(psutil.NoSuchProcess):
            total += sum(child.cpu_times()[:2])
    return float(total)


def measure(server: Server, built: model.Built, args: argparse.Namespace,
            log_path: Path) -> dict[str, Any]:
    """One measurement of one setup: a fresh server, a check, a warm-up, then wrk."""
    body = built.request_path.read_bytes()
    with running(server, log_path) as proc:
        prediction = check_answer(server, body, log_path)
        if args.warmup > 0:
            wrk(server, built.request_path, args.warmup)
        load = os.getloadavg()[0]
        cpu_before = cpu_seconds(proc.pid)
        figures = wrk(server, built.request_path, args.duration)
        cpu = cpu_seconds(proc.pid) - cpu_before
    figures.update(load_avg_1m=round(load, 2), prediction=prediction,
                   server_cpu_ms_per_request=round(1e3 * cpu / max(figures["requests"], 1), 3))
    return figures


def make_server(name: str, built: model.Built, args: argparse.Namespace) -> Server:
    if name == "bare":
        return bare_server(built)
    if name == "mlserver":
        return mlserver_server(built, args.mlserver_workers)
    return driftline_server(built)


def rounds(setups: list[str], repeats: int) -> Iterator[tuple[int, str]]:
    """Round r starts at setup r (mod k), so no setup always runs first or last."""
    for r in range(repeats):
        k = r % len(setups)
        for name in setups[k:] + setups[:k]:
            yield r, name


def run(args: argparse.Namespace, setups: list[str], built: model.Built) -> dict[str, Any]:
    if "driftline" in setups:
        train_driftline(built)
    results: dict[str, Any] = {name: {"runs": []} for name in setups}
    for r, name in rounds(setups, args.repeats):
        server = make_server(name, built, args)
        print(f"round {r + 1}/{args.repeats}: {name} ...", file=sys.stderr, flush=True)
        figures = measure(server, built, args, LOGS / f"{name}-{r + 1}.log")
        print(f"  {figures['rps']:.1f} req/s, p50 {figures['p50_ms']:.2f} ms, "
              f"p99 {figures['p99_ms']:.2f} ms, errors {figures['errors']}",
              file=sys.stderr, flush=True)
        results[name].update(command=server.command, notes=server.notes)
        results[name]["runs"].append({"round": r + 1, **figures})
    for entry in results.values():
        entry["median"] = _medians(entry["runs"])
    return results


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("rps", "p50_ms", "p90_ms", "p99_ms", "server_cpu_ms_per_request")
    summary: dict[str, Any] = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}
    summary["errors_total"] = sum(r["errors"] for r in runs)
    summary["n_runs"] = len(runs)
    return summary


def comparison(setups: dict[str, Any]) -> dict[str, Any]:
    """The issue's three figures, where the setups they need were measured."""
    med = {name: entry["median"] for name, entry in setups.items()}
    out: dict[str, Any] = {}
    if "driftline" in med and "mlserver" in med:
        out["rps_ratio_vs_mlserver"] = med["driftline"]["rps"] / med["mlserver"]["rps"]
        out["p99_ratio_vs_mlserver"] = med["driftline"]["p99_ms"] / med["mlserver"]["p99_ms"]
    if "driftline" in med and "bare" in med:
        out["logging_overhead"] = 1 - med["driftline"]["rps"] / med["bare"]["rps"]
    if "mlserver" in med and "bare" in med:  # context: what MLServer costs over the floor
        out["mlserver_overhead_vs_bare"] = 1 - med["mlserver"]["rps"] / med["bare"]["rps"]
    for key, (op, limit) in TARGETS.items():
        if key in out:
            met = out[key] >= limit if op == ">=" else out[key] <= limit
            out[f"{key}_target"] = {"target": f"{op} {limit:g}", "met": met}
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def markdown(record: dict[str, Any]) -> str:
    """The table of medians and the issue's ratios."""
    s = record["settings"]
    lines = [f"Serving benchmark, {record['date']}: wrk -t1 -c{s['concurrency']}, "
             f"{s['duration_s']:g} s x {s['repeats']} rounds, server on core {s['server_cpu']}, "
             f"client on core {s['client_cpu']} (medians)", "",
             "| setup | req/s | p50 ms | p99 ms | errors | server CPU ms/req |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, entry in record["setups"].items():
        m = entry["median"]
        lines.append(f"| {name} | {m['rps']:.1f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | "
                     f"{m['errors_total']} | {m['server_cpu_ms_per_request']:.2f} |")
    labels = {"rps_ratio_vs_mlserver": "throughput driftline / MLServer",
              "p99_ratio_vs_mlserver": "p99 driftline / MLServer",
              "logging_overhead": "logging overhead, 1 - driftline / bare",
              "mlserver_overhead_vs_bare": "MLServer's cost, 1 - MLServer / bare"}
    comp = record["comparison"]
    if comp:
        lines.append("")
    for key, label in labels.items():
        if key in comp:
            target = comp.get(f"{key}_target")
            verdict = (f" (target {target['target']}: {'met' if target['met'] else 'NOT met'})"
                       if target else "")
            lines.append(f"- {label}: {comp[key]:.3f}{verdict}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before each")
    parser.add_argument("--repeats", type=int, default=3, help="rounds over the setups")
    parser.add_argument("--only", default=",".join(SETUPS),
                        help=f"comma-separated setups, of: {', '.join(SETUPS)}")
    parser.add_argument("--nice", type=int, default=DEFAULT_NICE,
                        help="niceness of the servers and wrk (needs root; 0 turns it off)")
    parser.add_argument("--mlserver-workers", type=int, default=0,
                        help="MLServer's parallel_workers (0: inference in its main process)")
    args = parser.parse_args(argv)
    setups = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(setups) - set(SETUPS))
    if unknown or not setups:
        parser.error(f"--only takes names from {', '.join(SETUPS)}; got {args.only!r}")
    if args.repeats < 1 or args.duration <= 0:
        parser.error("--repeats must be >= 1 and --duration > 0")
    return args, [s for s in SETUPS if s in setups]


def main(argv: list[str] | None = None) -> int:
    args, setups = parse_args(argv)
    if args.nice:
        renice(args.nice)
    built = model.build()
    try:
        measured = run(args, setups, built)
    except BenchError as exc:
        print(f"serving benchmark failed: {exc}", file=sys.stderr)
        return 1
    record = {"date": _results.now(), "machine": _results.machine(),
              "settings": {"concurrency": CONCURRENCY, "duration_s": args.duration,
                           "warmup_s": args.warmup, "repeats": args.repeats,
                           "server_cpu": SERVER_CPU, "client_cpu": CLIENT_CPU,
                           "nice": os.getpriority(os.PRIO_PROCESS, 0),
                           "wrk": "wrk -t1 -c8 --timeout 10s -s post.lua",
                           "request": json.loads(built.request_path.read_text())},
              "setups": measured, "comparison": comparison(measured)}
    _results.save(record, RESULTS)
    print(markdown(record))
    print(f"\nwritten: {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

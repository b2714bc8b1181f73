"""Load test of the inference service on loopback: throughput and latency under concurrency.

Starts ``qmlsec``'s service with uvicorn on 127.0.0.1 in a subprocess (fresh database in
a temporary folder), registers a model, issues a predict key, then drives it with each
requested number of concurrent HTTP clients in turn, for a bounded time (or request
count) per level, and prints one row per level: throughput, p50, p99, errors, and the
ratios against the baseline level (8 clients by default) measured against the same
server in the same process. The target: throughput at every level at least the
baseline's, and p99 at most 4x p50. ``--rounds N`` repeats the levels and reports each
level's median row. Only loopback addresses are ever targeted; ``--url`` (an already
running service) must be loopback too.

Clients are asyncio tasks in one thread, each holding one keep-alive connection and
speaking minimal HTTP/1.1 (lighter than threads with an HTTP library, so on a small
machine the clients take as little CPU from the server as possible and add no GIL
contention of their own to the latencies). Exit status 1 if a level misses the target.

Usage::

    qmlsec train --out /tmp/model                       # the 8-qubit default model
    python bench/load_service.py --model-dir /tmp/model --clients 8,16,32 --duration 10
    python bench/load_service.py --model-dir /tmp/model --clients 8,32 --json
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import ipaddress
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

MAX_CLIENTS, MAX_DURATION_S, MAX_LEVELS, MAX_ROUNDS = 64, 300.0, 8, 5
P99_OVER_P50 = 4.0


def require_loopback(url: str) -> str:
    """Return ``url`` if its host is a loopback address, else exit."""
    host = urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        sys.exit(f"refusing to load-test {url!r}: only loopback addresses may be targeted")
    return url.rstrip("/")


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux ``/proc``), else ``None``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(args: argparse.Namespace) -> None:
    """Child mode: run the service on 127.0.0.1 until terminated."""
    import torch
    import uvicorn

    from qmlsec.service.app import create_app, freeze_heap
    from qmlsec.service.settings import ServiceSettings

    torch.set_num_threads(1)  # as `qmlsec serve`: one thread per request, requests in parallel
    loader = None
    if args.loader:
        module, _, attr = args.loader.partition(":")
        loader = getattr(importlib.import_module(module), attr)()
    settings = ServiceSettings.from_env(
        data_dir=args.data_dir,
        requests_per_minute=10**9,
        daily_samples=10**12,
        daily_shots=10**15,
        max_batch=max(256, args.batch),
        concurrent_per_key=MAX_CLIENTS,
    )
    app = create_app(settings, loader=loader)
    freeze_heap()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def start_server(args: argparse.Namespace, data_dir: Path, admin_key: str) -> subprocess.Popen:
    """Spawn this script in serve mode and wait for ``/healthz``."""
    cmd = [
        sys.executable,
        __file__,
        "--serve",
        "--port",
        str(args.port),
        "--data-dir",
        str(data_dir),
        "--batch",
        str(args.batch),
    ]
    if args.loader:
        cmd += ["--loader", args.loader]
    env = {**os.environ, "QMLSEC_ADMIN_KEY": admin_key}
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the service exited with code {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{args.port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    sys.exit("the service did not become healthy within 60 s")


def setup(url: str, admin_key: str, model_dir: Path) -> tuple[str, int]:
    """Register the model and issue a predict key; returns (key, n_features)."""
    admin = {"X-API-Key": admin_key}
    with httpx.Client(base_url=url, timeout=120) as c:
        r = c.post(
            "/admin/models",
            headers=admin,
            json={"model_id": "bench", "path": str(model_dir.resolve()), "tenant": "bench"},
        )
        if r.status_code != 201:
            sys.exit(f"model registration failed: {r.status_code} {r.text}")
        n_features = int(r.json()["n_features"])
        r = c.post("/admin/keys", headers=admin, json={"tenant": "bench", "scopes": ["predict"]})
        return r.json()["key"], n_features


def drive(url: str, key: str, X: np.ndarray, args: argparse.Namespace) -> dict[str, Any]:
    """Run ``args.clients`` clients; return the measured row."""
    return asyncio.run(_drive(url, key, X, args))


async def _drive(url: str, key: str, X: np.ndarray, args: argparse.Namespace) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
    body = {"output": args.output, "shots": args.shots}
    head = (
        f"POST /v1/models/bench/predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"X-API-Key: {key}\r\nContent-Type: application/json\r\n"
    )
    latencies: list[float] = []
    errors = 0
    budget = [args.requests or 10**12]
    stop = time.perf_counter() + args.duration

    async def client(i: int) -> None:
        nonlocal errors
        rng = np.random.default_rng(i)
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop and budget[0] > 0:
                budget[0] -= 1
                rows = X[rng.integers(0, len(X), size=args.batch)].tolist()
                payload = json.dumps({"inputs": rows, **body}).encode()
                t0 = time.perf_counter()
                writer.write(f"{head}Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
                status, _ = await read_response(reader)
                if status == 200:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(args.clients)))
    elapsed = time.perf_counter() - t0
    lat = np.array(latencies) * 1000
    return {
        "bench": "load_service",
        "clients": args.clients,
        "batch": args.batch,
        "output": args.output,
        "shots": args.shots,
        "requests": int(lat.size),
        "errors": int(errors),
        "seconds": round(elapsed, 3),
        "throughput_rps": round(lat.size / elapsed, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2) if lat.size else None,
        "p99_ms": round(float(np.percentile(lat, 99)), 2) if lat.size else None,
    }


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length body: (status, body)."""
    header = await reader.readuntil(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(
        (
            int(v)
            for k, _, v in (x.partition(":") for x in lines[1:])
            if k.lower() == "content-length"
        ),
        0,
    )
    return status, await reader.readexactly(length)


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The row of median throughput among repeated runs of one level."""
    ranked = sorted(rows, key=lambda r: r["throughput_rps"])
    row = dict(ranked[(len(ranked) - 1) // 2])
    row["rounds"] = len(rows)
    row["throughput_rps_all"] = [r["throughput_rps"] for r in rows]
    return row


def with_ratios(rows: list[dict[str, Any]], baseline: int) -> list[dict[str, Any]]:
    """Add ``throughput_ratio`` and ``p99_ratio`` (vs ``baseline``), ``p99_over_p50``, ``ok``."""
    base = next(r for r in rows if r["clients"] == baseline)
    for r in rows:
        r["throughput_ratio"] = round(r["throughput_rps"] / base["throughput_rps"], 3)
        r["p99_over_p50"] = round(r["p99_ms"] / r["p50_ms"], 2) if r["p50_ms"] else None
        r["p99_ratio"] = round(r["p99_ms"] / base["p99_ms"], 2) if base["p99_ms"] else None
        r["ok"] = bool(
            r["errors"] == 0
            and r["throughput_ratio"] >= 1.0
            and r["p99_over_p50"] is not None
            and r["p99_over_p50"] <= P99_OVER_P50
        )
    return rows


def table(rows: list[dict[str, Any]], baseline: int) -> str:
    """The ratio table, one line per level."""
    head = (
        f"{'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>8} "
        f"{'thr/' + str(baseline):>8} {'errors':>6} {'cpu ms/req':>10}  target"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['clients']:>7} {r['throughput_rps']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['p99_over_p50']:>8} {r['throughput_ratio']:>8} {r['errors']:>6} "
            f"{r.get('server_cpu_ms_per_request', '-'):>10}  {'met' if r['ok'] else 'MISSED'}"
        )
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, help="Saved model artifact to serve.")
    p.add_argument("--url", help="Drive an already running loopback service instead.")
    p.add_argument("--api-key", help="Admin key of the running service (with --url).")
    p.add_argument("--loader", help="module:factory of a model loader (e.g. a test double).")
    p.add_argument("--clients", default="8,32", help="Comma-separated client counts, e.g. 8,16,32.")
    p.add_argument("--baseline", type=int, default=8, help="Level the ratios are against.")
    p.add_argument("--rounds", type=int, default=1, help="Repeat the levels; median rows.")
    p.add_argument("--duration", type=float, default=10.0, help="Seconds of load per level.")
    p.add_argument("--requests", type=int, default=None, help="Stop after this many requests.")
    p.add_argument("--warmup", type=int, default=20, help="Requests before measuring.")
    p.add_argument("--batch", type=int, default=1, help="Samples per request.")
    p.add_argument("--shots", type=int, default=None, help="Shots (default: exact).")
    p.add_argument(
        "--output", default="probabilities", choices=["labels", "probabilities", "expectations"]
    )
    p.add_argument("--json", action="store_true", help="Print one JSON row.")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        args.levels = [int(c) for c in str(args.clients).split(",")]
    except ValueError:
        p.error("--clients must be comma-separated integers, e.g. 8,16,32")
    if args.baseline not in args.levels:
        args.levels = [args.baseline, *args.levels]
    if not all(1 <= c <= MAX_CLIENTS for c in args.levels) or len(args.levels) > MAX_LEVELS:
        p.error(f"--clients must be at most {MAX_LEVELS} counts in 1..{MAX_CLIENTS}")
    if not 0 < args.duration <= MAX_DURATION_S or not 1 <= args.rounds <= MAX_ROUNDS:
        p.error(f"--duration must be 0..{MAX_DURATION_S:g} s and --rounds 1..{MAX_ROUNDS}")
    if not args.serve and args.model_dir is None:
        p.error("--model-dir is required (train one with `qmlsec train --out DIR`)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.serve:
        serve(args)
        return
    from qmlsec.service.auth import new_key

    proc = None
    with tempfile.TemporaryDirectory(prefix="qmlsec-load-") as tmp:
        if args.url:
            url, admin_key = require_loopback(args.url), args.api_key or ""
        else:
            args.port = free_port()
            admin_key = new_key()[1]
            url = require_loopback(f"http://127.0.0.1:{args.port}")
            proc = start_server(args, Path(tmp), admin_key)
        try:
            key, n_features = setup(url, admin_key, args.model_dir)
            X = np.random.default_rng(0).uniform(0, 1, size=(1024, n_features))
            warm = argparse.Namespace(**{**vars(args), "requests": args.warmup, "clients": 1})
            drive(url, key, X, warm)
            measured: dict[int, list[dict[str, Any]]] = {c: [] for c in args.levels}
            for _ in range(args.rounds):
                for clients in args.levels:
                    level = argparse.Namespace(**{**vars(args), "clients": clients})
                    cpu0 = cpu_seconds(proc.pid) if proc is not None else None
                    row = drive(url, key, X, level)
                    cpu1 = cpu_seconds(proc.pid) if proc is not None else None
                    if cpu0 is not None and cpu1 is not None and row["requests"]:
                        # service CPU time per answered request (a capacity estimate)
                        row["server_cpu_ms_per_request"] = round(
                            (cpu1 - cpu0) * 1000 / row["requests"], 3
                        )
                    measured[clients].append(row)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    rows = with_ratios([median_row(measured[c]) for c in args.levels], args.baseline)
    if args.json:
        print(json.dumps(rows, sort_keys=True))
    else:
        print(table(rows, args.baseline))
        print(
            f"target: throughput >= the {args.baseline}-client run and p99 <= "
            f"{P99_OVER_P50:g}x p50 at every level: "
            f"{'met' if all(r['ok'] for r in rows) else 'MISSED'}"
        )
    if not all(r["ok"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()

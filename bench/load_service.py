"""Load test of the inference service on loopback: throughput and latency percentiles.

Starts ``qmlsec``'s service with uvicorn on 127.0.0.1 in a subprocess (fresh database in
a temporary folder), registers a model, issues a predict key, then drives it with a
bounded number of concurrent HTTP clients for a bounded time (or request count) and
prints throughput, p50, p99 and errors (``--json``: one JSON row). Only loopback
addresses are ever targeted; ``--url`` (an already running service) must be loopback too.

Usage::

    qmlsec train --out /tmp/model                       # the 8-qubit default model
    python bench/load_service.py --model-dir /tmp/model --clients 4 --duration 10
    python bench/load_service.py --model-dir /tmp/model --json
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

MAX_CLIENTS, MAX_DURATION_S = 64, 300.0


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

    from qmlsec.service.app import create_app
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
    )
    app = create_app(settings, loader=loader)
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
    """Run the clients; return the measured row."""
    body = {"output": args.output, "shots": args.shots}
    latencies: list[list[float]] = [[] for _ in range(args.clients)]
    errors = [0] * args.clients
    sent = iter(range(args.requests or 10**12))
    lock = threading.Lock()
    stop = time.perf_counter() + args.duration

    def client(i: int) -> None:
        rng = np.random.default_rng(i)
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as c:
            while time.perf_counter() < stop:
                with lock:
                    if next(sent, None) is None:
                        return
                rows = X[rng.integers(0, len(X), size=args.batch)].tolist()
                t0 = time.perf_counter()
                try:
                    r = c.post("/v1/models/bench/predict", json={"inputs": rows, **body})
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies[i].append(time.perf_counter() - t0)
                else:
                    errors[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    lat = np.array([x for per in latencies for x in per]) * 1000
    return {
        "bench": "load_service",
        "clients": args.clients,
        "batch": args.batch,
        "output": args.output,
        "shots": args.shots,
        "requests": int(lat.size),
        "errors": int(sum(errors)),
        "seconds": round(elapsed, 3),
        "throughput_rps": round(lat.size / elapsed, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2) if lat.size else None,
        "p99_ms": round(float(np.percentile(lat, 99)), 2) if lat.size else None,
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, help="Saved model artifact to serve.")
    p.add_argument("--url", help="Drive an already running loopback service instead.")
    p.add_argument("--api-key", help="Admin key of the running service (with --url).")
    p.add_argument("--loader", help="module:factory of a model loader (e.g. a test double).")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--duration", type=float, default=10.0, help="Seconds of load.")
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
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.duration <= MAX_DURATION_S:
        p.error(f"--clients must be 1..{MAX_CLIENTS} and --duration 0..{MAX_DURATION_S:g} s")
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
            cpu0 = cpu_seconds(proc.pid) if proc is not None else None
            row = drive(url, key, X, args)
            cpu1 = cpu_seconds(proc.pid) if proc is not None else None
            if cpu0 is not None and cpu1 is not None and row["requests"]:
                # contention-free capacity estimate: service CPU time per answered request
                row["server_cpu_ms_per_request"] = round((cpu1 - cpu0) * 1000 / row["requests"], 3)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    if args.json:
        print(json.dumps(row, sort_keys=True))
    else:
        print(
            f"{row['requests']} requests in {row['seconds']} s with {row['clients']} clients: "
            f"{row['throughput_rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
            f"{row['errors']} errors, service CPU {row.get('server_cpu_ms_per_request')} ms/req"
        )


if __name__ == "__main__":
    main()

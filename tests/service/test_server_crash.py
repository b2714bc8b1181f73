"""SIGKILL of a serving process with jobs pending: exact budgets after the restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from service_doubles import ADMIN_KEY, build_app

from qmlsec.service.auth import Principal

HERE = Path(__file__).resolve().parent
JOBS, SAMPLES, SYNC = 30, 4, 3
ROW = [0.1, 0.2, 0.3, 0.4]
ADMIN = Principal("test", "admin", frozenset({"admin"}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "crash_server.py"), str(data_dir), str(port), "0.1"], env=env
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the service exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the service did not start")


def test_sigkill_with_jobs_pending_loses_no_charge_and_refunds_none_twice(
    tmp_path: Path, artifact: Path
) -> None:
    data_dir, port = tmp_path / "svc", free_port()
    proc = start(data_dir, port)
    admin = {"X-API-Key": ADMIN_KEY}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            r = c.post("/admin/models", headers=admin,
                       json={"model_id": "m1", "path": str(artifact), "tenant": "acme"})  # fmt: skip
            assert r.status_code == 201, r.text
            r = c.post("/admin/keys", headers=admin, json={"tenant": "acme", "scopes": ["predict"]})
            key_id, user = r.json()["key_id"], {"X-API-Key": r.json()["key"]}
            for _ in range(SYNC):
                assert c.post("/v1/models/m1/predict", headers=user,
                              json={"inputs": [ROW], "shots": 10}).status_code == 200  # fmt: skip
            jobs = []
            for _ in range(JOBS):
                r = c.post("/v1/jobs", headers=user,
                           json={"model_id": "m1", "inputs": [ROW] * SAMPLES, "shots": 5})  # fmt: skip
                assert r.status_code == 202, r.text
                jobs.append(r.json()["job_id"])
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                done = [c.get(f"/v1/jobs/{j}", headers=user).json()["status"] for j in jobs[:3]]
                if done.count("succeeded") >= 2:
                    break
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)  # jobs still queued and one running
            proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)

    for _ in range(2):  # a second restart must change nothing (no second refund)
        app = build_app(data_dir)
        state = app.state.service
        statuses = [state.jobs.get(ADMIN, j).status for j in jobs]
        usage = state.budget.usage(key_id)
        state.close()
        succeeded = statuses.count("succeeded")
        assert 2 <= succeeded < JOBS
        assert statuses.count("failed") == JOBS - succeeded  # none left pending or lost
        assert usage.samples == SYNC + SAMPLES * succeeded
        assert usage.shots == 10 * SYNC + 5 * SAMPLES * succeeded
        assert usage.requests == SYNC + JOBS

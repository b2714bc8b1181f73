"""``qmlsec serve``: offline key management and a served process answering on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from qmlsec.cli.serve import app

runner = CliRunner()


def invoke(*args: str) -> dict | list:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_keys_create_list_revoke_offline(tmp_path: Path) -> None:
    created = invoke(
        "keys", "create", "--tenant", "acme", "--scope", "predict", "--data-dir", str(tmp_path)
    )
    assert created["key"].startswith(f"qk_{created['key_id']}.")
    listed = invoke("keys", "list", "--data-dir", str(tmp_path))
    assert [(k["key_id"], k["revoked"]) for k in listed] == [(created["key_id"], False)]
    assert "key" not in listed[0] and "key_hash" not in listed[0]
    assert invoke("keys", "revoke", created["key_id"], "--data-dir", str(tmp_path))["revoked"]


def test_cli_errors_have_exit_codes_not_tracebacks(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["keys", "create", "--tenant", "a", "--scope", "root", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and "invalid scopes" in result.output
    result = runner.invoke(app, ["keys", "revoke", "nope", "--data-dir", str(tmp_path)])
    assert result.exit_code == 9 and "Traceback" not in result.output


def test_keys_new_prints_a_bootstrap_key() -> None:
    out = runner.invoke(app, ["keys", "new"]).stdout.strip()
    assert out.startswith("qk_") and len(out) > 50


@pytest.mark.slow
def test_qmlsec_serve_runs_on_loopback_and_keeps_state(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    key = runner.invoke(app, ["keys", "new"]).stdout.strip()
    env = {**os.environ, "QMLSEC_ADMIN_KEY": key}
    cmd = [
        sys.executable,
        "-m",
        "qmlsec",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        r = httpx.get(url + "/admin/keys", headers={"X-API-Key": key})
        assert r.status_code == 200 and len(r.json()["keys"]) == 1
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) in (0, -15)  # uvicorn re-raises SIGTERM after shutdown
    assert len(invoke("keys", "list", "--data-dir", str(tmp_path))) == 1

"""SIGKILL of a multi-worker campaign: no surviving children, and a resume that loses or
duplicates no run. Also: a campaign whose runs fail exits non-zero, and an invalid spec
leaves no store behind."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import yaml
from typer.testing import CliRunner

from qmlsec.cli.main import app

runner = CliRunner()

N_EPS = 8
# PGD with many steps keeps each run long enough (about a second) that the first stored
# run and the last are far apart: the kill lands between them.
SPEC = {
    "name": "crash", "samples": 20, "seeds": [0],
    "models": [{"dataset": "iris", "classes": None, "qubits": 4, "layers": 1, "epochs": 2}],
    "attacks": [{"name": "evasion.pgd",
                 "grid": {"eps": [[0.02 * (k + 1)] for k in range(N_EPS)], "steps": [200]}}],
}  # fmt: skip


def qmlsec(*args: str) -> list[str]:
    return [sys.executable, "-m", "qmlsec", *args]


def descendants(pid: int) -> set[int]:
    """Live (non-zombie) processes below ``pid``, from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] != "Z":
                children.setdefault(int(stat[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stored(db: Path) -> list[str]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return [r[0] for r in conn.execute("SELECT run_id FROM runs WHERE status = 'ok'")]
    except sqlite3.OperationalError:  # tables not created yet
        return []


def test_sigkill_of_a_pool_campaign_leaves_no_children_and_resumes_exactly(
    tmp_path: Path,
) -> None:
    spec, db = tmp_path / "spec.yaml", tmp_path / "r.db"
    spec.write_text(yaml.safe_dump(SPEC))
    run = qmlsec("campaign", "run", str(spec), "--db", str(db), "--workers", "2", "--json")
    proc = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not stored(db) and time.monotonic() < deadline:
            assert proc.poll() is None, "the campaign ended before it could be killed"
            time.sleep(0.1)
        before = stored(db)
        assert 1 <= len(before) < N_EPS
        workers = descendants(proc.pid)
        assert len(workers) >= 2  # two pool workers (and the resource tracker)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    deadline = time.monotonic() + 15
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if alive(p)], "children outlived the campaign process"

    # resume in process (one worker: no second spawn of the heavy imports)
    resumed = runner.invoke(app, ["campaign", "run", str(spec), "--db", str(db), "--json"])
    assert resumed.exit_code == 0, resumed.output[-2000:]
    summary = json.loads(resumed.stdout)
    after = stored(db)
    assert sorted(set(after)) == sorted(after) and len(after) == N_EPS
    assert set(before) <= set(after)
    assert summary["skipped"] >= len(before)
    assert summary["executed"] + summary["skipped"] == N_EPS


def test_failed_runs_make_the_exit_status_non_zero(tmp_path: Path) -> None:
    failing = {**SPEC, "attacks": [{"name": "evasion.fgsm", "grid": {"eps": [[0.1]]}}],
               "models": [{**SPEC["models"][0], "dataset": str(tmp_path / "broken.csv")}]}  # fmt: skip
    (tmp_path / "broken.csv").write_text("a,b,label\n1,2,0\n")  # too small to split
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(failing))
    db = tmp_path / "r.db"
    done = runner.invoke(app, ["campaign", "run", str(spec), "--db", str(db)])
    assert done.exit_code == 17, done.output[-2000:]
    assert "1 of 1 runs failed" in done.stderr and "Traceback" not in done.output


def test_an_invalid_spec_leaves_no_store_behind(tmp_path: Path) -> None:
    bad = {**SPEC, "models": [{**SPEC["models"][0], "device": "fake_nowhere"}]}
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(bad))
    done = runner.invoke(app, ["campaign", "run", str(spec), "--db", str(tmp_path / "r.db")])
    assert done.exit_code == 2 and "unknown device 'fake_nowhere'" in done.stderr
    assert list(tmp_path.iterdir()) == [spec]

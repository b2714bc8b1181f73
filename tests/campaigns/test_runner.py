"""Campaign runs: in process, on a Dask local cluster, and resumed after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from qmlsec.campaigns.runner import run_campaign
from qmlsec.campaigns.store import ResultStore


def test_every_row_records_config_seed_metrics_and_timing(tmp_path, spec):
    summary = run_campaign(spec, tmp_path / "r.db")
    rows = ResultStore(tmp_path / "r.db").rows()
    assert summary.executed == len(rows) == len(spec.expand())
    assert summary.failed == 0, [r["error"] for r in rows if r["status"] != "ok"]
    for row in rows:
        assert row["config"]["seed"] == row["seed"]
        assert row["seconds"] > 0 and "clean_accuracy" in row["metrics"]
    assert run_campaign(spec, tmp_path / "r.db").skipped == len(rows)


def test_dask_local_cluster_runs_the_same_spec(tmp_path, make_spec):
    spec = make_spec("dask", seeds=(0,), n_eps=2)
    summary = run_campaign(spec, tmp_path / "d.db", workers=2, backend="dask")
    rows = ResultStore(tmp_path / "d.db").rows()
    assert summary.executor == "Dask local cluster, 2 workers"
    assert len(rows) == len(spec.expand()) and all(r["status"] == "ok" for r in rows)
    assert len({r["worker"] for r in rows}) >= 1


SCRIPT = """
import json, sys
from qmlsec.campaigns.runner import run_campaign
from qmlsec.campaigns.spec import CampaignSpec
run_campaign(CampaignSpec.model_validate(json.loads(sys.argv[2])), sys.argv[1])
"""


def test_sigkill_midway_then_resume_loses_and_duplicates_nothing(tmp_path, make_spec):
    db = tmp_path / "crash.db"
    spec = make_spec("crash", seeds=(0, 1, 2))
    payload = json.dumps(spec.model_dump(mode="json"))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(db), payload], cwd=tmp_path)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if db.exists() and ResultStore(db).count() >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = ResultStore(db).finished_ids()
    assert 0 < len(before) < len(spec.expand()), "the kill should land mid-campaign"
    summary = run_campaign(spec, db)
    rows = ResultStore(db).rows()
    ids = [r["run_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(spec.expand())
    assert set(ids) == {r.run_id for r in spec.expand()}
    assert summary.skipped == len(before)

"""The SQLite result store: one row per run, no duplicates, failed runs retried."""

from __future__ import annotations

from qmlsec.campaigns.store import ResultStore


def _row(run_id: str, status: str = "ok") -> dict:
    return {"run_id": run_id, "campaign": "c", "attack": "evasion.fgsm", "seed": 0,
            "status": status, "config": {"seed": 0}, "metrics": {"m": 0.5}, "seconds": 1.0}  # fmt: skip


def test_a_finished_run_is_stored_once(tmp_path):
    db = ResultStore(tmp_path / "r.db")
    assert db.add(_row("a")) is True
    assert db.add(_row("a")) is False
    assert db.count() == 1
    assert db.rows()[0]["metrics"] == {"m": 0.5}


def test_a_failed_run_is_replaced_by_its_retry(tmp_path):
    db = ResultStore(tmp_path / "r.db")
    db.add(_row("a", status="error"))
    assert db.finished_ids() == set()
    db.add(_row("a"))
    assert db.finished_ids() == {"a"} and db.count() == 1


def test_status_counts_per_campaign(tmp_path):
    db = ResultStore(tmp_path / "r.db")
    db.add(_row("a"))
    db.add(_row("b", status="error"))
    status = db.status()["c"]
    assert status["runs"] == 2 and status["by_status"] == {"error": 1, "ok": 1}

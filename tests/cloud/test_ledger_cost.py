from __future__ import annotations

import json

import pytest
from rich.console import Console

from qmlsec.cloud.cost import CostAccount
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.exceptions import ConfigError

KEYS = {"step", "asset", "form", "sender", "receiver", "receiver_trust", "actor", "time", "count"}


def _ledger() -> ExposureLedger:
    ledger = ExposureLedger()
    for t in range(1000):
        ledger.record(
            "execute",
            "bound_parameters",
            "angles in bound circuit",
            "classical_cloud",
            "quantum_cloud",
            "malicious",
            time=float(t),
        )
    ledger.record(
        "preprocess", "raw_data", "plaintext", "user", "classical_cloud", "trusted", time=3.0
    )
    ledger.record(
        "execute",
        "measurement_results",
        "counts",
        "quantum_cloud",
        "classical_cloud",
        "trusted",
        time=5.0,
    )
    return ledger


def test_identical_handoffs_are_counted_not_repeated() -> None:
    ledger = _ledger()
    assert len(ledger) == 3
    row = ledger.query(asset="bound_parameters")[0]
    assert (row["count"], row["time"]) == (1000, 0.0)
    assert all(set(e) == KEYS for e in ledger.entries())


def test_queries() -> None:
    ledger = _ledger()
    assert {e["asset"] for e in ledger.seen_by("quantum_cloud")} == {
        "bound_parameters",
        "measurement_results",
    }
    assert ledger.forms("classical_cloud") == {
        "bound_parameters": ["angles in bound circuit"],
        "measurement_results": ["counts"],
        "raw_data": ["plaintext"],
    }
    assert ledger.query(receiver_trust="malicious")[0]["asset"] == "bound_parameters"


def test_json_round_trip_and_validation() -> None:
    ledger = _ledger()
    again = ExposureLedger.from_json(ledger.to_json())
    assert again.entries() == ledger.entries()
    with pytest.raises(ConfigError):
        ExposureLedger.from_json("[1, 2]")
    bad = json.loads(ledger.to_json())
    bad["entries"][0]["asset"] = "secrets"
    with pytest.raises(ConfigError):
        ExposureLedger.from_json(json.dumps(bad))
    with pytest.raises(ConfigError):
        ledger.record("x", "raw_data", "plaintext", "user", "eve", "trusted")


def test_cost_account_totals_and_table() -> None:
    acct = CostAccount()
    acct.record(
        "forward",
        circuits=10,
        shots=10_240,
        queue_wait_s=3.0,
        price_usd=2.0,
        qpu_seconds=1.25,
        wall_s=0.5,
    )
    acct.record(
        "forward",
        circuits=10,
        shots=10_240,
        queue_wait_s=1.0,
        price_usd=2.0,
        qpu_seconds=1.25,
        wall_s=0.5,
    )
    acct.record("gradient", circuits=40, shots=40_960, price_usd=8.0, qpu_seconds=5.0)
    summary = acct.summary()
    assert summary["by_purpose"]["forward"] == {
        "jobs": 2, "circuits": 20, "shots": 20_480, "queue_wait_s": 4.0,
        "price_usd": 4.0, "qpu_seconds": 2.5, "wall_s": 1.0,
    }  # fmt: skip
    assert summary["total"]["circuits"] == 60 and summary["total"]["price_usd"] == pytest.approx(
        12.0
    )
    console = Console(record=True, width=140)
    acct.print_table(console)
    text = console.export_text()
    assert "gradient" in text and "total" in text and "60" in text

"""Run a campaign: expand the grid, skip finished runs, execute the rest, store each row.

Example:
    >>> import tempfile, pathlib
    >>> from qmlsec.campaigns.spec import CampaignSpec
    >>> spec = CampaignSpec.model_validate({"name": "doc", "samples": 5,
    ...     "models": [{"dataset": "iris", "classes": None, "qubits": 4, "layers": 1, "epochs": 2}],
    ...     "attacks": [{"name": "evasion.fgsm", "params": {"eps": [0.1]}}]})
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "results.db"
    >>> summary = run_campaign(spec, db)
    >>> summary.executed, summary.skipped, summary.failed
    (1, 0, 0)
    >>> run_campaign(spec, db).skipped
    1
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qmlsec.campaigns.execute import execute_run
from qmlsec.campaigns.executors import make_executor
from qmlsec.campaigns.spec import CampaignSpec
from qmlsec.campaigns.store import ResultStore

Progress = Callable[[int, int, dict[str, Any]], None]


@dataclass(frozen=True)
class CampaignSummary:
    """What one invocation did."""

    campaign: str
    store: str
    total: int
    executed: int
    skipped: int
    failed: int
    seconds: float
    executor: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def run_campaign(
    spec: CampaignSpec,
    store: ResultStore | Path | str,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    backend: str = "auto",
    progress: Progress | None = None,
) -> CampaignSummary:
    """Execute every unfinished run of ``spec`` and store its row.

    Args:
        spec: the campaign.
        store: the result store (or its path).
        workers: local workers (process pool or Dask local cluster).
        scheduler: a Dask scheduler address; runs go there.
        backend: ``auto``, ``serial``, ``pool`` or ``dask``.
        progress: ``progress(done, total, row)`` after each stored run.
    """
    spec.check()
    db = store if isinstance(store, ResultStore) else ResultStore(store)
    db.save_spec(spec.name, spec.model_dump(mode="json"))
    runs = spec.expand()
    finished = db.finished_ids(spec.name)
    todo = [r for r in runs if r.run_id not in finished]
    start = time.perf_counter()
    executed = failed = 0
    executor = make_executor(workers=workers, scheduler=scheduler, backend=backend)
    with executor:
        for row in executor.map_unordered(execute_run, todo):
            db.add(row)
            executed += 1
            failed += row["status"] != "ok"
            if progress is not None:
                progress(executed, len(todo), row)
    return CampaignSummary(
        campaign=spec.name, store=str(db.path), total=len(runs), executed=executed,
        skipped=len(runs) - len(todo), failed=failed,
        seconds=time.perf_counter() - start, executor=executor.description,
    )  # fmt: skip

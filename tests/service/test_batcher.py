"""Micro-batching: waiting exact queries share one execution and get their own rows."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from qmlsec.cloud.endpoint import EndpointResponse
from qmlsec.service.batcher import Batcher


class Recorder:
    """Runs batches as ``X.sum(axis=1)``; the first call waits until released."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.release = threading.Event()

    def __call__(self, endpoint: object, X: np.ndarray, output: str) -> EndpointResponse:
        if not self.calls:
            assert self.release.wait(10)
        self.calls.append(len(X))
        if output == "fail":
            raise RuntimeError("backend down")
        return EndpointResponse(X.sum(axis=1), 0, len(X), {"execute": 0.1})


def test_queries_waiting_behind_a_batch_run_together_and_get_their_own_rows() -> None:
    run = Recorder()
    with ThreadPoolExecutor(2) as pool:
        batcher = Batcher(run, pool, max_rows=100)
        first = batcher.submit("m", np.ones((1, 2)), "probabilities")
        waiting = [batcher.submit("m", np.full((i, 2), i), "probabilities") for i in (1, 2, 3)]
        run.release.set()
        assert first.result(10).values.tolist() == [2.0]
        answers = [f.result(10) for f in waiting]
    assert run.calls == [1, 6]  # the three waiting queries ran as one batch of 6 rows
    assert [a.values.tolist() for a in answers] == [[2.0], [4.0, 4.0], [6.0, 6.0, 6.0]]
    assert [a.circuits for a in answers] == [1, 2, 3]


def test_batches_respect_the_row_limit_and_keep_outputs_apart() -> None:
    run = Recorder()
    with ThreadPoolExecutor(1) as pool:
        batcher = Batcher(run, pool, max_rows=4)
        first = batcher.submit("m", np.ones((1, 2)), "labels")
        rest = [batcher.submit("m", np.ones((3, 2)), "labels") for _ in range(3)]
        other = batcher.submit("m", np.ones((2, 2)), "probabilities")
        run.release.set()
        for f in [first, *rest, other]:
            f.result(10)
    assert sorted(run.calls) == [1, 2, 3, 3, 3]


def test_a_failed_batch_fails_every_query_in_it() -> None:
    run = Recorder()
    with ThreadPoolExecutor(1) as pool:
        batcher = Batcher(run, pool, max_rows=10)
        futures = [batcher.submit("m", np.ones((1, 2)), "fail") for _ in range(3)]
        run.release.set()
        for f in futures:
            with pytest.raises(RuntimeError, match="backend down"):
                f.result(10)

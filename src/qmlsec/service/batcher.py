"""Micro-batching of exact queries: concurrent requests to one model share an execution.

Requests that ask one endpoint for exact values (``shots=None``) of the same output are
independent row by row, so while one batch executes the next requests wait in a queue
and then run together as one batch (at most ``max_rows`` rows). At low load a request
runs alone and at once; under load the per-call cost of the engine (compiling the
batch's state preparation, launching kernels) is shared by every waiting request, so
throughput rises with concurrency instead of falling. Sampled queries (``shots``) keep
their own seed and run alone. Executions use the caller's thread pool, so at most that
many run at once.

Example:
    >>> import numpy as np
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from qmlsec.cloud.endpoint import EndpointResponse
    >>> def run(endpoint, X, output):
    ...     return EndpointResponse(X.sum(axis=1), 0, len(X))
    >>> with ThreadPoolExecutor(1) as pool:
    ...     batcher = Batcher(run, pool, max_rows=64)
    ...     batcher.submit("m", np.ones((2, 3)), "labels").result().values.tolist()
    [3.0, 3.0]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qmlsec.cloud.endpoint import EndpointResponse

Run = Callable[[Any, np.ndarray, str], EndpointResponse]


@dataclass
class _Queue:
    items: list[tuple[np.ndarray, Future[EndpointResponse]]] = field(default_factory=list)
    draining: bool = False


class Batcher:
    """Coalesces exact queries per ``(endpoint, output)``.

    Args:
        run: ``run(endpoint, X, output)`` executes one batch.
        pool: Where batches execute.
        max_rows: Most rows in one coalesced batch.
    """

    def __init__(self, run: Run, pool: Executor, *, max_rows: int) -> None:
        self.run, self.pool, self.max_rows = run, pool, max_rows
        self._queues: dict[Hashable, _Queue] = {}
        self._lock = threading.Lock()

    def submit(self, endpoint: Any, X: np.ndarray, output: str) -> Future[EndpointResponse]:
        """Queue ``X`` for ``endpoint``; the future holds this request's rows only."""
        future: Future[EndpointResponse] = Future()
        key = (id(endpoint), output)
        with self._lock:
            queue = self._queues.setdefault(key, _Queue())
            queue.items.append((X, future))
            if queue.draining:
                return future
            queue.draining = True
        self.pool.submit(self._drain, key, endpoint, output)
        return future

    def _drain(self, key: Hashable, endpoint: Any, output: str) -> None:
        while True:
            with self._lock:
                queue = self._queues[key]
                batch: list[tuple[np.ndarray, Future[EndpointResponse]]] = []
                rows = 0
                while queue.items and (not batch or rows + len(queue.items[0][0]) <= self.max_rows):
                    item = queue.items.pop(0)
                    batch.append(item)
                    rows += len(item[0])
                if not batch:
                    queue.draining = False
                    del self._queues[key]
                    return
            self._execute(endpoint, output, batch)

    def _execute(
        self,
        endpoint: Any,
        output: str,
        batch: list[tuple[np.ndarray, Future[EndpointResponse]]],
    ) -> None:
        live = [(X, f) for X, f in batch if f.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            X = live[0][0] if len(live) == 1 else np.concatenate([x for x, _ in live])
            answer = self.run(endpoint, X, output)
        except BaseException as err:  # every waiting request gets the failure
            for _, future in live:
                future.set_exception(err)
            return
        start, total = 0, len(X)
        for part, future in live:
            n = len(part)
            circuits = answer.circuits * n // total if answer.circuits != total else n
            future.set_result(
                EndpointResponse(
                    answer.values[start : start + n],
                    answer.shots * n // total,
                    circuits,
                    dict(answer.stage_seconds),
                )
            )
            start += n

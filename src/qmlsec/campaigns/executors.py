"""Where campaign runs execute: in process, a local process pool, or Dask.

Every executor is a context manager with one method, :meth:`Executor.map_unordered`,
that yields each run's row as soon as it finishes; the runner stores it before asking
for the next, so the main process is the only writer of the result store.

* :class:`SerialExecutor` - in this process (``workers=1`` with no scheduler);
* :class:`PoolExecutor` - ``concurrent.futures.ProcessPoolExecutor`` with the ``spawn``
  start method (the default for ``workers > 1``); each worker watches its parent and
  exits when the parent is gone (even killed with SIGKILL), so no worker outlives the
  campaign process, and multiprocessing's resource tracker then exits with them;
* :class:`DaskExecutor` - ``distributed.Client``: on an existing scheduler
  (``tcp://host:8786``, e.g. one started by ``dask-jobqueue`` on SLURM) or on a
  ``LocalCluster(n_workers=N, threads_per_worker=1, processes=True)``, whose workers
  close once they have lost the scheduler (which lives in the campaign process) for
  ``death_timeout`` seconds.

Example:
    >>> with make_executor(workers=1) as ex:
    ...     type(ex).__name__
    'SerialExecutor'
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from types import TracebackType
from typing import Any

from qmlsec.exceptions import BackendError, ConfigError

Task = Callable[[Any], dict[str, Any]]
WATCH_S = 0.2
LOCAL_DEATH_TIMEOUT_S = 10


def watch_parent(parent: int, interval: float = WATCH_S) -> None:
    """Exit this process as soon as ``parent`` is no longer its parent (a pool initializer).

    A process whose parent dies is re-parented (to init or a subreaper), so a changed
    ``getppid()`` means the campaign process is gone, however it died.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="qmlsec-parent-watch", daemon=True).start()


class Executor:
    """Base: a context manager yielding results in completion order."""

    description = "executor"

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release workers."""

    def map_unordered(self, fn: Task, items: Sequence[Any]) -> Iterator[dict[str, Any]]:
        """Yield ``fn(item)`` for every item, in completion order."""
        raise NotImplementedError


class SerialExecutor(Executor):
    """Runs every item in this process, one after another."""

    description = "in process"

    def map_unordered(self, fn: Task, items: Sequence[Any]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield fn(item)


class PoolExecutor(Executor):
    """A local process pool (spawned workers)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"local process pool, {workers} workers"
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=watch_parent,
            initargs=(os.getpid(),),
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def map_unordered(self, fn: Task, items: Sequence[Any]) -> Iterator[dict[str, Any]]:
        futures = [self._pool.submit(fn, item) for item in items]
        for future in as_completed(futures):
            yield future.result()


class DaskExecutor(Executor):
    """Dask distributed: a running scheduler or a local cluster of ``workers`` processes."""

    def __init__(self, scheduler: str | None = None, workers: int = 2) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:  # pragma: no cover - a declared dependency
            raise BackendError("Dask distributed is not installed",
                               hint="pip install 'distributed>=2024.1'") from err  # fmt: skip
        self._cluster = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout="30s")
                self.description = f"Dask scheduler {scheduler}"
            else:
                self._cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=40,
                    death_timeout=LOCAL_DEATH_TIMEOUT_S,
                )  # fmt: skip
                self._client = Client(self._cluster)
                self.description = f"Dask local cluster, {workers} workers"
        except OSError as err:
            raise BackendError(f"cannot reach the Dask scheduler: {err}",
                               hint="check the tcp://host:port address") from err  # fmt: skip

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def map_unordered(self, fn: Task, items: Sequence[Any]) -> Iterator[dict[str, Any]]:
        from distributed import as_completed as dask_completed

        keys = [f"qmlsec-run-{getattr(item, 'run_id', i)}" for i, item in enumerate(items)]
        futures = [
            self._client.submit(fn, item, key=k, pure=False)
            for item, k in zip(items, keys, strict=True)
        ]
        for future in dask_completed(futures):
            yield future.result()
            future.release()


def make_executor(
    *, workers: int = 1, scheduler: str | None = None, backend: str = "auto"
) -> Executor:
    """The executor for ``backend`` (``auto``, ``serial``, ``pool`` or ``dask``).

    ``auto``: Dask when a scheduler is given, in process for one worker, else a pool.
    """
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}", hint="pass --workers 2")
    if backend not in ("auto", "serial", "pool", "dask"):
        raise ConfigError(f"unknown backend {backend!r}", hint="auto, serial, pool or dask")
    if scheduler or backend == "dask":
        return DaskExecutor(scheduler, workers)
    if backend == "serial" or (backend == "auto" and workers == 1):
        return SerialExecutor()
    return PoolExecutor(workers)

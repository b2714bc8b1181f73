"""The audit log: one JSON line per request, written with structlog.

Each line carries ``ts``, ``event``, ``request_id``, ``key_id``, ``route``, ``status``,
``outcome``, ``latency_ms`` and, for queries, ``model_id``, ``n_samples``, ``input_hash``
(a SHA-256 of the inputs, never the inputs themselves), ``shots``, ``backend``, ``seed``
and ``alerts``. The logger is private to the :class:`AuditLog` (structlog's global
configuration is left alone), so several services can run in one process.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> from qmlsec.service.audit import AuditLog, input_hash
    >>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
    >>> log.write("predict", key_id="k1", input_hash=input_hash(np.zeros((1, 2))))
    >>> [line["key_id"] for line in log.read()]
    ['k1']
    >>> log.close()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from qmlsec.exceptions import ConfigError


def input_hash(X: np.ndarray) -> str:
    """``sha256:<hex>`` of a batch's shape and float64 values."""
    arr = np.ascontiguousarray(X, dtype="<f8")
    digest = hashlib.sha256(repr(arr.shape).encode() + arr.tobytes()).hexdigest()
    return f"sha256:{digest}"


class AuditLog:
    """Append-only JSON-lines audit file.

    Args:
        path: The file; its folder is created if missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"cannot open the audit log {self.path}: {err.strerror}",
                hint="pass a writable --audit-log path",
            ) from err
        self._log = structlog.wrap_logger(
            structlog.WriteLogger(self._file),
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )

    def write(self, event: str, **fields: Any) -> None:
        """Append one line. Values must be JSON-serialisable."""
        self._log.info(event, **fields)

    def read(self, since: dt.datetime | None = None, limit: int | None = None) -> Iterator[dict]:
        """Lines at or after ``since`` (UTC if naive), oldest first, at most ``limit``."""
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        count = 0
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                if limit is not None and count >= limit:
                    return
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line while another thread writes
                if since is not None and dt.datetime.fromisoformat(record["ts"]) < since:
                    continue
                count += 1
                yield record

    def close(self) -> None:
        """Flush and close the file."""
        if not self._file.closed:
            self._file.close()

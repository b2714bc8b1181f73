"""A service process for crash tests: the endpoint double, slowed down, on loopback.

Run as ``python crash_server.py DATA_DIR PORT DELAY_S``; it serves until killed. Each
query of the double sleeps ``DELAY_S`` seconds, so jobs stay pending long enough for a
test to kill the process while they wait.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import uvicorn
from service_doubles import DoubleLoader, LinearEndpoint, make_settings

from qmlsec.service.app import create_app


class SlowEndpoint(LinearEndpoint):
    """The double, taking ``delay`` seconds per query."""

    delay = 0.0

    def query(self, X: np.ndarray, **kw: Any) -> Any:
        time.sleep(self.delay)
        return super().query(X, **kw)


class SlowLoader(DoubleLoader):
    """Builds :class:`SlowEndpoint` doubles."""

    def load(self, model_dir: Path, *, backend: str) -> LinearEndpoint:
        inner = super().load(model_dir, backend=backend)
        return SlowEndpoint(inner.model_id, inner.W, inner.b)


def main() -> None:
    data_dir, port, delay = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    SlowEndpoint.delay = delay
    settings = make_settings(data_dir, job_workers=1, job_queue=256)
    app = create_app(settings, loader=SlowLoader())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

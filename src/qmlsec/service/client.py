"""An HTTP client that turns a served model back into an ``Endpoint``.

:class:`ServiceEndpoint` speaks to ``POST /v1/models/{id}/predict`` and follows the
inference ``Endpoint`` contract (``model_id``, ``n_features``, ``n_classes``,
``feature_range``, ``query(X, output=, shots=, seed=)``), so every black-box attack of
the library runs unchanged against a live service, and meets its keys, rate limits,
budgets and monitors. Problem responses come back as the matching
:class:`~qmlsec.exceptions.QmlsecError`.

Example:
    >>> from qmlsec.service.client import error_from_problem
    >>> err = error_from_problem({"status": 429, "detail": "budget exhausted"})
    >>> type(err).__name__, err.message
    ('RateLimitError', 'budget exhausted')
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np

from qmlsec.cloud.endpoint import EndpointResponse, Output
from qmlsec.exceptions import (
    AuthenticationError,
    BackendError,
    DataError,
    DetectionError,
    NotFoundError,
    PermissionDeniedError,
    QmlsecError,
    RateLimitError,
)

_BY_STATUS: dict[int, type[QmlsecError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: DataError,
    429: RateLimitError,
    503: BackendError,
}


def error_from_problem(problem: dict[str, Any]) -> QmlsecError:
    """The error a problem+json body stands for."""
    status = int(problem.get("status", 500))
    cls = _BY_STATUS.get(status, QmlsecError)
    if status == 403 and problem.get("reason") == "detector":
        cls = DetectionError
    return cls(str(problem.get("detail", "request failed")), hint=problem.get("hint"))


class ServiceEndpoint:
    """A model of a running qmlsec service, used like a local ``Endpoint``.

    Args:
        base_url: The service, e.g. ``http://127.0.0.1:8000``.
        api_key: A key with the ``predict`` scope.
        model_id: The served model.
        client: An ``httpx.Client`` to reuse (its base URL is ignored).
        timeout: Seconds per request.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model_id: str,
        *,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model_id = model_id
        self._client = client or httpx.Client(timeout=timeout)
        self._headers = {"X-API-Key": api_key}
        info = self._call("GET", f"/v1/models/{model_id}")
        self.n_features = int(info["n_features"])
        self.n_classes = int(info["n_classes"])
        rng = info.get("feature_range")
        self.feature_range = None if rng is None else (float(rng[0]), float(rng[1]))
        self.last_request_id: str | None = None

    def query(
        self,
        X: np.ndarray,
        *,
        output: Output = "probabilities",
        shots: int | None = None,
        seed: int | None = None,
    ) -> EndpointResponse:
        """Answer a batch through the service (one request)."""
        body = {
            "inputs": np.asarray(X, dtype=np.float64).tolist(),
            "output": output,
            "shots": shots,
            "seed": seed,
        }
        answer = self._call("POST", f"/v1/models/{self.model_id}/predict", json=body)
        self.last_request_id = answer["request_id"]
        dtype = np.int64 if output == "labels" else np.float64
        return EndpointResponse(
            np.asarray(answer["values"], dtype=dtype), answer["shots"], answer["circuits"]
        )

    def usage(self) -> dict[str, Any]:
        """The key's usage and remaining budgets today."""
        return self._call("GET", "/v1/usage")

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            r = self._client.request(method, self.base_url + path, headers=self._headers, **kw)
        except httpx.HTTPError as err:
            raise BackendError(
                f"cannot reach the service at {self.base_url}: {type(err).__name__}",
                hint="check that `qmlsec serve` runs and the URL is right",
            ) from err
        if r.status_code >= 400:
            try:
                problem = r.json()
            except ValueError:
                problem = {"status": r.status_code, "detail": r.reason_phrase}
            raise error_from_problem(problem)
        result: dict[str, Any] = r.json()
        return result

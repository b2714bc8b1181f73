"""One error hierarchy for the whole package.

Every error a user can cause derives from :class:`QmlsecError`. Each class carries the
CLI exit code and the HTTP status it maps to, so the CLI and the service translate
errors in exactly one place. Messages say what was wrong and what to do about it.

Example:
    >>> from qmlsec.exceptions import ConfigError
    >>> err = ConfigError("qubits must be >= 1, got 0", hint="pass --qubits 4 or more")
    >>> str(err)
    'qubits must be >= 1, got 0 (hint: pass --qubits 4 or more)'
    >>> err.exit_code, err.http_status
    (2, 422)
"""

from __future__ import annotations


class QmlsecError(Exception):
    """Base class of every error qmlsec raises on purpose."""

    exit_code: int = 1
    http_status: int = 500
    title: str = "qmlsec error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} (hint: {hint})")


class ConfigError(QmlsecError):
    """A configuration, parameter or request is invalid."""

    exit_code = 2
    http_status = 422
    title = "Invalid configuration"


class DataError(QmlsecError):
    """A dataset or input file is unusable (shape, NaN, labels, class counts...)."""

    exit_code = 3
    http_status = 422
    title = "Invalid data"


class ArtifactError(QmlsecError):
    """A model artifact is missing, incomplete, tampered with or unsigned."""

    exit_code = 4
    http_status = 422
    title = "Invalid model artifact"


class CircuitError(QmlsecError):
    """A circuit uses an unsupported gate or parameter expression."""

    exit_code = 5
    http_status = 422
    title = "Unsupported circuit"


class BackendError(QmlsecError):
    """A backend, device profile or provider cannot do what was asked."""

    exit_code = 6
    http_status = 503
    title = "Backend error"


class KnowledgeBaseError(QmlsecError):
    """The kill-chain knowledge base is malformed or a referenced ID does not exist."""

    exit_code = 7
    http_status = 500
    title = "Knowledge base error"


class RequirementError(QmlsecError):
    """An attack or defense's declared prerequisites are not met by its target."""

    exit_code = 8
    http_status = 422
    title = "Requirements not met"


class NotFoundError(QmlsecError):
    """A named thing (model, device, technique, attack, job) does not exist."""

    exit_code = 9
    http_status = 404
    title = "Not found"


class AuthenticationError(QmlsecError):
    """No or an invalid credential was presented."""

    exit_code = 10
    http_status = 401
    title = "Unauthenticated"


class PermissionDeniedError(QmlsecError):
    """The credential is valid but lacks the scope or ownership needed."""

    exit_code = 11
    http_status = 403
    title = "Forbidden"


class RateLimitError(QmlsecError):
    """A rate limit or query/shot budget is exhausted."""

    exit_code = 12
    http_status = 429
    title = "Too many requests"


class DetectionError(QmlsecError):
    """A defense detected an attack and refused to continue (e.g. extraction alarm)."""

    exit_code = 13
    http_status = 403
    title = "Request refused by a defense"


class TimeLimitExceeded(QmlsecError):
    """A run went past its wall-time limit (raised at its next progress report)."""

    exit_code = 14
    http_status = 504
    title = "Time limit exceeded"


class ConflictError(QmlsecError):
    """The request conflicts with the current state (e.g. revoking the last admin key)."""

    exit_code = 15
    http_status = 409
    title = "Conflict"


class PayloadTooLargeError(QmlsecError):
    """A request body or input file exceeds the configured size limit."""

    exit_code = 16
    http_status = 413
    title = "Payload too large"


class RunsFailedError(QmlsecError):
    """Work finished, but some of its runs failed (their errors are stored with them)."""

    exit_code = 17
    http_status = 500
    title = "Runs failed"

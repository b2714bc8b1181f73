"""The model registry: which artifacts are served, who owns them, and their endpoints.

A registered model is an artifact folder, its verified public card and its owner tenant,
kept in the database. Registration verifies the artifact (hashes, and the signature
where the settings require one) through the :class:`~qmlsec.service.runner.ModelLoader`.
Endpoints are built on first use per ``(model, backend)`` and cached; records are cached
for ``cache_s`` seconds (changes made through this registry apply at once).

Example:
    >>> from qmlsec.service.db import Database
    >>> from qmlsec.service.registry import ModelRegistry
    >>> from qmlsec.service.runner import ArtifactLoader
    >>> ModelRegistry(Database("sqlite://"), ArtifactLoader()).list()
    []
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.exc import IntegrityError

from qmlsec.cloud.endpoint import Endpoint
from qmlsec.exceptions import ArtifactError, ConfigError, NotFoundError, QmlsecError
from qmlsec.models.artifact import SIGNATURE_FILE
from qmlsec.models.signing import load_public_key, verify_signature
from qmlsec.service.auth import Principal
from qmlsec.service.db import Database
from qmlsec.service.runner import ModelLoader

MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ModelRecord:
    """A registered model. ``path`` is shown to admins only."""

    model_id: str
    tenant: str
    path: str
    card: dict[str, Any]
    registered_at: float


class ModelRegistry:
    """Registered models in the database plus a cache of their endpoints.

    Args:
        db: The service database.
        loader: Verifies artifacts and builds endpoints.
        model_root: If set, artifacts must lie inside this folder.
        signing_key: Trusted Ed25519 public key (PEM file) for artifact signatures.
        require_signature: Refuse artifacts without a valid signature.
        cache_s: How long a looked-up record is reused without asking the database.
    """

    def __init__(
        self,
        db: Database,
        loader: ModelLoader,
        *,
        model_root: Path | None = None,
        signing_key: Path | None = None,
        require_signature: bool = False,
        cache_s: float = 1.0,
    ) -> None:
        self.db = db
        self.loader = loader
        self.model_root = None if model_root is None else Path(model_root).resolve()
        self.require_signature = require_signature
        if require_signature and signing_key is None:
            raise ConfigError(
                "signatures are required but no signing key is configured",
                hint="pass the publisher's Ed25519 public key (--signing-key)",
            )
        self.public_key = None if signing_key is None else load_public_key(signing_key)
        self.cache_s = cache_s
        self._records: dict[str, tuple[float, ModelRecord]] = {}
        self._endpoints: dict[tuple[str, str], Endpoint] = {}
        self._lock = threading.Lock()

    def register(self, model_id: str, path: str | Path, tenant: str, by: str) -> ModelRecord:
        """Verify the artifact at ``path`` and serve it as ``model_id`` for ``tenant``."""
        if not MODEL_ID.match(model_id):
            raise ConfigError(
                f"invalid model id {model_id!r}",
                hint="use 1-64 letters, digits, '.', '_' or '-', starting alphanumeric",
            )
        folder = self._resolve(path)
        try:
            card = self.loader.inspect(folder)
        except OSError as err:  # unreadable files, names too long, permissions
            raise ArtifactError(
                f"cannot read the artifact at {folder}: {err.strerror or err}",
                hint="pass a readable artifact folder",
            ) from err
        signed = (folder / SIGNATURE_FILE).exists()
        if self.public_key is not None and (signed or self.require_signature):
            verify_signature(folder, self.public_key)
            card["signed"] = True
        now = time.time()
        try:
            with self.db.write() as conn:
                conn.execute(
                    self.db.models.insert().values(
                        model_id=model_id,
                        tenant=tenant,
                        path=str(folder),
                        card=json.dumps(card, sort_keys=True),
                        registered_at=now,
                        registered_by=by,
                    )
                )
        except IntegrityError as err:
            raise ConfigError(
                f"model {model_id!r} is already registered",
                hint="pick another id or delete the model first",
            ) from err
        return ModelRecord(model_id, tenant, str(folder), card, now)

    def get(self, model_id: str) -> ModelRecord:
        """A registered model; raises :class:`NotFoundError`."""
        hit = self._records.get(model_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(self.db.models).where(self.db.models.c.model_id == model_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no model {model_id!r}", hint="list models with GET /v1/models")
        record = _record(row)
        self._records[model_id] = (time.monotonic() + self.cache_s, record)
        return record

    def get_visible(self, model_id: str, who: Principal) -> ModelRecord:
        """A model ``who`` may use; another tenant's model is reported as not found.

        Unknown and foreign models give the same answer, so a caller cannot learn which
        model ids other tenants use.
        """
        record = self.get(model_id)
        if not who.can_see(record.tenant):
            raise NotFoundError(f"no model {model_id!r}", hint="list models with GET /v1/models")
        return record

    def list(self, tenant: str | None = None) -> list[ModelRecord]:
        """Every model, or those of one tenant, by id."""
        query = select(self.db.models).order_by(self.db.models.c.model_id)
        if tenant is not None:
            query = query.where(self.db.models.c.tenant == tenant)
        with self.db.engine.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def remove(self, model_id: str) -> ModelRecord:
        """Stop serving a model (the artifact folder is left alone)."""
        record = self.get(model_id)
        with self.db.write() as conn:
            conn.execute(delete(self.db.models).where(self.db.models.c.model_id == model_id))
        self._records.pop(model_id, None)
        with self._lock:
            for key in [k for k in self._endpoints if k[0] == model_id]:
                del self._endpoints[key]
        return record

    def endpoint(self, record: ModelRecord, backend: str) -> Endpoint:
        """The (cached) endpoint of a model on a backend."""
        key = (record.model_id, backend)
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            with self._lock:
                endpoint = self._endpoints.get(key)
                if endpoint is None:
                    endpoint = self.loader.load(Path(record.path), backend=backend)
                    self._endpoints[key] = endpoint
        return endpoint

    def unready(self, backend: str) -> dict[str, str]:
        """Models whose endpoint cannot be built, with the reason (empty when ready)."""
        problems: dict[str, str] = {}
        for record in self.list():
            try:
                self.endpoint(record, backend)
            except QmlsecError as err:
                problems[record.model_id] = f"{type(err).__name__}: {err.message}"
        return problems

    def _resolve(self, path: str | Path) -> Path:
        shown = _shorten(str(path))
        try:
            folder = Path(path).expanduser().resolve()
        except (OSError, ValueError, RuntimeError) as err:  # NUL bytes, loops, bad ~user
            raise ArtifactError(
                f"invalid artifact path {shown!r}", hint="pass an existing folder"
            ) from err
        if self.model_root is not None and not folder.is_relative_to(self.model_root):
            raise ConfigError(
                f"artifact {shown} lies outside the model root {self.model_root}",
                hint="copy the artifact under the model root or change --model-root",
            )
        try:
            is_dir = folder.is_dir()
        except (OSError, ValueError) as err:  # e.g. a name longer than the file system allows
            raise ArtifactError(
                f"invalid artifact path {shown!r}: {getattr(err, 'strerror', None) or err}",
                hint="pass an existing folder",
            ) from err
        if not is_dir:
            raise ArtifactError(
                f"no artifact folder at {shown}", hint="pass the folder a model was saved to"
            )
        return folder


def _shorten(text: str, limit: int = 200) -> str:
    """``text``, cut in the middle when longer than ``limit`` characters."""
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]}"


def _record(row: Row[Any]) -> ModelRecord:
    return ModelRecord(row.model_id, row.tenant, row.path, json.loads(row.card), row.registered_at)

"""API keys: issue, hash, verify in constant time, scope, revoke.

A key reads ``qk_<key_id>.<secret>``. Only ``sha256(key)`` is stored, next to the public
``key_id`` that logs and the audit trail use instead of the key. Verification looks the
row up by ``key_id`` (rows are cached for ``cache_s`` seconds; a revocation through this
store takes effect at once, one made by another process within ``cache_s``) and compares hashes with :func:`hmac.compare_digest`; an unknown id
is compared against a dummy hash so that both paths cost the same. Keys belong to a
tenant and carry scopes: ``predict`` (query the tenant's models) and ``admin`` (manage
keys and models, read the audit log, see every tenant). A key may expire; the last
usable admin key cannot be revoked, so admins can never lock themselves out.

Example:
    >>> from qmlsec.service.auth import KeyStore
    >>> from qmlsec.service.db import Database
    >>> store = KeyStore(Database("sqlite://"))
    >>> info, key = store.create("acme", ["predict"], name="ci")
    >>> store.authenticate(key).tenant
    'acme'
    >>> store.revoke(info.key_id).revoked
    True
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from qmlsec.exceptions import AuthenticationError, ConfigError, ConflictError, NotFoundError
from qmlsec.service.db import Database

SCOPES = ("predict", "admin")
KEY_PATTERN = re.compile(r"^qk_([0-9a-f]{12})\.([A-Za-z0-9_-]{32,128})$")
_DUMMY_HASH = hashlib.sha256(b"qmlsec-no-such-key").hexdigest()
MAX_EXPIRY_S = 10 * 365 * 86400.0


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    key_id: str
    tenant: str
    scopes: frozenset[str]

    def can_see(self, tenant: str) -> bool:
        """Whether this caller may use a resource owned by ``tenant``."""
        return tenant == self.tenant or "admin" in self.scopes


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: never the key or its hash."""

    key_id: str
    tenant: str
    name: str
    scopes: tuple[str, ...]
    created_at: float
    revoked: bool
    expires_at: float | None = None


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh ``(key_id, key)`` pair from the OS CSPRNG."""
    key_id = secrets.token_hex(6)
    return key_id, f"qk_{key_id}.{secrets.token_urlsafe(32)}"


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The sorted, de-duplicated scopes; raises :class:`ConfigError` for unknown ones."""
    out = tuple(sorted(set(scopes)))
    bad = [s for s in out if s not in SCOPES]
    if not out or bad:
        raise ConfigError(f"invalid scopes {list(out)}", hint=f"choose from {list(SCOPES)}")
    return out


class KeyStore:
    """API keys kept in the service database.

    Args:
        db: The service database.
        cache_s: How long a looked-up key row is reused without asking the database.
    """

    def __init__(self, db: Database, *, cache_s: float = 1.0) -> None:
        self.db = db
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, Row[Any] | None]] = {}

    def create(
        self,
        tenant: str,
        scopes: Iterable[str],
        *,
        name: str = "",
        key: str | None = None,
        expires_in: float | None = None,
    ) -> tuple[KeyInfo, str]:
        """Issue a key; the plaintext is returned once and never stored.

        Args:
            tenant: Owner of the key.
            scopes: Subset of ``("predict", "admin")``.
            name: Free label for people.
            key: Use this key (``qk_<id>.<secret>``) instead of a fresh one.
            expires_in: Seconds until the key stops working; ``None`` never expires.
        """
        scope_t = check_scopes(scopes)
        if expires_in is not None and not 0 < expires_in <= MAX_EXPIRY_S:
            raise ConfigError(
                f"expires_in must lie in (0, {MAX_EXPIRY_S}] seconds, got {expires_in}",
                hint="e.g. --expires-in 30d",
            )
        if key is None:
            key_id, key = new_key()
        else:
            match = KEY_PATTERN.match(key)
            if match is None:
                raise ConfigError(
                    "an API key must read qk_<12 hex>.<32+ url-safe characters>",
                    hint="create one with `qmlsec serve keys new`",
                )
            key_id = match.group(1)
        now = time.time()
        expires_at = None if expires_in is None else now + expires_in
        row = {"key_id": key_id, "tenant": tenant, "name": name, "scopes": ",".join(scope_t)}
        try:
            with self.db.write() as conn:
                conn.execute(
                    self.db.api_keys.insert().values(
                        **row,
                        key_hash=hash_key(key),
                        created_at=now,
                        revoked_at=None,
                        expires_at=expires_at,
                    )
                )
        except IntegrityError as err:
            raise ConfigError(f"key id {key_id} already exists", hint="issue a new key") from err
        return KeyInfo(key_id, tenant, name, scope_t, now, False, expires_at), key

    def ensure(self, key: str, tenant: str, scopes: Iterable[str]) -> KeyInfo:
        """Create ``key`` unless a key with its id exists (bootstrap keys)."""
        match = KEY_PATTERN.match(key)
        if match is not None:
            existing = self._row(match.group(1))
            if existing is not None:
                return _info(existing)
        return self.create(tenant, scopes, name="bootstrap", key=key)[0]

    def authenticate(self, key: str | None) -> Principal:
        """The principal of a presented key; raises :class:`AuthenticationError`."""
        if not key:
            raise AuthenticationError(
                "no API key presented", hint="send the key in the X-API-Key header"
            )
        match = KEY_PATTERN.match(key)
        row = self._cached_row(match.group(1)) if match else None
        good = hmac.compare_digest(row.key_hash if row else _DUMMY_HASH, hash_key(key))
        if row is None or not good:
            raise AuthenticationError("invalid API key", hint="check the X-API-Key header")
        if row.revoked_at is not None:
            raise AuthenticationError(
                f"API key {row.key_id} was revoked", hint="ask an admin for a new key"
            )
        if row.expires_at is not None and row.expires_at <= time.time():
            raise AuthenticationError(
                f"API key {row.key_id} has expired", hint="ask an admin for a new key"
            )
        return Principal(row.key_id, row.tenant, frozenset(row.scopes.split(",")))

    def is_cached(self, key: str | None) -> bool:
        """Whether :meth:`authenticate` can answer ``key`` without asking the database."""
        match = KEY_PATTERN.match(key or "")
        if match is None:
            return True
        hit = self._cache.get(match.group(1))
        return hit is not None and hit[0] > time.monotonic()

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key (idempotent); its usage history is kept.

        Raises :class:`ConflictError` for the last usable admin key: the check and the
        revocation are one statement, so two admins revoking each other at once cannot
        both succeed.
        """
        k = self.db.api_keys
        now = time.time()
        other_admins = (
            select(func.count())
            .select_from(k)
            .where(
                k.c.key_id != key_id,
                k.c.scopes.contains("admin"),
                k.c.revoked_at.is_(None),
                or_(k.c.expires_at.is_(None), k.c.expires_at > now),
            )
            .scalar_subquery()
        )
        with self.db.write() as conn:
            done = conn.execute(
                update(k)
                .where(k.c.key_id == key_id, k.c.revoked_at.is_(None))
                .where(or_(~k.c.scopes.contains("admin"), other_admins > 0))
                .values(revoked_at=now)
            )
            row = conn.execute(select(k).where(k.c.key_id == key_id)).first()
        self._cache.pop(key_id, None)
        if row is None:
            raise NotFoundError(f"no API key {key_id!r}", hint="list keys with GET /admin/keys")
        if done.rowcount == 0 and row.revoked_at is None:
            raise ConflictError(
                f"API key {key_id} is the last usable admin key; revoking it would lock "
                "every admin out",
                hint="issue another admin key first, then revoke this one",
            )
        return _info(row)

    def list(self, tenant: str | None = None) -> list[KeyInfo]:
        """Every key, or a tenant's keys, oldest first."""
        query = select(self.db.api_keys).order_by(self.db.api_keys.c.created_at)
        if tenant is not None:
            query = query.where(self.db.api_keys.c.tenant == tenant)
        with self.db.engine.connect() as conn:
            return [_info(r) for r in conn.execute(query)]

    def _cached_row(self, key_id: str) -> Row[Any] | None:
        now = time.monotonic()
        hit = self._cache.get(key_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = self._row(key_id)
        if len(self._cache) > 10_000:  # unknown ids must not grow the cache without bound
            self._cache.clear()
        self._cache[key_id] = (now + self.cache_s, row)
        return row

    def _row(self, key_id: str) -> Row[Any] | None:
        with self.db.engine.connect() as conn:
            return conn.execute(
                select(self.db.api_keys).where(self.db.api_keys.c.key_id == key_id)
            ).first()


def _info(row: Row[Any]) -> KeyInfo:
    return KeyInfo(
        row.key_id,
        row.tenant,
        row.name,
        tuple(row.scopes.split(",")),
        row.created_at,
        row.revoked_at is not None,
        row.expires_at,
    )

"""The service database: API keys, registered models, daily usage and jobs.

All persistent state of the service lives in these four tables, so a restart (or a
second replica on a shared PostgreSQL database) sees the same keys, models, budgets and
jobs. Tables are SQLAlchemy Core objects; any SQLAlchemy URL works, SQLite by default.
Writes go through :meth:`Database.write`: one transaction, and on SQLite one writer of
this process at a time, so concurrent requests queue on a lock in arrival order instead
of spinning in SQLite's busy handler.

Example:
    >>> from qmlsec.service.db import Database
    >>> db = Database("sqlite://")
    >>> with db.engine.connect() as conn:
    ...     conn.execute(db.models.select()).all()
    []
    >>> db.close()
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from qmlsec.exceptions import ConfigError

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("name", String(128), nullable=False, default=""),
    Column("scopes", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    Column("expires_at", Float, nullable=True),
)

models = Table(
    "models",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("path", Text, nullable=False),
    Column("card", Text, nullable=False),
    Column("registered_at", Float, nullable=False),
    Column("registered_by", String(32), nullable=False),
)

usage = Table(
    "usage",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("requests", Integer, nullable=False, default=0),
    Column("samples", Integer, nullable=False, default=0),
    Column("shots", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
)

jobs = Table(
    "jobs",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("key_id", String(32), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("model_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("request", Text, nullable=False),
    Column("result", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class Database:
    """An engine bound to the service schema; creates missing tables on open.

    Args:
        url: SQLAlchemy URL. ``sqlite://`` (in memory) is shared across threads.
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as err:
            raise ConfigError(
                f"invalid database URL {url!r}",
                hint="use e.g. sqlite:////abs/path/service.db or postgresql+psycopg://...",
            ) from err
        kwargs: dict[str, Any] = {}
        sqlite = parsed.get_backend_name() == "sqlite"
        if sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
            if parsed.database in (None, "", ":memory:"):
                kwargs["poolclass"] = StaticPool
            else:
                _folder_for(Path(parsed.database))
        self.url = parsed
        try:
            self.engine: Engine = create_engine(parsed, **kwargs)
        except (ArgumentError, ImportError) as err:  # unknown dialect or missing driver
            raise ConfigError(
                f"unsupported database URL {parsed.render_as_string()}: {err}",
                hint="use sqlite:////abs/path/service.db or install the dialect's driver",
            ) from err
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._write_lock: threading.Lock | None = threading.Lock() if sqlite else None
        self.api_keys, self.models, self.usage, self.jobs = api_keys, models, usage, jobs
        try:
            metadata.create_all(self.engine)
            self._migrate()
        except SQLAlchemyError as err:
            raise ConfigError(
                f"cannot open the service database {parsed.render_as_string()}: "
                f"{type(err).__name__}",
                hint="check the database URL, that the server is up and the folder writable",
            ) from err

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (committed on exit, rolled back on an exception)."""
        with self._write_lock or nullcontext(), self.engine.begin() as conn:
            yield conn

    def _migrate(self) -> None:
        """Add columns that databases created by earlier versions lack."""
        present = {c["name"] for c in inspect(self.engine).get_columns("api_keys")}
        if "expires_at" not in present:
            with self.write() as conn:
                conn.execute(text("ALTER TABLE api_keys ADD COLUMN expires_at FLOAT"))

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def _folder_for(database: Path) -> None:
    """Create the folder of a SQLite file, or raise :class:`ConfigError` saying why not."""
    folder = database.absolute().parent
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"the data folder {folder} is a file", hint="point --data-dir at a folder"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            f"cannot create the database folder {folder}: {err.strerror or err}",
            hint="point --data-dir at a writable folder (not a file)",
        ) from err
    if database.is_dir():
        raise ConfigError(
            f"the database path {database} is a folder", hint="pass a file path in the URL"
        )

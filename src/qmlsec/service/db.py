"""The service database: API keys, registered models, daily usage and jobs.

All persistent state of the service lives in these four tables, so a restart (or a
second replica on a shared PostgreSQL database) sees the same keys, models, budgets and
jobs. Tables are SQLAlchemy Core objects; any SQLAlchemy URL works, SQLite by default.

Example:
    >>> from qmlsec.service.db import Database
    >>> db = Database("sqlite://")
    >>> with db.engine.connect() as conn:
    ...     conn.execute(db.models.select()).all()
    []
    >>> db.close()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
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
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
            if parsed.database in (None, "", ":memory:"):
                kwargs["poolclass"] = StaticPool
            else:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.url = parsed
        self.engine: Engine = create_engine(parsed, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.api_keys, self.models, self.usage, self.jobs = api_keys, models, usage, jobs
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as err:
            raise ConfigError(
                f"cannot open the service database {parsed.render_as_string()}: "
                f"{type(err).__name__}",
                hint="check the database URL, that the server is up and the folder writable",
            ) from err

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

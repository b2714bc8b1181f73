"""SQLite result store: one row per finished run, written in one transaction.

Rows are keyed by the run's deterministic ID, so a campaign killed at any point (even
with SIGKILL) resumes by skipping the IDs already stored: a row exists only once its
transaction committed (WAL journal, ``synchronous=FULL``), and a second insert of the
same ID replaces nothing that finished successfully.

Example:
    >>> import tempfile, pathlib
    >>> db = ResultStore(pathlib.Path(tempfile.mkdtemp()) / "r.db")
    >>> db.add({"run_id": "a1", "campaign": "c", "attack": "evasion.fgsm", "seed": 0,
    ...         "status": "ok", "config": {}, "metrics": {"x": 1.0}})
    True
    >>> sorted(db.finished_ids()), db.count()
    (['a1'], 1)
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qmlsec.exceptions import ConfigError, DataError, NotFoundError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    campaign TEXT NOT NULL,
    attack TEXT NOT NULL,
    defense TEXT,
    model TEXT,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    metrics TEXT NOT NULL,
    result TEXT,
    error TEXT,
    seconds REAL,
    finished_at REAL,
    worker TEXT
);
CREATE TABLE IF NOT EXISTS campaigns (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""
JSON_COLUMNS = ("config", "metrics", "result")


class ResultStore:
    """The runs of one or more campaigns in a SQLite file.

    Args:
        path: The SQLite file.
        create: Create the file and its tables if missing; ``False`` opens an existing
            store only (for reading), and refuses any other file with a :class:`DataError`.
    """

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create:
            if not self.path.is_file():
                raise NotFoundError(f"result store {self.path} does not exist",
                                hint="run `qmlsec campaign run spec.yaml --db ...` first")  # fmt: skip
            with self._connect(readonly=True) as conn:  # a foreign file is left untouched
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not {"runs", "campaigns"} <= tables:
                raise DataError(f"{self.path} is not a campaign result store (no runs table)",
                                hint="pass the --db file a campaign run wrote")  # fmt: skip
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"cannot create the folder of result store {self.path}: "
                              f"{err.strerror or err}", hint="pass a writable --db path") from None  # fmt: skip
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    @contextmanager
    def _connect(self, *, readonly: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            if readonly:
                conn = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro", uri=True)
            else:
                conn = sqlite3.connect(self.path, timeout=30.0)
        except sqlite3.Error as err:
            raise ConfigError(f"cannot open result store {self.path}: {err}",
                              hint="pass a writable --db path") from None  # fmt: skip
        try:
            if not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
            with conn:
                yield conn
        except sqlite3.DatabaseError as err:  # not SQLite, corrupt, locked, read-only
            raise DataError(f"cannot use {self.path} as a result store: {err}",
                            hint="pass the SQLite file a campaign run wrote") from None  # fmt: skip
        finally:
            conn.close()

    def save_spec(self, name: str, spec: dict[str, Any]) -> None:
        """Remember the campaign's spec (first write wins; a resume keeps it)."""
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO campaigns (name, spec, created_at) VALUES (?, ?, ?)",
                (name, json.dumps(spec, sort_keys=True), time.time()),
            )

    def specs(self) -> dict[str, dict[str, Any]]:
        """Campaign name -> spec."""
        with self._connect() as conn:
            rows = conn.execute("SELECT name, spec FROM campaigns ORDER BY created_at").fetchall()
        return {name: json.loads(spec) for name, spec in rows}

    def add(self, row: dict[str, Any]) -> bool:
        """Store one finished run in one transaction; ``False`` if it was already stored OK.

        A failed run (``status != "ok"``) may later be replaced by a successful retry.
        """
        values = {
            "run_id": row["run_id"], "campaign": row["campaign"], "attack": row["attack"],
            "defense": row.get("defense"), "model": row.get("model"), "seed": int(row["seed"]),
            "status": row["status"], "config": json.dumps(row.get("config", {}), sort_keys=True),
            "metrics": json.dumps(row.get("metrics", {}), sort_keys=True),
            "result": json.dumps(row.get("result", {}), sort_keys=True),
            "error": row.get("error"), "seconds": row.get("seconds"),
            "finished_at": row.get("finished_at", time.time()), "worker": row.get("worker"),
        }  # fmt: skip
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._connect() as conn:
            done = conn.execute(
                "SELECT status FROM runs WHERE run_id = ?", (row["run_id"],)
            ).fetchone()
            if done is not None and done[0] == "ok":
                return False
            conn.execute(
                f"INSERT OR REPLACE INTO runs ({columns}) VALUES ({marks})", tuple(values.values())
            )
        return True

    def finished_ids(self, campaign: str | None = None) -> set[str]:
        """IDs of the runs that finished successfully."""
        sql, args = "SELECT run_id FROM runs WHERE status = 'ok'", tuple[str, ...]()
        if campaign is not None:
            sql, args = sql + " AND campaign = ?", (campaign,)
        with self._connect() as conn:
            return {r[0] for r in conn.execute(sql, args)}

    def count(self, campaign: str | None = None) -> int:
        """Number of stored rows."""
        sql, args = "SELECT COUNT(*) FROM runs", tuple[str, ...]()
        if campaign is not None:
            sql, args = sql + " WHERE campaign = ?", (campaign,)
        with self._connect() as conn:
            return int(conn.execute(sql, args).fetchone()[0])

    def rows(self, campaign: str | None = None) -> list[dict[str, Any]]:
        """Every stored row with its JSON columns decoded, in finishing order."""
        sql, args = "SELECT * FROM runs", tuple[str, ...]()
        if campaign is not None:
            sql, args = sql + " WHERE campaign = ?", (campaign,)
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            rows = [dict(r) for r in conn.execute(sql + " ORDER BY finished_at, run_id", args)]
        for row in rows:
            for key in JSON_COLUMNS:
                row[key] = json.loads(row[key]) if row[key] else {}
        return rows

    def status(self) -> dict[str, Any]:
        """Counts per campaign and status, plus the total wall time of the runs."""
        with self._connect() as conn:
            grouped = conn.execute(
                "SELECT campaign, status, COUNT(*), COALESCE(SUM(seconds), 0) FROM runs "
                "GROUP BY campaign, status ORDER BY campaign, status"
            ).fetchall()
        out: dict[str, Any] = {}
        for campaign, status, n, seconds in grouped:
            entry = out.setdefault(campaign, {"runs": 0, "by_status": {}, "run_seconds": 0.0})
            entry["runs"] += n
            entry["by_status"][status] = n
            entry["run_seconds"] += float(seconds)
        return out

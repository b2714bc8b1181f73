"""Group commit: waiting write units share a transaction; refusals stay their own."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection

from qmlsec.exceptions import RateLimitError
from qmlsec.service.budget import QueryBudget
from qmlsec.service.db import Database
from qmlsec.service.group_commit import GroupCommit


def test_units_waiting_together_commit_together_and_a_refusal_is_only_its_own() -> None:
    db = Database("sqlite://")
    budget = QueryBudget(db, daily_samples=10, daily_shots=100)
    gate, seen = threading.Event(), []

    def first(conn: Connection) -> str:
        assert gate.wait(10)
        seen.append(id(conn))
        return "first"

    def charge(n: int):  # type: ignore[no-untyped-def]
        def unit(conn: Connection) -> int:
            seen.append(id(conn))
            budget.reserve("k", n, 0, conn=conn)
            return n

        return unit

    with ThreadPoolExecutor(1) as pool:
        group = GroupCommit(db, pool)
        head = group.submit(first)
        waiting = [group.submit(charge(n)) for n in (4, 9, 5)]  # 9 does not fit after 4
        gate.set()
        assert head.result(10) == "first"
        assert waiting[0].result(10) == 4 and waiting[2].result(10) == 5
        with pytest.raises(RateLimitError, match="sample budget"):
            waiting[1].result(10)
    assert len(set(seen[1:])) == 1  # the three waiting units ran in one transaction
    u = budget.usage("k")
    assert (u.requests, u.samples) == (2, 9)


def test_a_failed_transaction_fails_every_unit_and_commits_nothing() -> None:
    db = Database("sqlite://")
    budget = QueryBudget(db, daily_samples=10, daily_shots=100)
    gate = threading.Event()

    def broken(conn: Connection) -> None:
        raise RuntimeError("disk full")

    with ThreadPoolExecutor(1) as pool:
        group = GroupCommit(db, pool)
        head = group.submit(lambda conn: gate.wait(10))
        ok = group.submit(lambda conn: budget.reserve("k", 3, 0, conn=conn))
        bad = group.submit(broken)
        gate.set()
        head.result(10)
        for future in (ok, bad):
            with pytest.raises(RuntimeError, match="disk full"):
                future.result(10)
    assert budget.usage("k").samples == 0

"""The suite's own proof helpers catch what they claim to catch (a check that cannot fail
proves nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import check_no_overlapping_holds, max_overlap, query

T = datetime(2030, 1, 1, tzinfo=UTC)


def fake_history(dsn: str, run: int, entries: list[tuple[int, str, int | None]]) -> None:
    """Write (second offset, kind, task) history rows for ``run`` straight into the table."""
    for offset, kind, task in entries:
        query(
            dsn,
            "insert into ratchet.history (run_id, at, kind, detail) values (%s, %s, %s, %s)",
            (
                run,
                T + timedelta(seconds=offset),
                kind,
                None if task is None else f'{{"task": {task}}}',
            ),
        )


@pytest.fixture(autouse=True)
def forget_fake_history(request: pytest.FixtureRequest) -> Iterator[None]:
    """Delete the fake rows (they belong to no run) before ``dsn`` checks the invariants."""
    if "dsn" not in request.fixturenames:
        yield
        return
    dsn = request.getfixturevalue("dsn")  # set up first, so torn down after this fixture
    yield
    query(dsn, "delete from ratchet.history")


def test_the_hold_checker_accepts_a_clean_reclaim(dsn):
    fake_history(
        dsn,
        1,
        [
            (0, "created", None),
            (1, "claimed", 10),
            (5, "lease_expired", 10),
            (5, "retrying", None),
            (6, "claimed", 11),
            (7, "completed", 11),
        ],
    )
    assert check_no_overlapping_holds(dsn) == {"claims": 2, "tasks": 2}


@pytest.mark.parametrize(
    "entries",
    [
        [(1, "claimed", 10), (2, "claimed", 11)],  # two holders at once
        [(1, "claimed", 10), (5, "lease_expired", 10), (4, "claimed", 11)],  # claim before end
        [(1, "claimed", 10), (2, "completed", 99)],  # completed by a task that was not held
        [(1, "claimed", 10), (2, "handed_back", 10), (3, "claimed", 10)],  # task id reused
    ],
    ids=["double-claim", "early-claim", "foreign-task", "reused-task"],
)
def test_the_hold_checker_catches_overlapping_holds(dsn, entries):
    fake_history(dsn, 1, entries)
    with pytest.raises(AssertionError, match="overlapping holds"):
        check_no_overlapping_holds(dsn)


def test_max_overlap_counts_intervals_open_at_once():
    s = [T + timedelta(seconds=i) for i in range(10)]
    assert max_overlap([(s[0], s[2]), (s[2], s[4])]) == 1  # touching ends do not overlap
    assert max_overlap([(s[0], s[5]), (s[1], s[2]), (s[1], s[3])]) == 3

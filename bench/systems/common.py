"""What every system module shares: the command line, progress, statistics, table sizes.

Runs in both virtualenvs (the project's and the peers'), so it needs only the standard library and
psycopg. A system module defines NAME, WORKLOADS and one function per workload it can express:

    w1(dsn, n)                     -> {"enqueue_s", "process_s", "stats": {"enqueue", "process"}}
    w2(dsn, n, steps)              -> {"seconds", "stats": {"process"}}
    w3(dsn, n, gap_ms)             -> {"latencies_ms": [...]}
    w4(dsn, seconds, rate, hold)   -> built with Stream below

and ends with `if __name__ == "__main__": common.main(sys.modules[__name__])`. The orchestrator
(bench/run.py) calls `python <module> --dsn ... --workload w1 --params '{...}'` and reads the
line that starts with RESULT.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import psycopg

_NAME = "?"
_DATADIR: list[str] = []
PG_BIN = "/usr/lib/postgresql/15/bin"


def set_name(name: str) -> None:
    global _NAME  # noqa: PLW0603
    _NAME = name


def progress(msg: str) -> None:
    print(f"    [{_NAME}] {msg}", file=sys.stderr, flush=True)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)

    def pct(p: float) -> float:
        k = (len(v) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (k - lo)

    return {
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "max": v[-1],
        "mean": statistics.fmean(v),
    }


# Per table: rows inserted / updated (of which HOT) / deleted, its index count, and the index
# blocks read or hit (pg_statio). Summed into "rows written per job" by delta().
_TABLE_COUNTERS = """
SELECT s.relid::regclass::text, s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, s.n_tup_del,
       (SELECT count(*) FROM pg_index AS i WHERE i.indrelid = s.relid),
       coalesce((SELECT sum(x.idx_blks_hit + x.idx_blks_read) FROM pg_statio_user_indexes AS x
                 WHERE x.relid = s.relid), 0),
       coalesce((SELECT sum(x.idx_tup_read) FROM pg_stat_user_indexes AS x
                 WHERE x.relid = s.relid), 0)
FROM pg_stat_user_tables AS s
"""
_COUNTER_KEYS = ("ins", "upd", "hot_upd", "del", "indexes", "idx_blks", "idx_tup_read")


def db_stats(dsn: str) -> dict[str, Any]:
    """Cluster WAL, this database's transaction counters (pg_stat_wal, pg_stat_database) and
    the row counters of every user table (pg_stat_user_tables, pg_stat(io)_user_indexes).

    Backends flush their counters when they exit, so callers close their connections first;
    the short sleep lets the last exits land.
    """
    time.sleep(0.3)
    with psycopg.connect(dsn, autocommit=True) as c:
        if not _DATADIR:
            _DATADIR.append(
                str(c.execute("SELECT current_setting('data_directory')").fetchone()[0])
            )  # type: ignore[index]
        row = c.execute(
            "SELECT w.wal_bytes, w.wal_records, w.wal_fpi, d.xact_commit, d.xact_rollback,"
            " pg_current_wal_insert_lsn() - '0/0'::pg_lsn"
            " FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = current_database()"
        ).fetchone()
        tables = {
            r[0]: dict(zip(_COUNTER_KEYS, (float(v) for v in r[1:]), strict=True))
            for r in c.execute(_TABLE_COUNTERS).fetchall()
        }
    assert row is not None
    keys = ("wal_bytes", "wal_records", "wal_fpi", "xact_commit", "xact_rollback", "wal_lsn")
    out: dict[str, Any] = {k: float(v) for k, v in zip(keys, row, strict=True)}
    out["tables"] = tables
    return out


def _lsn(v: float) -> str:
    n = int(v)
    return f"{n >> 32:X}/{n & 0xFFFFFFFF:X}"


def wal_commits(lsn0: float, lsn1: float) -> float | None:
    """Commit records in the WAL between two positions (pg_waldump): the durable commits.

    pg_stat_database.xact_commit also counts read-only transactions (an empty poll), which
    cost no WAL flush; this counts only transactions that wrote.
    """
    if not _DATADIR or lsn1 <= lsn0:
        return None
    p = subprocess.run(
        [
            f"{PG_BIN}/pg_waldump",
            "-p",
            f"{_DATADIR[0]}/pg_wal",
            "-s",
            _lsn(lsn0),
            "-e",
            _lsn(lsn1),
            "--stats=record",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    m = re.search(r"^Transaction/COMMIT\s+(\d+)", p.stdout, re.MULTILINE)
    return float(m.group(1)) if m else (0.0 if p.returncode == 0 else None)


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """after - before of the counters, plus WAL commits and the row work summed over tables:
    rows inserted/updated/deleted, dead row versions left for vacuum (every update and
    delete), index entries written (each insert or non-HOT update adds one per index), and
    index blocks touched and index entries read; by_table has the same per table."""
    d: dict[str, Any] = {k: after[k] - before[k] for k in before if k != "tables"}
    d["wal_commits"] = wal_commits(before["wal_lsn"], after["wal_lsn"])
    zero = dict.fromkeys(_COUNTER_KEYS, 0.0)
    sums = dict.fromkeys(
        ("rows_ins", "rows_upd", "rows_hot_upd", "rows_del", "idx_entries", "idx_blks"), 0.0
    )
    sums["idx_tup_read"] = 0.0
    by_table: dict[str, dict[str, float]] = {}
    for name, a in after["tables"].items():
        b = before["tables"].get(name, zero)
        ins, upd = a["ins"] - b["ins"], a["upd"] - b["upd"]
        hot, dele = a["hot_upd"] - b["hot_upd"], a["del"] - b["del"]
        if ins or upd or dele:
            by_table[name] = {
                "ins": ins,
                "upd": upd,
                "hot_upd": hot,
                "del": dele,
                "indexes": a["indexes"],
                "idx_entries": (ins + upd - hot) * a["indexes"],
            }
        sums["rows_ins"] += ins
        sums["rows_upd"] += upd
        sums["rows_hot_upd"] += hot
        sums["rows_del"] += a["del"] - b["del"]
        sums["idx_entries"] += (ins + upd - hot) * a["indexes"]
        sums["idx_blks"] += a["idx_blks"] - b["idx_blks"]
        sums["idx_tup_read"] += a["idx_tup_read"] - b["idx_tup_read"]
    sums["dead_versions"] = sums["rows_upd"] + sums["rows_del"]
    d.update(sums)
    d["by_table"] = by_table
    return d


def table_sizes(dsn: str) -> dict[str, float]:
    """Total size (heap + indexes + toast) and live/dead tuples of every user table in the db.

    Each system has a database of its own, so these are exactly the engine's tables.
    """
    with psycopg.connect(dsn, autocommit=True) as c:
        ckpt = c.execute(
            "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
        ).fetchone()
        rows = c.execute(
            "SELECT s.schemaname || '.' || s.relname, pg_total_relation_size(s.relid),"
            " s.n_live_tup, s.n_dead_tup FROM pg_stat_user_tables s"
            " WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return {
        "total_bytes": float(sum(r[1] for r in rows)),
        "live_tup": float(sum(r[2] for r in rows)),
        "dead_tup": float(sum(r[3] for r in rows)),
        "checkpoints": float(ckpt[0]) if ckpt else 0.0,
        "tables": {r[0]: {"bytes": r[1], "live": r[2], "dead": r[3]} for r in rows},
    }


class Holder:
    """Holds a transaction (with an xid and a snapshot) open, pinning the xmin horizon."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn)
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        self.conn.execute("SELECT txid_current()")

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


class Stream:
    """W4 driver: the system's worker runs elsewhere; this feeds jobs at a steady rate.

    enqueue(k) must enqueue k jobs; done() returns the total of jobs processed so far. The
    stream samples processed jobs each minute and the engine's table sizes every 15 s, and holds
    an open transaction during [hold_at, hold_at + hold) when hold > 0.
    """

    def __init__(
        self,
        dsn: str,
        seconds: float,
        rate: float,
        hold: float,
        enqueue: Callable[[int], None],
        done: Callable[[], int],
    ) -> None:
        self.dsn, self.seconds, self.rate, self.hold = dsn, seconds, rate, hold
        self.enqueue, self.done = enqueue, done

    def run(self) -> dict[str, Any]:
        tick = 0.1
        per_tick = self.rate * tick
        hold_at = (self.seconds - self.hold) / 2 if self.hold > 0 else None
        holder: Holder | None = None
        samples: list[dict[str, Any]] = []
        minutes: list[float] = []
        by_minute: list[dict[str, float]] = []
        sizes_every = 15.0
        start_sizes = table_sizes(self.dsn)
        samples.append({"t": 0.0, **_brief(start_sizes)})
        t0 = time.monotonic()
        enq, owed = 0, 0.0
        last_minute_done, next_minute = 0, 60.0
        next_sample = sizes_every
        next_tick = t0
        while True:
            now = time.monotonic() - t0
            if now >= self.seconds:
                break
            owed += per_tick
            k = int(owed)
            if k:
                self.enqueue(k)
                enq += k
                owed -= k
            if hold_at is not None and holder is None and now >= hold_at:
                progress(f"W4 t={now:.0f}s: holding a transaction open for {self.hold:.0f}s")
                holder = Holder(self.dsn)
            if holder is not None and hold_at is not None and now >= hold_at + self.hold:
                progress(f"W4 t={now:.0f}s: released the held transaction")
                holder.release()
                holder = None
                hold_at = None
            if now >= next_sample:
                s = _brief(table_sizes(self.dsn))
                samples.append({"t": round(now, 1), "held": holder is not None, **s})
                next_sample += sizes_every
            if now >= next_minute:
                d = self.done()
                minutes.append((d - last_minute_done) / 60.0)
                # The 15 s size sample was just taken (60 is a multiple of 15).
                by_minute.append(
                    {
                        "minute": len(minutes),
                        "per_s": minutes[-1],
                        "total_mb": samples[-1]["total_mb"],
                        "dead_tup": samples[-1]["dead_tup"],
                        "backlog": enq - d,
                    }
                )
                progress(
                    f"W4 minute {len(minutes)}: {minutes[-1]:.0f} jobs/s processed, "
                    f"backlog {enq - d}, size {samples[-1]['total_mb']:.1f} MB, "
                    f"dead {samples[-1]['dead_tup']:.0f}"
                )
                last_minute_done = d
                next_minute += 60.0
            next_tick += tick
            time.sleep(max(0.0, next_tick - time.monotonic()))
        if holder is not None:
            holder.release()
        elapsed = time.monotonic() - t0
        processed = self.done()
        tail = elapsed - 60.0 * len(minutes)
        if tail >= 10.0:
            minutes.append((processed - last_minute_done) / tail)
        end_sizes = table_sizes(self.dsn)
        samples.append({"t": round(elapsed, 1), "held": False, **_brief(end_sizes)})
        return {
            "seconds": elapsed,
            "target_rate": self.rate,
            "enqueued": enq,
            "processed": processed,
            "per_minute": minutes,
            "minutes": by_minute,
            "hold": self.hold,
            "samples": samples,
            "start": _brief(start_sizes),
            "end": _brief(end_sizes),
            "end_tables": end_sizes["tables"],
        }


def _brief(s: dict[str, Any]) -> dict[str, float]:
    return {
        "total_mb": round(s["total_bytes"] / 1048576, 2),
        "live_tup": s["live_tup"],
        "dead_tup": s["dead_tup"],
        "checkpoints": s["checkpoints"],
    }


class Counter:
    """A thread-safe job counter with a wait-until."""

    def __init__(self) -> None:
        self.n = 0
        self._cv = threading.Condition()

    def add(self, k: int = 1) -> None:
        with self._cv:
            self.n += k
            self._cv.notify_all()

    def wait_for(self, target: int, timeout: float) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: self.n >= target, timeout)


def main(module: ModuleType) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--params", default="{}")
    args = ap.parse_args()
    fn = getattr(module, args.workload)
    result = fn(args.dsn, **json.loads(args.params))
    print("RESULT " + json.dumps(result), flush=True)

"""Profile pgratchet's hot path: pg_stat_statements over W1 and W2, auto_explain of one batch.

    .venv/bin/python bench/profile.py [--w1 10000] [--w2 1000]
    .venv/bin/python bench/profile.py --w7 c [--w7-backlog 200000]

Runs on its own throwaway cluster. pg_stat_statements tracks nested statements (the SQL inside
the PL/pgSQL functions); auto_explain prints EXPLAIN ANALYZE of every statement inside one
start_many, one claim(…, 500) and one complete_many. Writes bench/results/profile.txt.
With --w7 CASE: loads W7's case (a, b, c or d; see pgratchet_sys.w7) and prints EXPLAIN
(ANALYZE, BUFFERS) of every statement inside three claim(worker, 1) + complete_many
transactions, slowest first with any JIT time, into bench/results/profile_w7<case>.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster import Cluster

HERE = Path(__file__).resolve().parent
OWN_PY = HERE.parent / ".venv" / "bin" / "python"
TOP = """
SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
       round(mean_exec_time::numeric, 3) AS mean_ms, rows,
       shared_blks_hit + shared_blks_read AS blks,
       regexp_replace(left(query, 150), '\\s+', ' ', 'g') AS query
FROM pg_stat_statements WHERE dbname_of(dbid) = current_database()
ORDER BY total_exec_time DESC LIMIT 30
"""


def top(dsn: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(
            "CREATE OR REPLACE FUNCTION pg_temp.dbname_of(oid) RETURNS name LANGUAGE sql "
            "AS 'SELECT datname FROM pg_database WHERE oid = $1'"
        )
        rows = c.execute(TOP.replace("dbname_of", "pg_temp.dbname_of")).fetchall()
    lines = [f"{'calls':>8} {'total ms':>10} {'mean ms':>9} {'rows':>8} {'blks':>9}  query"]
    lines += [f"{r[0]:>8} {r[1]:>10} {r[2]:>9} {r[3]:>8} {r[4]:>9}  {r[5]}" for r in rows]
    return "\n".join(lines)


def run_module(dsn: str, workload: str, params: dict[str, Any]) -> None:
    """Run a workload of the pgratchet module (this tree's engine and client)."""
    subprocess.run(
        [
            str(OWN_PY),
            str(HERE / "systems" / "pgratchet_sys.py"),
            "--dsn",
            dsn,
            "--workload",
            workload,
            "--params",
            json.dumps(params),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=HERE / "systems",
        env=dict(os.environ, PYTHONPATH=str(HERE.parent / "python_client")),
    )


def _auto_explain(c: psycopg.Connection[Any], notes: list[str]) -> None:
    c.add_notice_handler(lambda d: notes.append(d.message_primary or ""))
    c.execute("LOAD 'auto_explain'")
    for k, v in (
        ("log_min_duration", "0"),
        ("log_analyze", "on"),
        ("log_buffers", "on"),
        ("log_nested_statements", "on"),
        ("log_timing", "on"),
        ("log_level", "notice"),
    ):
        c.execute(f"SET auto_explain.{k} = {v}")
    c.execute("SET client_min_messages = notice")


def claim_explained(dsn: str) -> str:
    """Every statement inside three claim(w7, 1) + complete_many transactions, slowest first."""
    notes: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as c:
        wid = c.execute("SELECT max(id) FROM ratchet.workers WHERE name = 'w7'").fetchone()[0]  # type: ignore[index]
        _auto_explain(c, notes)
        for _ in range(3):
            with c.transaction():
                tasks = [r[0] for r in c.execute("SELECT task FROM ratchet.claim(%s, 1)", (wid,))]
                c.execute("SELECT count(*) FROM ratchet.complete_many(%s)", (tasks,))

    def ms(note: str) -> float:
        m = re.match(r"duration: ([\d.]+) ms", note)
        return float(m.group(1)) if m else 0.0

    lines = []
    for note in sorted(notes, key=ms, reverse=True):
        jit = re.search(r"Timing: .*Total ([\d.]+) ms", note)
        text = re.search(r"Query Text: (.{0,100})", note, re.DOTALL)
        query = " ".join(text.group(1).split()) if text else "?"
        lines.append(f"{ms(note):9.3f} ms  jit {jit.group(1) if jit else '-':>7}  {query}")
    return "\n".join(lines) + "\n\n" + "\n\n".join(sorted(notes, key=ms, reverse=True))


def explained(dsn: str, n: int) -> str:
    """auto_explain output (EXPLAIN ANALYZE of each nested statement) for one batch."""
    notes: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as c:
        _auto_explain(c, notes)
        out = []
        for title, sql, params in (
            (
                f"start_many({n})",
                "SELECT count(*) FROM ratchet.start_many('noop', %s)",
                (Jsonb([{}] * n),),
            ),
            ("register_worker", "SELECT ratchet.register_worker('prof', ARRAY['default'])", ()),
        ):
            notes.clear()
            c.execute(sql, params)  # type: ignore[arg-type]
            out.append(f"===== {title}\n" + "\n\n".join(notes))
        wid = c.execute("SELECT max(id) FROM ratchet.workers").fetchone()[0]  # type: ignore[index]
        notes.clear()
        tasks = [r[0] for r in c.execute("SELECT task FROM ratchet.claim(%s, 500)", (wid,))]
        out.append(f"===== claim(worker, 500) -> {len(tasks)} tasks\n" + "\n\n".join(notes))
        notes.clear()
        c.execute("SELECT count(*) FROM ratchet.complete_many(%s)", (tasks,))
        out.append(f"===== complete_many({len(tasks)})\n" + "\n\n".join(notes))
    return "\n\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--w1", type=int, default=10_000)
    ap.add_argument("--w2", type=int, default=1_000)
    ap.add_argument("--w7", choices=("a", "b", "c", "d"), help="profile W7's claim in this case")
    ap.add_argument("--w7-backlog", type=int, default=200_000)
    args = ap.parse_args()
    cluster = Cluster()
    cluster.init()
    cluster.start()
    report = []
    if args.w7:
        try:
            dsn = cluster.fresh_db("prof")
            backlog = 0 if args.w7 == "a" else args.w7_backlog
            params = {"case": args.w7, "claims": 20, "ready": 1000, "backlog": backlog}
            print(f"profiling w7 {params}", file=sys.stderr, flush=True)
            run_module(dsn, "w7", params)
            text = claim_explained(dsn)
        finally:
            cluster.destroy()
        out = HERE / "results" / f"profile_w7{args.w7}.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text(text)
        print(f"wrote {out}", file=sys.stderr)
        return 0
    try:
        for workload, params in (
            ("w1", {"n": args.w1}),
            ("w2", {"n": args.w2, "steps": 5, "mode": "sql"}),
        ):
            dsn = cluster.fresh_db("prof")
            cluster.psql("ALTER DATABASE prof SET pg_stat_statements.track = 'all'")
            cluster.psql("CREATE EXTENSION pg_stat_statements", "prof")
            cluster.psql("SELECT pg_stat_statements_reset()", "prof")
            print(f"profiling {workload} {params}", file=sys.stderr, flush=True)
            run_module(dsn, workload, params)
            report.append(f"##### pg_stat_statements, {workload} {params}\n{top(dsn)}")
        dsn = cluster.fresh_db("prof")
        run_module(dsn, "w1", {"n": 10})  # installs the extension and the workflows
        report.append(explained(dsn, 2000))
    finally:
        cluster.destroy()
    out = HERE / "results" / "profile.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n\n".join(report) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

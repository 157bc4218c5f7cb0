"""An agent-style pipeline, used by examples/demo.py.

plan -> one "LLM call" per question, fanned out as child runs -> wait for a human's
approval -> publish (a transactional step: its row commits with its checkpoint).

Every step function appends a line to a side-effect log (``$PGRATCHET_DEMO_LOG``) so the
demo can show which work ran, and how often, across a worker crash.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

import pgratchet

app = pgratchet.App()  # $PGRATCHET_DSN, else the embedded cluster in ./.pgratchet

QUEUE = "demo"
LLM_SECONDS = float(os.environ.get("PGRATCHET_DEMO_LLM_SECONDS", "2.0"))
PUBLICATIONS_DDL = """
create table if not exists public.demo_publications (
    id bigint generated always as identity primary key,
    run bigint not null unique,
    title text not null,
    body jsonb not null,
    published_at timestamptz not null default now()
)
"""


def effect(run: int, step: str, event: str, **extra: Any) -> None:
    """Append one line to the side-effect log (the demo reads it back)."""
    path = os.environ.get("PGRATCHET_DEMO_LOG")
    if not path:
        return
    line = {"run": run, "step": step, "event": event, "pid": os.getpid(), **extra}
    with Path(path).open("a") as fh:
        fh.write(json.dumps(line) + "\n")


def make_plan(run: int, topic: str) -> dict[str, Any]:
    effect(run, "plan", "done")
    return {
        "topic": topic,
        "questions": [
            f"What is {topic}?",
            f"Who needs {topic}?",
            f"What can go wrong with {topic}?",
        ],
    }


def fake_llm(run: int, question: str) -> dict[str, Any]:
    effect(run, "complete", "start")
    time.sleep(LLM_SECONDS)  # a slow model call: the demo kills the worker in here
    answer = f"A short, confident answer to: {question}"
    effect(run, "complete", "done")
    return {"question": question, "answer": answer, "tokens": len(answer.split())}


def publish(
    conn: psycopg.Connection[Any], run: int, plan: dict[str, Any], answers: list[Any], by: str
) -> dict[str, Any]:
    """Runs inside the step's transaction: the row and the checkpoint commit together."""
    body = {"answers": answers, "approved_by": by}
    row = conn.execute(
        "insert into public.demo_publications (run, title, body) values (%s, %s, %s) returning id",
        (run, f"Report: {plan['topic']}", Jsonb(body)),
    ).fetchone()
    effect(run, "publish", "done")
    return {"publication": row[0] if row else None, "title": f"Report: {plan['topic']}"}


@app.workflow(queue=QUEUE)
def llm_call(ctx: pgratchet.Context, question: str) -> dict[str, Any]:
    # A step returns the recorded JSON of fake_llm's result: the same dict on every replay.
    answer: dict[str, Any] = ctx.step("complete", fake_llm, ctx.run_id, question, max_attempts=3)
    return answer


@app.workflow(queue=QUEUE)
def research_pipeline(ctx: pgratchet.Context, topic: str) -> dict[str, Any]:
    plan = ctx.step("plan", make_plan, ctx.run_id, topic)
    answers = ctx.gather("research", llm_call, [{"question": q} for q in plan["questions"]])
    approval = ctx.await_event("approval", "approved", timeout=timedelta(minutes=10))
    published = ctx.transaction(
        "publish", publish, ctx.run_id, plan, answers, (approval or {}).get("by", "someone")
    )
    return {"topic": topic, "answers": len(answers), **published}

"""Text rendering for people: aligned tables, durations, a run's timeline."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from .handle import HistoryEntry


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as an aligned text table (numbers right-aligned)."""
    if not rows:
        return "(none)"
    cols = list(columns or rows[0].keys())
    cells = [[cell(row.get(c)) for c in cols] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    numeric = [all(_is_number(row.get(c)) for row in rows) for c in cols]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(cols), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, timedelta):
        return human_duration(value.total_seconds())
    if isinstance(value, dict | list):
        return compact_json(value, 60)
    return str(value)


def human_duration(seconds: float) -> str:
    """``0.012s``, ``4.2s``, ``3m05s``, ``2h10m``, ``3d4h``."""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 10:
        text = f"{s:.3f}s" if s < 1 else f"{s:.1f}s"
    elif s < 60:
        text = f"{s:.0f}s"
    elif s < 3600:
        text = f"{int(s // 60)}m{int(s % 60):02d}s"
    elif s < 86400:
        text = f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"
    else:
        text = f"{int(s // 86400)}d{int(s % 86400 // 3600)}h"
    return sign + text


def compact_json(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timeline(
    info: Mapping[str, Any],
    history: Sequence[HistoryEntry],
    width: int = 100,
    children: Sequence[Mapping[str, Any]] = (),
) -> str:
    """A run as a header plus its history, each line at its offset from creation."""
    created = info.get("created_at")
    lines = [
        f"run {info.get('id')}  {info.get('workflow')} v{info.get('version')}  "
        f"queue {info.get('queue')}  status {str(info.get('status')).upper()}  "
        f"attempt {info.get('attempt')}"
    ]
    if info.get("parent"):
        lines.append(f"  parent run {info['parent']}")
    lines.append(f"  input   {compact_json(info.get('input'), width - 10)}")
    if info.get("output") is not None:
        lines.append(f"  output  {compact_json(info.get('output'), width - 10)}")
    error = info.get("error")
    if error is not None:
        shown = (
            {k: v for k, v in error.items() if k != "traceback"}
            if isinstance(error, dict)
            else error
        )
        lines.append(f"  error   {compact_json(shown, width - 10)}")
    if isinstance(created, datetime):
        lines.append(f"  created {created.strftime('%Y-%m-%d %H:%M:%S %Z').strip()}")
        finished = info.get("finished_at")
        if isinstance(finished, datetime):
            lines.append(f"  took    {human_duration((finished - created).total_seconds())}")
    lines.append("")
    base = created if isinstance(created, datetime) else (history[0].at if history else None)
    kind_w = max([len(h.kind) for h in history] + [4])
    step_w = min(max([len(h.step or "") for h in history] + [4]), 32)
    for h in history:
        offset = "+" + human_duration((h.at - base).total_seconds()) if base else ""
        detail = "" if h.detail in (None, {}) else compact_json(_trim(h.detail), width)
        lines.append(
            f"  {offset:>9}  {h.kind:<{kind_w}}  {(h.step or ''):<{step_w}}  {detail}".rstrip()
        )
    if children:
        counts: dict[str, int] = {}
        for child in children:
            counts[str(child.get("status"))] = counts.get(str(child.get("status")), 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        lines += ["", f"  children ({len(children)}: {summary})"]
        for child in children[:20]:
            took = ""
            if child.get("finished_at") and child.get("created_at"):
                took = human_duration((child["finished_at"] - child["created_at"]).total_seconds())
            lines.append(
                f"    run {child.get('id')}  {child.get('workflow')}  {child.get('status')}"
                f"  attempt {child.get('attempt')}  {took}".rstrip()
            )
        if len(children) > 20:
            lines.append(f"    ... {len(children) - 20} more")
    return "\n".join(lines)


def _trim(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: _trim(v) for k, v in detail.items() if k != "traceback"}
    return detail


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))

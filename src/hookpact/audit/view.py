"""How audit records look to a person: columns, labels, and tables (cold path).

One row per record: time, seq, session, agent, event, tool, target, decision, detail. The
*target* is the file a call touched (for a hookpact decision, found in the records of its turn:
audit/reader.py ``records(targets=True)``); the *decision* is a label that says what happened:
``DENY``/``ASK``/``allow`` for hookpact's verdicts, ``WARN`` for a rule or control that warned,
``context`` for knowledge the context hooks injected (never a warning), ``ok``/``FAILED`` for
tool outcomes, and the audit trail's own events (``gap``, ``epoch``, ``rekey``, ``recovered``).
On a terminal the table is aligned and coloured with ``rich``; piped, it is plain text with the
same columns, and ``--json``/``--csv`` carry every field including target and reason.
"""

from __future__ import annotations

from typing import IO, Any

from hookpact.audit.record import CONTEXT_HOOKS

COLUMNS = ("time", "seq", "session", "agent", "event", "tool", "target", "decision", "detail")
WIDTHS = {"time": 23, "seq": 6, "session": 8, "agent": 20, "event": 18, "tool": 10, "target": 36, "decision": 9}
CSV_COLUMNS = ("seq", "ts", "session", "prompt", "agent", "agent_id", "step", "event", "tool", "tool_use_id",
               "hook", "decision", "label", "target", "rule", "reason", "ok", "duration_ms", "error", "paths",
               "input_sha256", "input_bytes", "output_sha256", "output_bytes")
STYLES = {"DENY": "bold red", "ASK": "bold yellow", "WARN": "yellow", "FAILED": "red", "allow": "green",
          "ok": "green", "context": "cyan", "gap": "bold red", "rekey": "bold red", "epoch": "magenta",
          "recovered": "yellow"}


def agent_label(rec: dict[str, Any]) -> str:
    agent = rec.get("agent")
    label = "(internal)" if agent == "" else str(agent or "-")
    if rec.get("agent_id"):
        label += f"#{str(rec['agent_id'])[:6]}"
    return label


def target_of(rec: dict[str, Any]) -> str:
    if isinstance(rec.get("target"), str) and rec["target"]:
        return str(rec["target"])
    paths = rec.get("paths")
    if isinstance(paths, list) and paths and rec.get("event") in ("SubagentStop", "Stop"):
        # The completion hook lists every path the agent's calls named, denied ones too: not "written".
        return f"{len(paths)} path(s) named by its calls"
    if isinstance(paths, list) and paths:
        return str(paths[0]) + (f" (+{len(paths) - 1})" if len(paths) > 1 else "")
    calls = rec.get("calls")
    if isinstance(calls, list):
        return ",".join(str(c.get("tool")) for c in calls if isinstance(c, dict)) or "-"
    if rec.get("input_sha256"):
        return f"input {str(rec['input_sha256'])[:12]} ({rec.get('input_bytes')} B)"
    return "-"


def label_of(rec: dict[str, Any]) -> str:
    """What happened, in one word."""
    event = str(rec.get("event") or "")
    if event.startswith("audit."):
        return event[6:]
    if event == "CallsNotRun":  # audit/unrun.py: calls denied by a rule, another hook or hookpact
        return "not-run"
    decision = rec.get("decision")
    if isinstance(decision, str) and decision != "none":
        if decision == "context" or (decision == "warn" and rec.get("hook") in CONTEXT_HOOKS):
            return "context"  # records before the context label existed said "warn"
        return decision.upper() if decision in ("deny", "ask", "warn") else decision
    if rec.get("ok") is True:
        return "ok"
    if rec.get("ok") is False:
        return "FAILED"
    if rec.get("hook_error"):
        return "ERROR"
    return "-"


def detail_of(rec: dict[str, Any]) -> str:
    """The reason, rule, error or note behind the label."""
    parts: list[str] = []
    if rec.get("hook"):
        parts.append(f"[{rec['hook']}]")
    if rec.get("rule"):
        parts.append(f"({rec['rule']})")
    if rec.get("error"):
        parts.append(str(rec["error"]))
    if isinstance(rec.get("duration_ms"), (int, float)):
        parts.append(f"{rec['duration_ms']:g}ms")
    if rec.get("hook_error"):
        parts.append(f"hook error: {rec['hook_error']}" + (" (timed out)" if rec.get("timed_out") else ""))
    if rec.get("event") == "audit.gap" and rec.get("cause") == "write-failure":
        parts.append(f"{rec.get('records')} record(s) not written {rec.get('from')}..{rec.get('to')}: "
                     f"{rec.get('kept')} kept, {rec.get('lost')} lost")
    for key in ("source", "end_reason", "reason"):
        if rec.get(key):
            parts.append(str(rec[key]))
    if isinstance(rec.get("calls"), list):
        parts.append(f"{len(rec['calls'])} call(s)")
    return " ".join(parts) or "-"


def row(rec: dict[str, Any], *, short_time: bool = False) -> dict[str, str]:
    ts = str(rec.get("ts") or "")
    return {"time": ts[11:23] if short_time else ts.replace("T", " ").rstrip("Z"), "seq": str(rec.get("seq", "-")),
            "session": str(rec.get("session") or "-")[:8], "agent": agent_label(rec),
            "event": str(rec.get("event") or "-"), "tool": str(rec.get("tool") or "-"), "target": target_of(rec),
            "decision": label_of(rec), "detail": detail_of(rec)}


def csv_row(rec: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for column in CSV_COLUMNS:
        value = (label_of(rec) if column == "label" else target_of(rec) if column == "target" else rec.get(column))
        if isinstance(value, list):
            value = ";".join(str(v) for v in value)
        out.append("" if value is None or (value == "-" and column == "target") else value)
    return out


def _fit(text: str, width: int, *, keep_end: bool = False) -> str:
    if len(text) <= width:
        return text.ljust(width)
    return ("…" + text[-(width - 1):]) if keep_end else (text[:width - 1] + "…")


def _cells(values: dict[str, str], widths: dict[str, int]) -> list[str]:
    cells = []
    for column in COLUMNS:
        if column == "detail":
            cells.append(values[column])
        elif column == "seq":
            cells.append(values[column].rjust(widths[column]))
        else:
            cells.append(_fit(values[column], widths[column], keep_end=column == "target"))
    return cells


class Table:
    """A streaming table: a header, then one aligned line per record; colour when ``color``."""

    def __init__(self, out: IO[str], *, short_time: bool = False, color: bool = False) -> None:
        self.out = out
        self.short_time = short_time
        self.widths = dict(WIDTHS, time=12 if short_time else 23)
        self.console: Any = None
        if color:
            from rich.console import Console

            self.console = Console(file=out, highlight=False, soft_wrap=True, force_terminal=True)
        self.started = False

    def header(self) -> None:
        names = {c: c.upper() for c in COLUMNS}
        line = "  ".join(_cells(names, self.widths)).rstrip()
        if self.console is not None:
            from rich.text import Text

            self.console.print(Text(line, style="bold"))
        else:
            self.out.write(line + "\n")
        self.started = True

    def add(self, rec: dict[str, Any]) -> None:
        if not self.started:
            self.header()
        values = row(rec, short_time=self.short_time)
        cells = _cells(values, self.widths)
        if self.console is None:
            self.out.write("  ".join(cells).rstrip() + "\n")
            return
        from rich.text import Text

        text = Text()
        for index, (column, cell) in enumerate(zip(COLUMNS, cells, strict=True)):
            if index:
                text.append("  ")
            style = STYLES.get(values["decision"], "") if column == "decision" else (
                "dim" if column in ("time", "seq", "session") else "")
            text.append(cell, style=style)
        self.console.print(text)


def wants_color(out: IO[str], env: dict[str, str] | None = None) -> bool:
    import os

    env = dict(os.environ) if env is None else env
    if env.get("NO_COLOR"):
        return False
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):
        return False

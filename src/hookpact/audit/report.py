"""``hookpact audit report --html``: one self-contained HTML file of what the agents did (cold path).

One pass over the log, memory bounded by what is drawn, not by the number of records: each session's
timeline is cut into at most ``SLOTS`` time slots per agent lane, and a slot is one mark coloured by
the most serious outcome in it (denied > failed > warned > ran), with the counts in its tooltip.
Denials are listed one by one (up to ``MAX_DENIALS``, newest kept), with their reasons. Hook run
times (p50/p95, failures, timeouts) come from the hook-run log, costs from the completion hook's
records, the chain's state from ``audit verify``. No script, no external resource: the file opens
the same offline.
"""

from __future__ import annotations

import html
import os
import time
from collections import deque
from typing import Any

from hookpact.audit import reader
from hookpact.audit.export import epoch_ns

SLOTS = 120
MAX_SESSIONS = 40
MAX_DENIALS = 2000
SEVERITY = {"ran": 0, "warn": 1, "failed": 2, "deny": 3}
COLOURS = {"ran": "#3b8f5a", "warn": "#d9a400", "failed": "#7b3fa0", "deny": "#c62828"}
LABELS = {"ran": "ran", "warn": "warned", "failed": "failed", "deny": "denied"}


def _epoch(ts: Any) -> float | None:
    ns = epoch_ns(ts)
    return None if ns is None else ns / 1e9


def outcome(rec: dict[str, Any]) -> str | None:
    """The mark a record makes on its lane, or None (records that are not about a tool call)."""
    decision = rec.get("decision")
    if decision in ("deny", "ask"):
        return "deny"
    if decision == "warn":
        return "warn"
    if rec.get("ok") is False:
        return "failed"
    if rec.get("ok") is True:
        return "ran"
    return None


def lane_of(rec: dict[str, Any]) -> str:
    agent = rec.get("agent")
    name = "internal" if agent == "" else str(agent or "main")
    return f"{name} #{str(rec['agent_id'])[:8]}" if rec.get("agent_id") else name


class Session:
    """A session's marks as counts per (lane, time bucket). Buckets start 100 ms wide and double (merging
    pairs, which is exact) whenever there are more than ``MAX_BUCKETS``, so memory stays bounded however
    long the session is."""

    __slots__ = ("first", "last", "records", "buckets", "width", "lanes", "denials")
    MAX_BUCKETS = 4000

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.records = 0
        self.buckets: dict[tuple[str, int], dict[str, int]] = {}
        self.width = 0.1
        self.lanes: dict[str, int] = {}
        self.denials = 0

    def add(self, when: float | None, lane: str, mark: str | None) -> None:
        self.records += 1
        if when is not None:
            self.first = when if self.first is None or when < self.first else self.first
            self.last = when if self.last is None or when > self.last else self.last
        if mark is None or when is None:
            return
        self.lanes[lane] = self.lanes.get(lane, 0) + 1
        self.denials += mark == "deny"
        entry = self.buckets.setdefault((lane, int(when // self.width)), {})
        entry[mark] = entry.get(mark, 0) + 1
        if len(self.buckets) > self.MAX_BUCKETS:
            self._coarsen()

    def _coarsen(self) -> None:
        merged: dict[tuple[str, int], dict[str, int]] = {}
        for (lane, index), counts in self.buckets.items():
            entry = merged.setdefault((lane, index // 2), {})
            for k, n in counts.items():
                entry[k] = entry.get(k, 0) + n
        self.buckets = merged
        self.width *= 2

    def slots(self) -> dict[tuple[str, int], dict[str, int]]:
        """(lane, slot) -> {outcome: count}: the buckets spread over ``SLOTS`` slots of the session."""
        first, last = self.first or 0.0, self.last or 0.0
        span = max(last - first, 1e-3)
        out: dict[tuple[str, int], dict[str, int]] = {}
        for (lane, index), counts in self.buckets.items():
            middle = min(max((index + 0.5) * self.width, first), last)
            slot = min(SLOTS - 1, int((middle - first) / span * SLOTS))
            entry = out.setdefault((lane, slot), {})
            for k, n in counts.items():
                entry[k] = entry.get(k, 0) + n
        return out


def collect(state_dir: str, flt: reader.Filter | None = None) -> dict[str, Any]:
    from hookpact.audit.stats import cost_stats, hook_run_stats

    sessions: dict[str, Session] = {}
    denials: deque[dict[str, Any]] = deque(maxlen=MAX_DENIALS)
    total_denials = 0
    latest_costs: dict[tuple[str, str], dict[str, Any]] = {}
    records = 0
    for _, rec in reader.records(state_dir, flt):
        records += 1
        session = str(rec.get("session") or "(no session)")
        mark = outcome(rec)
        entry = sessions.get(session)
        if entry is None:
            entry = sessions[session] = Session()
        entry.add(_epoch(rec.get("ts")), lane_of(rec), mark)
        if mark == "deny":
            total_denials += 1
            denials.append({k: rec.get(k) for k in ("ts", "session", "agent", "agent_id", "tool", "hook", "rule",
                                                     "reason", "decision", "paths")})
        if isinstance(rec.get("cost"), dict):
            latest_costs[(session, str(rec["cost"].get("scope")))] = rec
    return {"records": records, "sessions": sessions, "denials": list(denials), "total_denials": total_denials,
            "hooks": hook_run_stats(state_dir), "costs": cost_stats(latest_costs.values())}


def verify_status(state_dir: str, data_dir: str) -> tuple[str, list[str]]:
    try:
        from hookpact.audit import verify

        result = verify.verify(state_dir, data_dir)
        return ("intact" if result.exit_code == 0 else "DAMAGED"), verify.summary_lines(result)
    except Exception as exc:  # the report still shows what the log holds
        return "not checked", [f"{type(exc).__name__}: {exc}"]


# ------------------------------------------------------------------------------------ rendering


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _clock(when: float | None) -> str:
    return "-" if when is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when)) + "Z"


def _timeline(name: str, s: Session) -> str:
    lanes = sorted(s.lanes, key=lambda lane: (lane != "main", lane))
    if not lanes:
        return ""
    label_w, slot_w, row_h = 180, 6, 18
    width = label_w + SLOTS * slot_w + 10
    height = row_h * len(lanes) + 24
    parts = [f'<svg class="timeline" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'aria-label="timeline of session {_e(name)}">']
    slots = s.slots()
    span = (s.last or 0) - (s.first or 0)
    for row, lane in enumerate(lanes):
        y = row * row_h + 4
        parts.append(f'<text x="0" y="{y + 12}" class="lane-label">{_e(lane[:28])}</text>')
        parts.append(f'<line x1="{label_w}" x2="{label_w + SLOTS * slot_w}" y1="{y + 8}" y2="{y + 8}" '
                     'class="lane-line"/>')
        for slot in range(SLOTS):
            counts = slots.get((lane, slot))
            if not counts:
                continue
            worst = max(counts, key=lambda k: SEVERITY[k])
            tip = ", ".join(f"{n} {LABELS[k]}" for k, n in sorted(counts.items(), key=lambda kv: -SEVERITY[kv[0]]))
            at = _clock((s.first or 0) + span * slot / SLOTS)
            parts.append(f'<rect class="mark mark-{worst}" data-lane="{_e(lane)}" x="{label_w + slot * slot_w}" '
                         f'y="{y + 2}" width="{slot_w - 1}" height="12" fill="{COLOURS[worst]}">'
                         f'<title>{_e(lane)} at {at}: {_e(tip)}</title></rect>')
    parts.append(f'<text x="{label_w}" y="{height - 4}" class="axis">{_clock(s.first)}</text>')
    parts.append(f'<text x="{label_w + SLOTS * slot_w}" y="{height - 4}" class="axis" text-anchor="end">'
                 f'{_clock(s.last)}</text></svg>')
    return "".join(parts)


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;
margin-right:4px;vertical-align:-1px}.lane-label,.axis{font:11px monospace;fill:#333}.lane-line{stroke:#e3e3e3}
.status-intact{color:#2e7d32;font-weight:bold}.status-DAMAGED{color:#c62828;font-weight:bold}
.session{margin:14px 0}.muted{color:#777}pre{background:#f7f7f7;padding:8px;white-space:pre-wrap}
"""


def render(data: dict[str, Any], verify: tuple[str, list[str]] | None, title: str) -> str:
    sessions: dict[str, Session] = data["sessions"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{CSS}</style></head><body>", f"<h1>{_e(title)}</h1>"]
    out.append(f'<p id="summary">{data["records"]} record(s), {len(sessions)} session(s), '
               f'{data["total_denials"]} denial(s); generated {_clock(time.time())}.</p>')
    if verify is not None:
        state, lines = verify
        out.append(f'<h2>Audit chain</h2><p id="verify">verify: <span class="status-{_e(state.split()[0])}">'
                   f'{_e(state)}</span></p><pre>{_e(chr(10).join(lines))}</pre>')
    out.append('<h2>Timelines</h2><p class="legend">' + "".join(
        f'<span><i style="background:{COLOURS[k]}"></i>{LABELS[k]}</span>' for k in ("ran", "warn", "failed", "deny"))
        + " One lane per agent; each mark is a time slot, coloured by its most serious outcome.</p>")
    ranked = sorted(sessions.items(), key=lambda kv: -(kv[1].last or 0))
    for name, s in ranked[:MAX_SESSIONS]:
        out.append(f'<div class="session" data-session="{_e(name)}"><h3>session {_e(name)}</h3>'
                   f'<p class="muted">{_clock(s.first)} .. {_clock(s.last)}; {s.records} record(s), '
                   f'{len(s.lanes)} lane(s), {s.denials} denial(s)</p>{_timeline(name, s)}</div>')
    if len(ranked) > MAX_SESSIONS:
        out.append(f'<p class="muted">{len(ranked) - MAX_SESSIONS} older session(s) not drawn '
                   "(use --session or --since).</p>")
    denials = data["denials"]
    out.append(f'<h2>Denials ({data["total_denials"]})</h2>')
    if data["total_denials"] > len(denials):
        out.append(f'<p class="muted">the newest {len(denials)} are listed.</p>')
    if denials:
        out.append('<table id="denials"><tr><th>time</th><th>session</th><th>agent</th><th>tool</th><th>hook</th>'
                   "<th>rule</th><th>reason</th></tr>")
        for d in reversed(denials):
            agent = lane_of(d)
            target = f" {d['paths'][0]}" if isinstance(d.get("paths"), list) and d["paths"] else ""
            out.append(f'<tr class="denial"><td>{_e(d.get("ts"))}</td><td>{_e(str(d.get("session") or "")[:12])}</td>'
                       f"<td>{_e(agent)}</td><td>{_e(d.get('tool'))}{_e(target)}</td><td>{_e(d.get('hook'))}</td>"
                       f"<td>{_e(d.get('rule'))}</td><td class=\"reason\">{_e(d.get('reason'))}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>none</p>")
    hooks = data["hooks"]
    out.append("<h2>Hook run times (hook-run log)</h2>")
    if hooks:
        out.append('<table id="hooks"><tr><th>hook</th><th>runs</th><th>failed</th><th>timeouts</th>'
                   "<th>p50 ms</th><th>p95 ms</th></tr>")
        for hook, h in hooks.items():
            out.append(f"<tr><td>{_e(hook)}</td><td class=num>{h['runs']}</td><td class=num>{h['failures']}</td>"
                       f"<td class=num>{h['timeouts']}</td><td class=num>{_e(h['p50_ms'])}</td>"
                       f"<td class=num>{_e(h['p95_ms'])}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>no hook runs logged</p>")
    costs = data["costs"]
    out.append(f"<h2>Costs (estimate): {costs['total_usd']:.4f} USD</h2>")
    if costs["by_agent"]:
        out.append('<table id="costs"><tr><th>agent</th><th>USD</th><th>input tokens</th><th>output tokens</th></tr>')
        for agent, c in sorted(costs["by_agent"].items(), key=lambda kv: -kv[1]["usd"]):
            t = c["tokens"]
            out.append(f"<tr><td>{_e(agent)}</td><td class=num>{c['usd']:.4f}</td>"
                       f"<td class=num>{t.get('input_tokens', 0)}</td><td class=num>{t.get('output_tokens', 0)}</td>"
                       "</tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(state_dir: str, data_dir: str, output: str, flt: reader.Filter | None = None, *,
                 verify: bool = True) -> str:
    """Write the report to ``output`` atomically; returns its absolute path."""
    from hookpact.core.errors import HookpactError

    data = collect(state_dir, flt)
    text = render(data, verify_status(state_dir, data_dir) if verify else None, "hookpact audit report")
    target = os.path.abspath(output)
    tmp = f"{target}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise HookpactError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target

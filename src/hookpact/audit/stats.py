"""``hookpact audit stats``: counts, denials, failures and duration percentiles, in one pass.

Memory is flat in the number of records: per group a few counters and a log-bucketed
histogram (buckets 2% wide, so p50/p95 are exact to within 2%), never the durations themselves.
"""

from __future__ import annotations

import math

from hookpact.audit import reader
from hookpact.core.log import iter_runs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_GROWTH = 1.02
_LOG_GROWTH = math.log(_GROWTH)


class Histogram:
    """Approximate quantiles of non-negative values in O(distinct buckets) memory."""

    __slots__ = ("buckets", "count", "zeros")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.zeros = 0

    def add(self, value: float) -> None:
        self.count += 1
        if value <= 0:
            self.zeros += 1
            return
        index = math.floor(math.log(value) / _LOG_GROWTH)
        self.buckets[index] = self.buckets.get(index, 0) + 1

    def quantile(self, q: float) -> float | None:
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        if rank <= self.zeros:
            return 0.0
        seen = self.zeros
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return float(_GROWTH ** (index + 0.5))  # the bucket's geometric middle
        return None


class Group:
    __slots__ = ("records", "calls", "denials", "failures", "durations")

    def __init__(self) -> None:
        self.records = 0
        self.calls = 0
        self.denials = 0
        self.failures = 0
        self.durations = Histogram()

    def add(self, rec: dict[str, Any]) -> None:
        self.records += 1
        if rec.get("decision") == "deny":
            self.denials += 1
        if rec.get("ok") is not None:
            self.calls += 1
            if rec.get("ok") is False:
                self.failures += 1
            duration = rec.get("duration_ms")
            if isinstance(duration, (int, float)):
                self.durations.add(float(duration))

    def as_dict(self) -> dict[str, Any]:
        p50, p95 = self.durations.quantile(0.5), self.durations.quantile(0.95)
        return {"records": self.records, "calls": self.calls, "denials": self.denials, "failures": self.failures,
                "p50_ms": None if p50 is None else round(p50, 1), "p95_ms": None if p95 is None else round(p95, 1)}


def audit_stats(state_dir: str, flt: reader.Filter) -> dict[str, Any]:
    total = Group()
    by: dict[str, dict[str, Group]] = {"tool": {}, "agent": {}, "session": {}, "event": {}}
    first_ts = last_ts = None
    latest_costs: dict[tuple[str, str], dict[str, Any]] = {}
    for _, rec in reader.records(state_dir, flt):
        total.add(rec)
        if isinstance(rec.get("cost"), dict):  # cumulative per transcript: the latest one counts
            latest_costs[(str(rec.get("session")), str(rec["cost"].get("scope")))] = rec
        ts = rec.get("ts")
        if isinstance(ts, str):
            first_ts = ts if first_ts is None or ts < first_ts else first_ts
            last_ts = ts if last_ts is None or ts > last_ts else last_ts
        for name, groups in by.items():
            value = rec.get(name)
            if value is None:
                continue
            key = str(value) if value != "" else "(internal)"
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group()
            group.add(rec)
    return {"total": total.as_dict(), "first_ts": first_ts, "last_ts": last_ts,
            **{f"by_{name}": {k: g.as_dict() for k, g in sorted(groups.items())} for name, groups in by.items()},
            "hooks": hook_run_stats(state_dir), "costs": cost_stats(latest_costs.values())}


def cost_stats(records: Any) -> dict[str, Any]:
    """Estimated cost (USD) and tokens per session and per agent, from the completion hook's records."""
    out: dict[str, Any] = {"total_usd": 0.0, "tokens": {}, "by_session": {}, "by_agent": {}}
    for rec in records:
        cost = rec["cost"]
        usd = float(cost.get("usd") or 0.0)
        agent = str(rec.get("agent")) if rec.get("agent") != "" else "(internal)"
        out["total_usd"] += usd
        for group, key in (("by_session", str(rec.get("session"))), ("by_agent", agent)):
            entry = out[group].setdefault(key, {"usd": 0.0, "tokens": {}})
            entry["usd"] += usd
            for kind, n in (cost.get("tokens") or {}).items():
                entry["tokens"][kind] = entry["tokens"].get(kind, 0) + int(n)
        for kind, n in (cost.get("tokens") or {}).items():
            out["tokens"][kind] = out["tokens"].get(kind, 0) + int(n)
    out["total_usd"] = round(out["total_usd"], 6)
    for group in ("by_session", "by_agent"):
        for entry in out[group].values():
            entry["usd"] = round(entry["usd"], 6)
    return out


def hook_run_stats(state_dir: str) -> dict[str, Any]:
    """Per hook: runs, failures, timeouts and their rates, p50/p95 run time, from the hook-run log."""
    runs: dict[str, dict[str, Any]] = {}
    for run in iter_runs(state_dir):
        if not isinstance(run.get("hook"), str):
            continue
        entry = runs.setdefault(run["hook"], {"runs": 0, "failures": 0, "timeouts": 0, "_h": Histogram()})
        entry["runs"] += 1
        if run.get("outcome") == "error":
            entry["failures"] += 1
        if run.get("timed_out"):
            entry["timeouts"] += 1
        if isinstance(run.get("duration_ms"), (int, float)):
            entry["_h"].add(float(run["duration_ms"]))
    out = {}
    for hook, entry in sorted(runs.items()):
        hist: Histogram = entry.pop("_h")
        n = entry["runs"]
        p50, p95 = hist.quantile(0.5), hist.quantile(0.95)
        out[hook] = {**entry, "failure_rate": round(entry["failures"] / n, 4), "timeout_rate":
                     round(entry["timeouts"] / n, 4), "p50_ms": None if p50 is None else round(p50, 1),
                     "p95_ms": None if p95 is None else round(p95, 1)}
    return out


def render(stats: dict[str, Any], top: int = 20) -> list[str]:
    """The human-readable tables."""
    out: list[str] = []
    total = stats["total"]
    out.append(f"{total['records']} record(s), {total['calls']} tool call(s), {total['denials']} denial(s), "
               f"{total['failures']} failure(s)" + (f", {stats['first_ts']} .. {stats['last_ts']}"
                                                     if stats["first_ts"] else ""))
    for name in ("tool", "agent", "session"):
        groups = stats[f"by_{name}"]
        if not groups:
            continue
        out.append("")
        out.append(f"{'by ' + name:<40} {'records':>8} {'calls':>7} {'denied':>7} {'failed':>7} "
                   f"{'p50 ms':>8} {'p95 ms':>8}")
        ranked = sorted(groups.items(), key=lambda kv: -kv[1]["records"])
        for key, g in ranked[:top]:
            out.append(f"{key[:40]:<40} {g['records']:>8} {g['calls']:>7} {g['denials']:>7} {g['failures']:>7} "
                       f"{_ms(g['p50_ms']):>8} {_ms(g['p95_ms']):>8}")
        if len(ranked) > top:
            out.append(f"... and {len(ranked) - top} more (--json for all)")
    costs = stats.get("costs") or {}
    for name in ("session", "agent"):
        groups = costs.get(f"by_{name}") or {}
        if groups:
            out.append("")
            out.append(f"{'cost by ' + name + ' (estimate)':<40} {'USD':>10} {'input tok':>10} {'output tok':>10}")
            for key, c in sorted(groups.items(), key=lambda kv: -kv[1]["usd"])[:top]:
                t = c["tokens"]
                out.append(f"{key[:40]:<40} {c['usd']:>10.4f} {t.get('input_tokens', 0):>10} "
                           f"{t.get('output_tokens', 0):>10}")
    hooks = stats["hooks"]
    if hooks:
        out.append("")
        out.append(f"{'hook runs (hook-run log)':<28} {'runs':>8} {'failed':>7} {'rate':>7} {'timeouts':>9} "
                   f"{'rate':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for hook, h in hooks.items():
            out.append(f"{hook:<28} {h['runs']:>8} {h['failures']:>7} {h['failure_rate']:>7.2%} "
                       f"{h['timeouts']:>9} {h['timeout_rate']:>7.2%} {_ms(h['p50_ms']):>8} {_ms(h['p95_ms']):>8}")
    return out


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"

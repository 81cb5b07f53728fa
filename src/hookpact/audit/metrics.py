"""Prometheus metrics from the audit log, the hook-run log and the spend ledger (cold path).

``render_metrics(state_dir)`` is the text exposition format, for ``hookpact metrics`` (node_exporter's
textfile collector) and for the ``/metrics`` endpoint of ``hookpact serve``. The numbers are the ones
``hookpact audit stats`` prints over the same log: both read records through :mod:`audit.reader`, and
costs through :func:`audit.stats.cost_stats`.

Label cardinality is bounded: no session ids, no paths; every label keeps at most ``max_values``
distinct values (the most frequent ones), the rest are folded into ``"other"``.

Metrics (prometheus_client conventions: ``_total`` counters, base units, ``hookpact_`` prefix):

* ``hookpact_decisions_total{hook,agent,decision,rule}``: hookpact's decisions (audit records with one)
* ``hookpact_tool_calls_total{tool,agent,outcome}`` and ``hookpact_tool_duration_seconds{tool}``
* ``hookpact_hook_runs_total{hook,outcome}``, ``hookpact_hook_timeouts_total{hook}`` and
  ``hookpact_hook_duration_seconds{hook}``: every hook run (hook-run log)
* ``hookpact_cost_usd{agent}`` and ``hookpact_tokens{agent,kind}``: estimated cost and tokens (gauges)
* ``hookpact_spend_usd{scope,period}``, ``hookpact_spend_limit_usd{scope,period}`` and
  ``hookpact_spend_ratio{scope,period}``: the current period of every spend limit (runaway.spend)
* ``hookpact_audit_records_total`` and ``hookpact_audit_last_record_timestamp_seconds``
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hookpact.audit import reader
from hookpact.core.log import iter_runs

#: Upper bounds (seconds) of the duration histograms; hooks answer in ms, tools may take minutes.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
OTHER = "other"
MAX_VALUES = 50


class _Hist:
    __slots__ = ("counts", "total", "n")

    def __init__(self) -> None:
        self.counts = [0] * len(BUCKETS)
        self.total = 0.0
        self.n = 0

    def add(self, seconds: float) -> None:
        self.n += 1
        self.total += seconds
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
                break

    def merge(self, other: _Hist) -> None:
        self.n += other.n
        self.total += other.total
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]

    def buckets(self) -> list[tuple[str, float]]:
        out, running = [], 0
        for bound, count in zip(BUCKETS, self.counts, strict=True):
            running += count
            out.append((_bound(bound), float(running)))
        out.append(("+Inf", float(self.n)))
        return out


def _bound(value: float) -> str:
    return repr(float(value))


def _label(value: Any) -> str:
    if value is None:
        return ""
    return "internal" if value == "" else str(value)


def _bounded(table: dict[tuple[str, ...], Any], max_values: int, merge: Any) -> dict[tuple[str, ...], Any]:
    """Fold, label by label, the values beyond the ``max_values`` most frequent into ``other``."""
    if not table:
        return table
    width = len(next(iter(table)))
    for position in range(width):
        weight: dict[str, float] = {}
        for key, value in table.items():
            weight[key[position]] = weight.get(key[position], 0.0) + _weight(value)
        if len(weight) <= max_values:
            continue
        keep = {v for v, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:max_values - 1]}
        folded: dict[tuple[str, ...], Any] = {}
        for key, value in table.items():
            new = key if key[position] in keep else (*key[:position], OTHER, *key[position + 1:])
            folded[new] = merge(folded[new], value) if new in folded else value
        table = folded
    return table


def _weight(value: Any) -> float:
    return float(value.n) if isinstance(value, _Hist) else float(value)


def _add(a: Any, b: Any) -> Any:
    return a + b


def _merge_hist(a: _Hist, b: _Hist) -> _Hist:
    out = _Hist()
    out.merge(a)
    out.merge(b)
    return out


def _epoch(ts: str) -> float | None:
    from hookpact.audit.export import epoch_ns

    ns = epoch_ns(ts)
    return None if ns is None else ns / 1e9


class Snapshot:
    """Everything the exposition holds, aggregated in one pass over the logs."""

    def __init__(self) -> None:
        self.decisions: dict[tuple[str, ...], float] = {}
        self.calls: dict[tuple[str, ...], float] = {}
        self.call_durations: dict[tuple[str, ...], _Hist] = {}
        self.hook_runs: dict[tuple[str, ...], float] = {}
        self.hook_timeouts: dict[tuple[str, ...], float] = {}
        self.hook_durations: dict[tuple[str, ...], _Hist] = {}
        self.costs: dict[tuple[str, ...], float] = {}
        self.tokens: dict[tuple[str, ...], float] = {}
        self.spend: list[dict[str, Any]] = []
        self.records = 0
        self.last_ts: str | None = None


def collect(state_dir: str, flt: reader.Filter | None = None) -> Snapshot:
    from hookpact.audit.stats import cost_stats

    snap = Snapshot()
    latest_costs: dict[tuple[str, str], dict[str, Any]] = {}
    for _, rec in reader.records(state_dir, flt):
        snap.records += 1
        ts = rec.get("ts")
        if isinstance(ts, str) and (snap.last_ts is None or ts > snap.last_ts):
            snap.last_ts = ts
        agent = _label(rec.get("agent"))
        if rec.get("decision") is not None:
            key = (_label(rec.get("hook")), agent, str(rec["decision"]), _label(rec.get("rule")))
            snap.decisions[key] = snap.decisions.get(key, 0) + 1
        if rec.get("ok") is not None:
            tool = _label(rec.get("tool"))
            call = (tool, agent, "ok" if rec["ok"] is not False else "failed")
            snap.calls[call] = snap.calls.get(call, 0) + 1
            duration = rec.get("duration_ms")
            if isinstance(duration, (int, float)):
                snap.call_durations.setdefault((tool,), _Hist()).add(max(0.0, float(duration)) / 1000)
        if isinstance(rec.get("cost"), dict):
            latest_costs[(str(rec.get("session")), str(rec["cost"].get("scope")))] = rec
    costs = cost_stats(latest_costs.values())
    for agent, entry in costs["by_agent"].items():
        label = "internal" if agent == "(internal)" else agent
        snap.costs[(label,)] = float(entry["usd"])
        for kind, n in entry["tokens"].items():
            snap.tokens[(label, kind)] = float(n)
    _hook_runs(state_dir, snap)
    snap.spend = _spend(state_dir)
    return snap


def _hook_runs(state_dir: str, snap: Snapshot) -> None:
    for run in iter_runs(state_dir):
        if not isinstance(run.get("hook"), str):
            continue
        hook = run["hook"]
        outcome = "error" if run.get("outcome") == "error" else "ok"
        snap.hook_runs[(hook, outcome)] = snap.hook_runs.get((hook, outcome), 0) + 1
        if run.get("timed_out"):
            snap.hook_timeouts[(hook,)] = snap.hook_timeouts.get((hook,), 0) + 1
        if isinstance(run.get("duration_ms"), (int, float)):
            snap.hook_durations.setdefault((hook,), _Hist()).add(max(0.0, float(run["duration_ms"])) / 1000)


def _spend(state_dir: str) -> list[dict[str, Any]]:
    from hookpact.runaway import spend

    try:
        return spend.current_rows(state_dir)
    except Exception:
        return []  # an unreadable ledger is reported by `hookpact status`, not by a missing scrape


class _Collector:
    def __init__(self, snap: Snapshot, max_values: int) -> None:
        self.snap = snap
        self.max_values = max_values

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        s, m = self.snap, self.max_values

        def counter(name: str, doc: str, labels: list[str], table: dict[tuple[str, ...], float]) -> Any:
            family = CounterMetricFamily(name, doc, labels=labels)
            for key, value in sorted(_bounded(table, m, _add).items()):
                family.add_metric(list(key), value)
            return family

        def gauge(name: str, doc: str, labels: list[str], table: dict[tuple[str, ...], float]) -> Any:
            family = GaugeMetricFamily(name, doc, labels=labels)
            for key, value in sorted(_bounded(table, m, _add).items()):
                family.add_metric(list(key), value)
            return family

        def histogram(name: str, doc: str, labels: list[str], table: dict[tuple[str, ...], _Hist]) -> Any:
            family = HistogramMetricFamily(name, doc, labels=labels)
            for key, hist in sorted(_bounded(table, m, _merge_hist).items()):
                family.add_metric(list(key), hist.buckets(), hist.total)
            return family

        yield counter("hookpact_decisions", "hookpact decisions by hook, agent type, decision and rule",
                      ["hook", "agent", "decision", "rule"], s.decisions)
        yield counter("hookpact_tool_calls", "Tool calls that ran (PostToolUse/PostToolUseFailure), by outcome",
                      ["tool", "agent", "outcome"], s.calls)
        yield histogram("hookpact_tool_duration_seconds", "Tool call durations reported by Claude Code",
                        ["tool"], s.call_durations)
        yield counter("hookpact_hook_runs", "hookpact hook runs (hook-run log); outcome error includes timeouts",
                      ["hook", "outcome"], s.hook_runs)
        yield counter("hookpact_hook_timeouts", "hookpact hook runs that ran out of their own budget",
                      ["hook"], s.hook_timeouts)
        yield histogram("hookpact_hook_duration_seconds", "hookpact hook run time", ["hook"], s.hook_durations)
        yield gauge("hookpact_cost_usd", "Estimated cost per agent type (latest per transcript, summed)",
                    ["agent"], s.costs)
        yield gauge("hookpact_tokens", "Tokens per agent type and kind (latest per transcript, summed)",
                    ["agent", "kind"], s.tokens)
        spent: dict[tuple[str, ...], float] = {}
        limit: dict[tuple[str, ...], float] = {}
        for row in s.spend:
            key = (str(row["scope"]), str(row["period"]))
            spent[key] = float(row["spent"])
            limit[key] = float(row["limit"])
        yield gauge("hookpact_spend_usd", "Spend in the current period of each spend limit (runaway.spend)",
                    ["scope", "period"], spent)
        yield gauge("hookpact_spend_limit_usd", "Each spend limit (runaway.spend)", ["scope", "period"], limit)
        yield gauge("hookpact_spend_ratio", "Spend over limit in the current period (1 = suspended)",
                    ["scope", "period"], {k: (spent[k] / limit[k] if limit[k] else 0.0) for k in spent})
        records = CounterMetricFamily("hookpact_audit_records", "Audit records read")
        records.add_metric([], float(s.records))
        yield records
        if s.last_ts:
            when = _epoch(s.last_ts)
            if when is not None:
                last = GaugeMetricFamily("hookpact_audit_last_record_timestamp_seconds",
                                         "Time of the newest audit record (Unix seconds)")
                last.add_metric([], when)
                yield last


def render_metrics(state_dir: str, flt: reader.Filter | None = None, *, max_values: int = MAX_VALUES) -> bytes:
    """The text exposition (``text/plain; version=0.0.4``) of everything in ``state_dir``."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(collect(state_dir, flt), max(2, max_values)))
    return generate_latest(registry)


#: The Content-Type for an HTTP server that serves :func:`render_metrics`.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

"""``hookpact audit export --otlp``: audit records to an OpenTelemetry collector (cold path).

Every audit record becomes one OTel log record, and every hookpact decision and every tool call
that ran also becomes a span, sent with the OpenTelemetry Python SDK's OTLP/HTTP exporters (the
``hookpact[otel]`` extra), which honour the standard ``OTEL_EXPORTER_OTLP_*`` variables (endpoint,
per-signal endpoints, headers, timeout, compression, certificates).

Delivery is at least once, and idempotent: the cursor (``<state dir>/export/otlp.json``, the
``seq`` of the last record the collector accepted) moves only after both the spans and the logs of a
batch were accepted, so an exporter killed mid-batch sends that batch again when it restarts. Every
id is derived from the record itself, so a batch sent twice carries the same ids twice:
``hookpact.record_id`` (SHA-256 of the record's stored line), span ids (from the record id, or for a
tool call from its session and ``tool_use_id``, so a decision span is the child of its call's span
even when the two are exported apart) and trace ids (from the session id: one trace per session).
When a record carries a W3C ``traceparent`` (Claude Code passes ``TRACEPARENT`` to hooks with
``CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1`` and ``CLAUDE_CODE_PROPAGATE_TRACEPARENT=1``), its trace id and
parent span are used instead, so hookpact's spans join Claude Code's own trace.

Failures are retried a bounded number of times with exponential backoff; the hooks never wait for
any of this: they only write the audit log, and the exporter reads it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

from hookpact.audit import reader
from hookpact.core.errors import HookpactError

CURSOR = ("export", "otlp.json")
BATCH = 512
SCOPE = "hookpact.audit"
#: Record fields sent as span/log attributes (``hookpact.<name>``), besides the ones mapped below.
PLAIN_FIELDS = ("seq", "event", "hook", "tool", "tool_use_id", "decision", "rule", "reason", "prompt", "step",
                "origin", "via", "kind", "notified", "gate", "error", "hook_error", "timed_out", "ok",
                "duration_ms", "hook_ms", "input_sha256", "input_bytes", "output_sha256", "output_bytes",
                "source", "end_reason")


#: A log record's body holds the whole record; its attributes only what a backend filters on (encoding
#: every attribute twice, on the span and on the log, halved the export rate).
LOG_ATTRIBUTES = frozenset({"hookpact.record_id", "session.id", "hookpact.seq", "hookpact.event", "hookpact.hook",
                            "hookpact.agent.type", "hookpact.agent.id", "hookpact.tool", "hookpact.tool_use_id",
                            "hookpact.decision", "hookpact.rule"})


class ExportError(HookpactError):
    """The collector did not accept a batch after every retry."""


def cursor_path(state_dir: str) -> str:
    return os.path.join(state_dir, *CURSOR)


def read_cursor(state_dir: str) -> int:
    try:
        with open(cursor_path(state_dir), "rb") as fh:
            data = json.loads(fh.read())
        return int(data["seq"])
    except FileNotFoundError:
        return 0
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HookpactError(f"{cursor_path(state_dir)} cannot be read ({exc}); remove it to export everything "
                            "again (the collector gets the same record ids, so nothing is counted twice "
                            "by id)") from None


def write_cursor(state_dir: str, seq: int) -> None:
    from hookpact.core.dirs import open_private

    path = cursor_path(state_dir)
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"seq": seq, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------ ids and times


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).digest()


def record_id(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _nonzero(value: int) -> int:
    return value or 1


def trace_id_of(session: str) -> int:
    return _nonzero(int.from_bytes(_digest("trace", session)[:16], "big"))


def tool_span_id(session: str, tool_use_id: str) -> int:
    return _nonzero(int.from_bytes(_digest("tool", session, tool_use_id)[:8], "big"))


def record_span_id(rid: str) -> int:
    return _nonzero(int.from_bytes(_digest("record", rid)[:8], "big"))


def parse_traceparent(value: Any) -> tuple[int, int] | None:
    """(trace id, parent span id) of a W3C ``traceparent``, or None."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        trace, span = int(parts[1], 16), int(parts[2], 16)
    except ValueError:
        return None
    return (trace, span) if trace and span else None


_MINUTES: dict[str, int] = {}


def epoch_ns(ts: Any) -> int | None:
    """``2026-11-21T00:40:16.123Z`` in nanoseconds since the epoch (minutes are parsed once: a log of
    a million records has few distinct ones, and ``strptime`` is slow)."""
    if not isinstance(ts, str) or len(ts) < 19 or ts[16] != ":":
        return None
    base = _MINUTES.get(ts[:16])
    if base is None:
        import calendar

        try:
            base = calendar.timegm(time.strptime(ts[:16], "%Y-%m-%dT%H:%M"))
        except ValueError:
            return None
        if len(_MINUTES) > 100_000:
            _MINUTES.clear()
        _MINUTES[ts[:16]] = base
    seconds = ts[17:19]
    millis = ts[20:23] if len(ts) >= 23 and ts[19] == "." else "0"
    if not seconds.isdigit() or not millis.isdigit():
        return None
    return (base + int(seconds)) * 1_000_000_000 + int(millis.ljust(3, "0")) * 1_000_000


# ------------------------------------------------------------------------------------ mapping


def attributes(rec: dict[str, Any], rid: str) -> dict[str, Any]:
    """OTel attributes of one record: strings, numbers, booleans and lists of strings only."""
    out: dict[str, Any] = {"hookpact.record_id": rid}
    if rec.get("session"):
        out["session.id"] = str(rec["session"])
    if rec.get("agent") is not None:
        out["hookpact.agent.type"] = str(rec["agent"]) or "internal"
    if rec.get("agent_id"):
        out["hookpact.agent.id"] = str(rec["agent_id"])
    for name in PLAIN_FIELDS:
        value = rec.get(name)
        if isinstance(value, (bool, int, float)) or (isinstance(value, str) and value):
            out[f"hookpact.{name}"] = value
    paths = rec.get("paths")
    if isinstance(paths, list) and paths:  # as stored: the audit decides what is kept of a path
        out["hookpact.target.paths"] = [str(p) for p in paths]
    for key in ("paths_sha256", "anchor", "kid", "mac", "prev"):
        if isinstance(rec.get(key), str):
            out[f"hookpact.{key}"] = rec[key]
    cost = rec.get("cost")
    if isinstance(cost, dict) and isinstance(cost.get("usd"), (int, float)):
        out["hookpact.cost.usd"] = float(cost["usd"])
        for kind, n in (cost.get("tokens") or {}).items():
            if isinstance(n, int):
                out[f"hookpact.cost.tokens.{kind}"] = n
    return out


class Mapped:
    """The spans and log records of a batch, as SDK objects ready for the exporters."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        self.logs: list[Any] = []
        self.last_seq = 0


def map_batch(batch: list[tuple[bytes, dict[str, Any]]], resource: Any) -> Mapped:
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.sdk._logs import ReadableLogRecord
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import (
        NonRecordingSpan,
        SpanContext,
        SpanKind,
        Status,
        StatusCode,
        TraceFlags,
        set_span_in_context,
    )

    import hookpact

    scope = InstrumentationScope(SCOPE, hookpact.__version__)
    flags = TraceFlags(TraceFlags.SAMPLED)
    out = Mapped()
    for line, rec in batch:
        rid = record_id(line)
        attrs = attributes(rec, rid)
        session = str(rec.get("session") or "")
        linked = parse_traceparent(rec.get("traceparent"))
        trace_id = linked[0] if linked else trace_id_of(session or rid)
        end = epoch_ns(rec.get("ts")) or time.time_ns()
        seq = rec.get("seq")
        if isinstance(seq, int):
            out.last_seq = max(out.last_seq, seq)
        span_ctx = None
        tool_use_id = rec.get("tool_use_id") if isinstance(rec.get("tool_use_id"), str) else None
        if rec.get("ok") is not None and tool_use_id:  # a tool call that ran (PostToolUse/Failure)
            span_ctx = SpanContext(trace_id, tool_span_id(session, tool_use_id), True, flags)
            parent = SpanContext(trace_id, linked[1], True, flags) if linked else None
            duration = rec.get("duration_ms")
            start = end - int(float(duration) * 1e6) if isinstance(duration, (int, float)) else end
            status = Status(StatusCode.ERROR, str(rec.get("error") or "failed")) if rec["ok"] is False \
                else Status(StatusCode.OK)
            out.spans.append(ReadableSpan(f"tool {rec.get('tool')}", span_ctx, parent, resource, attrs,
                                          kind=SpanKind.INTERNAL, status=status, start_time=start, end_time=end,
                                          instrumentation_scope=scope))
        elif rec.get("decision") is not None and rec.get("hook"):  # a hookpact decision
            span_ctx = SpanContext(trace_id, record_span_id(rid), True, flags)
            if linked:  # Claude Code's own span of the call: the decision sits right under it
                parent = SpanContext(trace_id, linked[1], True, flags)
            elif tool_use_id:
                parent = SpanContext(trace_id, tool_span_id(session, tool_use_id), True, flags)
            else:
                parent = None
            took = rec.get("hook_ms")
            start = end - int(float(took) * 1e6) if isinstance(took, (int, float)) else end
            status = Status(StatusCode.ERROR, str(rec["hook_error"])) if rec.get("hook_error") else Status(
                StatusCode.UNSET)
            out.spans.append(ReadableSpan(f"hookpact {rec.get('hook')} {rec.get('decision')}", span_ctx, parent,
                                          resource, attrs, kind=SpanKind.INTERNAL, status=status, start_time=start,
                                          end_time=end, instrumentation_scope=scope))
        severity = SeverityNumber.WARN if rec.get("decision") in ("deny", "ask") or rec.get("ok") is False \
            or rec.get("hook_error") else SeverityNumber.INFO
        body = {k: v for k, v in rec.items() if k not in ("mac", "prev")}
        context = set_span_in_context(NonRecordingSpan(span_ctx)) if span_ctx is not None else None
        log = LogRecord(timestamp=end, observed_timestamp=time.time_ns(), context=context,
                        severity_text=severity.name, severity_number=severity,
                        body=json.dumps(body, sort_keys=True, separators=(",", ":"), default=str),
                        attributes={k: v for k, v in attrs.items() if k in LOG_ATTRIBUTES},
                        event_name=f"hookpact.{rec.get('event') or 'record'}")
        out.logs.append(ReadableLogRecord(log, resource, scope))
    return out


# ------------------------------------------------------------------------------------ sending


class Sender:
    """The two OTLP/HTTP exporters; ``endpoint`` is a base URL (``/v1/traces`` and ``/v1/logs`` are
    added); without one the OTEL_EXPORTER_OTLP_* variables decide."""

    def __init__(self, endpoint: str | None, timeout: float | None = None) -> None:
        protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        if protocol not in ("http/protobuf", ""):
            raise HookpactError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: hookpact exports OTLP over HTTP/protobuf "
                                "(point it at the collector's HTTP port, usually 4318)")
        try:
            from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
        except ImportError:
            raise HookpactError("the OpenTelemetry exporter is not installed: pip install 'hookpact[otel]'") from None
        import hookpact

        base = endpoint.rstrip("/") if endpoint else None
        self.spans = OTLPSpanExporter(endpoint=f"{base}/v1/traces" if base else None, timeout=timeout)
        self.logs = OTLPLogExporter(endpoint=f"{base}/v1/logs" if base else None, timeout=timeout)
        self.resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or "hookpact",
                                         "service.version": hookpact.__version__, "host.name": socket.gethostname()})

    def send(self, mapped: Mapped) -> bool:
        from opentelemetry.sdk._logs.export import LogRecordExportResult
        from opentelemetry.sdk.trace.export import SpanExportResult

        if mapped.spans and self.spans.export(mapped.spans) is not SpanExportResult.SUCCESS:
            return False
        return not mapped.logs or self.logs.export(mapped.logs) is LogRecordExportResult.SUCCESS

    def close(self) -> None:
        self.spans.shutdown()  # type: ignore[no-untyped-call]
        self.logs.shutdown()  # type: ignore[no-untyped-call]


def send_with_retries(send: Callable[[], bool], attempts: int, backoff: float,
                      sleep: Callable[[float], None] = time.sleep) -> bool:
    for attempt in range(max(1, attempts)):
        if send():
            return True
        if attempt + 1 < attempts:
            sleep(min(30.0, backoff * (2 ** attempt)))
    return False


def _batches(items: Iterator[tuple[bytes, dict[str, Any]]], size: int) -> Iterator[list[tuple[bytes, dict[str, Any]]]]:
    batch: list[tuple[bytes, dict[str, Any]]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def export(state_dir: str, endpoint: str | None = None, *, follow: bool = False, batch_size: int = BATCH,
           attempts: int = 5, backoff: float = 0.5, poll: float = 1.0, timeout: float | None = None,
           stop: Callable[[], bool] = lambda: False, progress: Callable[[int, int], None] | None = None) -> int:
    """Send every record past the cursor; with ``follow``, keep sending new ones until ``stop()``.
    Returns how many records were sent. Raises :class:`ExportError` when a batch is refused after
    ``attempts`` tries (the cursor stays before it)."""
    sender = Sender(endpoint, timeout)
    sent = 0
    cursor = read_cursor(state_dir)

    def ship(batch: list[tuple[bytes, dict[str, Any]]]) -> None:
        nonlocal sent, cursor
        mapped = map_batch(batch, sender.resource)
        if not send_with_retries(lambda: sender.send(mapped), attempts, backoff):
            raise ExportError(f"the collector did not accept {len(batch)} record(s) after {attempts} attempts; "
                              f"nothing past seq {cursor} is marked sent, so the next run sends them again")
        sent += len(batch)
        if mapped.last_seq > cursor:
            cursor = mapped.last_seq
            write_cursor(state_dir, cursor)
        if progress is not None:
            progress(sent, cursor)

    def unsent(items: Iterator[tuple[bytes, dict[str, Any]]]) -> Iterator[tuple[bytes, dict[str, Any]]]:
        for line, rec in items:
            seq = rec.get("seq")
            if isinstance(seq, int) and seq <= cursor:
                continue
            yield line, rec

    try:
        flt = reader.Filter()
        _, position = reader.last_records(state_dir, flt, 0)  # where following starts; re-reads are skipped
        for batch in _batches(unsent(reader.records(state_dir, flt)), batch_size):
            ship(batch)
        if follow:
            pending: list[tuple[bytes, dict[str, Any]]] = []
            flushed = [time.monotonic()]

            def emit(line: bytes, rec: dict[str, Any]) -> None:
                seq = rec.get("seq")
                if isinstance(seq, int) and seq <= cursor:
                    return
                pending.append((line, rec))
                if len(pending) >= batch_size:
                    ship(pending[:])
                    pending.clear()
                    flushed[0] = time.monotonic()

            def done() -> bool:
                if pending and time.monotonic() - flushed[0] >= poll:
                    ship(pending[:])
                    pending.clear()
                    flushed[0] = time.monotonic()
                return stop()

            reader.follow(state_dir, flt, emit, start=position, poll=min(poll, 0.25), stop=done)
            if pending:
                ship(pending[:])
    finally:
        sender.close()
    return sent

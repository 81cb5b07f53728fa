"""Audit records: what is kept of each hook event and each hookpact decision (pure).

Content is stored as SHA-256 and byte length, never as text, unless ``HOOKPACT_AUDIT_CONTENT=1``
asks for text, which is then redacted (audit/redact.py) and cut to ``HOOKPACT_AUDIT_CONTENT_MAX``
characters. The environment is never looked at for content: it holds ``ANTHROPIC_API_KEY``.

Record fields (absent when they do not apply):
``seq`` ``ts`` ``event`` ``session`` ``prompt`` ``agent`` (``main`` for the main thread, else its
``agent_type``; ``""`` for internal helpers) ``agent_id`` ``step`` (position in its session)
``tool`` ``tool_use_id`` ``hook`` ``decision`` (allow/deny/ask/warn/context/none) ``rule`` ``reason``
``hook_ms`` ``timed_out`` ``hook_error`` ``ok`` ``duration_ms`` ``error`` ``interrupted``
``input_sha256`` ``input_bytes`` ``output_sha256`` ``output_bytes`` ``paths`` ``calls``
``source`` ``end_reason`` ``message_sha256`` ``message_bytes`` ``input_text`` ``output_text``
``spilled`` ``via`` ``src_end`` ``traceparent`` (Claude Code's W3C trace context of the call, when it
passed one to the hook) ``prev`` ``mac``.
"""

from __future__ import annotations

import time

from hookpact.audit.digest import sha256_hex
from hookpact.core import fastjson as json
from hookpact.core.events import agent_of, traceparent_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

#: Keys of tool_input that name the file a tool touches (PROTOCOL §6), in order of preference.
PATH_KEYS = ("file_path", "notebook_path", "path")
#: hookpact Decision kinds -> audit decision words. ``context`` from a rule or a runaway control
#: is a warning; from the context hooks it is what they exist for (see :func:`decision_word`).
DECISIONS = {"pass": "allow", "deny": "deny", "ask": "ask", "context": "warn", "no-output": "none"}
#: Hooks whose ``context`` decisions inject knowledge, not warnings.
CONTEXT_HOOKS = frozenset({"session_context", "subagent_context", "pre_edit_context"})
DEFAULT_CONTENT_MAX = 2000
#: Hooks whose silent runs (nothing to say) are not audited: the runaway controls.
QUIET_HOOKS = frozenset({"runaway", "runaway_watch", "completion",
                         "session_context", "subagent_context", "pre_edit_context"})


def canonical(value: Any) -> bytes:
    """Sorted keys, no spaces, ASCII-escaped: one byte string per value, on every machine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode("ascii")


def utc_timestamp(now: float | None = None) -> str:
    """``2026-11-21T00:40:16.123Z``: fixed width, so text order is time order."""
    now = time.time() if now is None else now
    millis = int(now * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{millis:03d}Z"


def content_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return canonical(value)


def digest_fields(prefix: str, value: Any, into: dict[str, Any]) -> None:
    data = content_bytes(value)
    into[f"{prefix}_sha256"] = sha256_hex(data)
    into[f"{prefix}_bytes"] = len(data)


def target_paths(tool_input: Any) -> list[str] | None:
    if not isinstance(tool_input, dict):
        return None
    for key in PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return [value]
    return None


def _content_wanted(env: Mapping[str, str]) -> int:
    """0 if content text is not to be stored, else the most characters to keep."""
    if env.get("HOOKPACT_AUDIT_CONTENT", "").lower() not in ("1", "true", "yes", "on"):
        return 0
    try:
        limit = int(env.get("HOOKPACT_AUDIT_CONTENT_MAX", ""))
    except ValueError:
        limit = DEFAULT_CONTENT_MAX
    return limit if limit > 0 else DEFAULT_CONTENT_MAX


def _text(value: Any, limit: int) -> str:
    """Redacted text of a tool input or output; structures are redacted string by string, before
    JSON escaping could glue a secret to the text after it."""
    from hookpact.audit.redact import SECRET_KEY, redact  # only when content was asked for

    def clean(node: Any) -> Any:
        if isinstance(node, str):
            return redact(node)
        if isinstance(node, list):
            return [clean(item) for item in node]
        if isinstance(node, dict):
            return {key: "[REDACTED:field]" if isinstance(item, str) and item and SECRET_KEY.search(str(key))
                    else clean(item) for key, item in node.items()}
        return node

    cleaned = clean(value)
    text = cleaned if isinstance(cleaned, str) else content_bytes(cleaned).decode("ascii")
    return text if len(text) <= limit else text[:limit] + f"...[{len(text) - limit} more characters]"


def _first_line(text: Any) -> str | None:
    """``Exit code 3`` from a Bash failure: the status, never the output that follows it."""
    if not isinstance(text, str):
        return None
    line = text.split("\n", 1)[0]
    if line.startswith("Exit code ") and line[10:].strip().lstrip("-").isdigit():
        return line
    return None


def from_event(event: Mapping[str, Any], env: Mapping[str, str], now: float | None = None) -> dict[str, Any]:
    """The record for one hook event the audit hook received."""
    name = str(event.get("hook_event_name") or "")
    rec: dict[str, Any] = {"ts": utc_timestamp(now), "event": name}
    if env.get("HOOKPACT_ORIGIN"):  # "sdk" for hookpact.sdk callbacks; command hooks leave it out
        rec["origin"] = env["HOOKPACT_ORIGIN"]
    traceparent = traceparent_of(env)
    if traceparent:  # Claude Code's span of this call: the exporter makes hookpact's spans its children
        rec["traceparent"] = traceparent
    _identity(event, rec)
    limit = _content_wanted(env)
    tool_input = event.get("tool_input")
    if name in ("PostToolUse", "PostToolUseFailure"):
        rec["tool"] = event.get("tool_name")
        if event.get("tool_use_id"):
            rec["tool_use_id"] = event.get("tool_use_id")
        rec["ok"] = name == "PostToolUse"
        if isinstance(event.get("duration_ms"), (int, float)):
            rec["duration_ms"] = event["duration_ms"]
        digest_fields("input", tool_input, rec)
        paths = target_paths(tool_input)
        if paths:
            rec["paths"] = paths
        if limit:
            rec["input_text"] = _text(tool_input, limit)
        if name == "PostToolUse":
            digest_fields("output", event.get("tool_response"), rec)
            if limit:
                rec["output_text"] = _text(event.get("tool_response"), limit)
        else:
            digest_fields("output", event.get("error"), rec)
            status = _first_line(event.get("error"))
            if status:
                rec["error"] = status
            if event.get("is_interrupt"):
                rec["interrupted"] = True
            if limit:
                rec["output_text"] = _text(event.get("error"), limit)
    elif name in ("CallsNotRun", "PostToolBatch"):  # audit/unrun.py; PostToolBatch in older logs
        calls = []
        for call in event.get("tool_calls") or []:
            if not isinstance(call, dict):
                continue
            item: dict[str, Any] = {"tool": call.get("tool_name"), "tool_use_id": call.get("tool_use_id")}
            digest_fields("input", call.get("tool_input"), item)
            digest_fields("output", call.get("tool_response"), item)
            paths = target_paths(call.get("tool_input"))
            if paths:
                item["paths"] = paths
            calls.append(item)
        rec["calls"] = calls
    elif name in ("Stop", "SubagentStop"):
        if event.get("stop_hook_active"):
            rec["stop_hook_active"] = True
        if isinstance(event.get("last_assistant_message"), str):
            digest_fields("message", event["last_assistant_message"], rec)
    elif name == "SessionStart":
        if event.get("source"):
            rec["source"] = event.get("source")
    elif name == "SessionEnd" and event.get("reason"):
        rec["end_reason"] = event.get("reason")
    return rec


def _identity(event: Mapping[str, Any], rec: dict[str, Any]) -> None:
    if event.get("session_id"):
        rec["session"] = event["session_id"]
    if event.get("prompt_id"):
        rec["prompt"] = event["prompt_id"]
    agent, agent_id = agent_of(dict(event))
    rec["agent"] = agent
    if agent_id:
        rec["agent_id"] = agent_id


def decision_word(hook: str | None, decision: Any) -> str:
    """The audit word for a hook's decision: ``context`` injections are not ``warn``."""
    if not isinstance(decision, str):
        return "none"
    if decision == "context" and hook in CONTEXT_HOOKS:
        return "context"
    return DECISIONS.get(decision, decision)


def from_run(run: Mapping[str, Any], src_end: int) -> dict[str, Any] | None:
    """The record for one hook-run log line (core/log.py), or None if it is not worth one.

    Every decision of every other hookpact hook (the scope guard's allows and denials) becomes a
    record; the audit hook's own runs only when they failed. ``src_end`` is the byte offset just
    past the line, so a writer that crashed after writing can tell what it already took in.
    """
    hook = run.get("hook")
    outcome = run.get("outcome")
    if not isinstance(hook, str) or (hook == "audit" and outcome != "error"):
        return None
    if hook in QUIET_HOOKS and outcome == "no-output":
        return None  # runs on every tool call; only its warnings, denials and failures are worth a record
    ts = run.get("ts")
    if isinstance(ts, str) and ts.endswith("Z") and "." not in ts:
        ts = ts[:-1] + ".000Z"
    rec: dict[str, Any] = {"ts": ts if isinstance(ts, str) else utc_timestamp(), "event": run.get("event"),
                           "hook": hook, "via": "hook-run-log", "src_end": src_end}
    if run.get("origin") and run.get("origin") != "command":
        rec["origin"] = run["origin"]
    if run.get("session_id"):
        rec["session"] = run["session_id"]
    if run.get("prompt_id"):
        rec["prompt"] = run["prompt_id"]
    rec["agent"] = run.get("agent") if isinstance(run.get("agent"), str) else ""
    if run.get("agent_id"):
        rec["agent_id"] = run["agent_id"]
    if run.get("tool"):
        rec["tool"] = run["tool"]
    if run.get("tool_use_id"):
        rec["tool_use_id"] = run["tool_use_id"]
    if isinstance(run.get("traceparent"), str) and traceparent_of({"TRACEPARENT": run["traceparent"]}):
        rec["traceparent"] = run["traceparent"]
    decision = run.get("decision")
    rec["decision"] = decision_word(hook, decision)
    target = run.get("target")
    if isinstance(target, str) and target:
        rec["paths"] = [target]
    if run.get("rule"):
        rec["rule"] = run["rule"]
    if run.get("reason"):
        rec["reason"] = run["reason"]
    if isinstance(run.get("duration_ms"), (int, float)):
        rec["hook_ms"] = run["duration_ms"]
    if run.get("timed_out"):
        rec["timed_out"] = True
    if outcome == "error" or run.get("error"):
        rec["hook_error"] = str(run.get("error") or "error")
    return rec

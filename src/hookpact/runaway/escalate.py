"""Escalation: tell a person, through a configured command or webhook, rate-limited, audit-logged.

The payload is one JSON object: ``{"source": "hookpact", "kind", "session", "agent", "agent_id",
"project", "detail", "count", "ts"}``. A command gets it on stdin; a webhook as the body of a POST
(``Content-Type: application/json``). Per (kind, session, agent) at most one notification goes out
every ``min_interval_s`` seconds; every escalation, sent or held back, is an audit record
(``event: "Escalation"``).
"""

from __future__ import annotations

import os
import time

from hookpact.core import fastjson as json
from hookpact.runaway.state import locked_update

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from hookpact.core.budget import Deadline

KINDS = ("budget", "loop", "failure_streak", "gate", "hook_failures", "denial_streak", "spend")


def payload(kind: str, event: Mapping[str, Any], agent: str, project: str, detail: str, count: int) -> dict[str, Any]:
    return {"source": "hookpact", "kind": kind, "session": event.get("session_id"), "agent": agent,
            "agent_id": event.get("agent_id"), "project": project, "detail": detail, "count": count,
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _due(state_dir: str, key: str, interval: float, wait: float) -> bool:
    path = os.path.join(state_dir, "runaway", "escalations.json")
    now = time.time()

    def change(data: dict[str, Any]) -> bool:
        last = data.get(key)
        if isinstance(last, (int, float)) and now - last < interval:
            return False
        data[key] = now
        if len(data) > 1000:  # forget the oldest
            for old in sorted(data, key=lambda k: data[k])[: len(data) - 1000]:
                del data[old]
        return True

    return locked_update(path, change, wait, strict=False)


def deliver(settings: Mapping[str, Any], body: dict[str, Any], timeout: float) -> tuple[str, bool, str]:
    """(channel, delivered, detail). Never raises: a broken notifier must not break the hook."""
    data = json.dumps(body).encode()
    if settings.get("webhook"):
        url = str(settings["webhook"])
        if not url.startswith(("http://", "https://")):
            return "webhook", False, f"not an http(s) URL: {url}"
        import urllib.request

        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "hookpact"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return "webhook", 200 <= response.status < 300, f"HTTP {response.status}"
        except Exception as exc:
            return "webhook", False, f"{type(exc).__name__}: {exc}"
    command = settings.get("command")
    argv = [command] if isinstance(command, str) else list(command or [])
    if isinstance(command, str):
        argv = ["/bin/sh", "-c", command]
    import subprocess

    try:
        proc = subprocess.run(argv, input=data, capture_output=True, timeout=timeout, check=False)
    except Exception as exc:
        return "command", False, f"{type(exc).__name__}: {exc}"
    return "command", proc.returncode == 0, f"exit {proc.returncode}"


def escalate(settings: Mapping[str, Any] | None, state_dir: str, data_dir: str, env: Mapping[str, str],
             deadline: Deadline, body: dict[str, Any], rate_key: str | None = None) -> str:
    """Notify (if configured and due) and write the audit record. Returns what happened.

    ``rate_key`` replaces the (kind, session, agent) key of the rate limit, for notices that are
    each sent once anyway (the spend alerts at 50% and 80% of one limit)."""
    outcome = "not-configured"
    rec: dict[str, Any] = {"event": "Escalation", "hook": "runaway", "kind": body["kind"],
                           "agent": body["agent"], "reason": body["detail"], "count": body["count"]}
    if body.get("session"):
        rec["session"] = body["session"]
    if body.get("agent_id"):
        rec["agent_id"] = body["agent_id"]
    if settings:
        key = rate_key or f"{body['kind']}|{body.get('session')}|{body['agent']}|{body.get('agent_id')}"
        wait = max(0.0, min(0.5, deadline.remaining() - 1.0))
        if _due(state_dir, key, float(settings["min_interval_s"]), wait):
            timeout = max(0.1, min(float(settings["timeout_s"]), deadline.remaining() - 0.8))
            channel, delivered, detail = deliver(settings, body, timeout)
            outcome = "delivered" if delivered else "failed"
            rec.update(channel=channel, delivered=delivered, delivery=detail)
        else:
            outcome = "rate-limited"
    rec["notified"] = outcome
    from hookpact.audit.record import utc_timestamp
    from hookpact.audit.writer import AuditWriter

    rec["ts"] = utc_timestamp()
    AuditWriter.from_env(state_dir, data_dir, env, max_lock_wait=max(0.0, deadline.remaining() - 0.5)).append([rec])
    return outcome
